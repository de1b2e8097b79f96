"""doit task definitions: one `build:<deck>` task per deck.

`file_dep` is the deck, `targets` its accessible copy and report, and
`uptodate` covers the settings that change the output (describer, model,
prompt version, alt-text policy) and the alt-text store's texts for the
deck's images: a rerun with nothing changed executes nothing, changing a
setting rebuilds every deck, editing a stored text rebuilds the decks showing it.
"""
import hashlib
import json
import os

from doit.exceptions import InvalidDodoFile

from . import backend, batch, config, discover, freshness
from .describe import describer_signature
from .errors import AltdeckError
from .report import REPORT_VERSION
from .reporter import AltdeckReporter

DOIT_CONFIG = {
    "backend": "sqlite3",        # commits atomically; dbm.dumb can lose its index (doit-facts)
    "dep_file": ".doit.db",
    "default_tasks": ["build"],
    "reporter": AltdeckReporter,
    "continue": True,            # one bad deck must not stop the others
    # `-n N` runs N decks at once in threads: each deck's work is already its own process
    # (batch.run_deck), and doit's process pool would copy every task into each worker.
    "par_type": "thread",
}
batch.install()                  # timeouts, failure-rate stop, signals, lock, log, per-deck commits


def load_config():
    try:
        return config.load(os.getcwd())
    except AltdeckError as e:
        raise InvalidDodoFile(str(e)) from None


def settings_signature(cfg, describer: dict) -> dict:
    """What changes an output besides the deck itself (`describer`: its signature)."""
    return {"report_version": REPORT_VERSION, "existing_alt": cfg.existing_alt,
            "describer": describer, "alt_text": dict(cfg.alt_text),
            "output_dir": cfg.output_dir, "report_dir": cfg.report_dir}


def task_name(rel: str) -> str:
    """doit forbids '=' in task names: percent-encode it (and '%', so names stay distinct)."""
    return rel.replace("%", "%25").replace("=", "%3D")


def task_build():
    """Write an accessible copy of every deck (alt text on every picture, chart, diagram)."""
    cfg = load_config()
    try:
        name, why = backend.resolve(cfg)
    except AltdeckError as e:
        batch.refuse(str(e))     # `doit` stops with this line before any deck; check, list, clean still work
        name, why = "offline", str(e)
    describer = describer_signature(cfg, name)
    signature = json.dumps(describer, sort_keys=True)
    settings = hashlib.sha256(json.dumps(settings_signature(cfg, describer), sort_keys=True).encode()).hexdigest()
    store = freshness.StoreView(cfg)
    describer_line = f"{name} ({why})"          # one string shared by every deck's meta
    fresh = (freshness.deck_unchanged, [settings, signature, store])
    # Each dict becomes a doit Task the run keeps to its end: only what a deck needs, shared where it can be.
    for rel in batch.failed_last(cfg, discover.find_decks(cfg)):
        is_file = os.path.isfile(rel)
        yield {
            "name": task_name(rel),
            "meta": {"deck": rel, "describer": describer_line},   # the reporter says the describer once
            "doc": f"accessible copy of {rel}",
            "actions": [(batch.run_deck, (rel, cfg, name, settings))],
            "file_dep": [rel] if is_file else [],
            "targets": [discover.output_target(cfg, rel), discover.report_target(cfg, rel)],
            "uptodate": [fresh] if is_file else [False],
            "clean": True,
        }


# The alt-text tasks live beside the build; they use load_config above.
from .review_tasks import task_alt, task_check, task_review  # noqa: E402

__all__ = ["DOIT_CONFIG", "task_build", "task_check", "task_review", "task_alt"]   # what dodo.py imports
