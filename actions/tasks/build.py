"""`altdeck` (doit's default task): one `build:<deck>` task per deck.

`file_dep` is the deck, `targets` its accessible copy and report, and
`uptodate` covers the settings that change the output (describer, model,
prompt version, alt-text policy) and the alt-text store's texts for the
deck's images: a rerun with nothing changed executes nothing, changing a
setting rebuilds every deck, editing a stored text rebuilds the decks showing it.
Creating the tasks reads no deck and contacts no model server.
"""
from .. import discover
from ..run import history
from ..run.deckproc import run_deck
from ..settings import OutputSettings
from ..store import freshness
from .common import course_config


def task_build():
    """Write an accessible copy of every deck (alt text on every picture, chart, diagram)."""
    cfg = course_config()
    settings = OutputSettings(cfg)          # the describer is chosen when a build starts, not here
    store = freshness.StoreView(cfg)
    fresh = (freshness.deck_unchanged, [settings, store])
    # Each dict becomes a doit Task the run keeps to its end: only what a deck needs, shared where it can be.
    decks = discover.find_decks(cfg)
    for rel in history.failed_last(cfg, decks):
        if discover.name_problem(rel):           # doit's database and log cannot store its name: it fails
            yield {"name": discover.task_name(discover.shown(rel)), "meta": {"deck": discover.shown(rel)},
                   "actions": [(run_deck, (rel, cfg, settings))], "uptodate": [False]}
            continue
        is_file = rel not in decks.not_files
        yield {
            "name": discover.task_name(rel),
            "meta": {"deck": rel},
            "doc": f"accessible copy of {rel}",
            "actions": [(run_deck, (rel, cfg, settings))],
            "file_dep": [rel] if is_file else [],
            "targets": [discover.output_target(cfg, rel), discover.report_target(cfg, rel)],
            "uptodate": [fresh] if is_file else [False],
            "clean": True,
        }
