"""Which decks failed in the last builds, so the next build starts with the others.

After a failure-rate stop or a Ctrl+C, the next run should build the decks
that never ran before retrying the ones that failed: `failed_last` orders the
build, `remember` updates the list from the run's log when the run ends.
"""
import json
import os

from ..files import write_text


def path(cfg) -> str:
    return os.path.join(cfg.root_dir, cfg.state_dir, "failed-decks.json")


def _read(cfg) -> set:
    try:
        with open(path(cfg), encoding="utf-8") as f:
            return set(json.load(f))
    except (OSError, ValueError, TypeError):
        return set()


def failed_last(cfg, decks: list) -> list:
    """Decks in build order: those that failed last time go last, so a rerun continues with the rest."""
    failed = _read(cfg)
    if not failed:
        return decks
    return [d for d in decks if d not in failed] + [d for d in decks if d in failed]


def remember(cfg, log_path):
    """After a run: decks that failed in it join the failed list, decks built in it leave it."""
    failed = _read(cfg)
    before = set(failed)
    with open(log_path, encoding="utf-8") as f:          # streamed: nothing was kept in memory during the run
        for line in f:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("event") == "deck_end":
                (failed.add if record.get("status") != "ok" else failed.discard)(record.get("deck"))
    if failed != before:
        write_text(path(cfg), json.dumps(sorted(failed), indent=0))
