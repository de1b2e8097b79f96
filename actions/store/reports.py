"""The per-deck JSON report: every object, the decision taken, the text and its source.

Written by build.py after the deck's copy; read by `doit check`, `doit review`
and the store's freshness logic.  REPORT_VERSION is part of the tasks' settings
signature, so a new report format rebuilds every deck.
"""
import hashlib
import json

from .. import discover
from ..files import atomic_path

REPORT_VERSION = 6      # 4: a key for every object, diagram and ink kinds, decorative decisions from the store;
                        # 5: transcriptions of pictures of text, the decorative rules a deck was built with;
                        # 6: findings, checks and unchecked of the accessibility rules


def write_report(cfg, rel, data: dict):
    with atomic_path(discover.report_path(cfg, rel)) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
            f.write("\n")


def read_report(cfg, rel) -> dict | None:
    """The deck's last report, or None when there is none (or it is unreadable)."""
    try:
        with open(discover.report_path(cfg, rel), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def file_sha256(path) -> str:
    """The deck's hash, recorded in its report so `doit check` can tell a stale report."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
