"""Does a deck's last build still agree with the alt-text file?

The link between alt-text.yaml and doit: a deck is out of date when the file
now holds usable text for one of its images that differs from what its last
report says the deck got.  So an edit to one entry rebuilds exactly the decks
showing that image, and `doit check` can say a deck needs a rebuild, both
without a model, from the report and the file alone.
"""
import inspect
import json

from ..errors import AltdeckError
from ..ooxml.xmledit import clean_xml_text

FROM_STORE = ("described", "pending")     # decisions the store can change ("kept" is the deck's own text)


def _from_store(o: dict) -> bool:
    """Could the store change this object's text? (its image, not the deck's own text)"""
    return bool(o.get("key")) and o.get("decision") in FROM_STORE and o.get("source") != "existing"


def _disagrees(entry, describer_json: str, text: str) -> bool:
    return entry is not None and entry.usable_for(describer_json) and clean_xml_text(entry.text) != text


def outdated_objects(report: dict, entries: dict) -> list:
    """Report objects whose image has usable text in `entries` other than the text the deck got."""
    describer_json = json.dumps(report.get("describer", {}), sort_keys=True)
    return [o for o in report.get("objects", [])
            if _from_store(o) and _disagrees(entries.get(o["key"]), describer_json, o.get("text"))]


def store_texts(objects) -> dict:
    """{image hash: text the deck got} for objects the store could change; kept in doit's task values."""
    return {o["key"]: o.get("text") or "" for o in objects if _from_store(o)}


class StoreView:
    """alt-text.yaml's entries, fetched at most once per run and only when a deck's check needs it.

    They come from the store's SQLite copy of the file, which parses the YAML only when the
    file changed: a no-op run over a big course reads a table, not the whole file.
    """

    def __init__(self, cfg):
        self.cfg, self._entries = cfg, None

    def entries(self) -> dict | None:
        """The file's entries; None when it cannot be read (the deck then rebuilds and reports why)."""
        if self._entries is None:
            from .journal import Store
            try:
                store = Store.for_course(self.cfg)
                try:
                    self._entries = store.committed_entries()
                finally:
                    store.close(fold=False)
            except AltdeckError:
                return None
        return self._entries


def deck_unchanged(task, values, settings, store: StoreView) -> bool:
    """doit `uptodate` of a deck: same output settings, and the store still agrees with its texts.

    `settings`: the run's settings.OutputSettings.  Reads only doit's saved values of the task
    (no report, no deck), so a no-op run stays cheap.
    """
    if values.get("settings") != settings.digest:
        return False
    texts = values.get("store_texts") or {}
    if not texts:
        return True
    entries = store.entries()
    if entries is None:
        return False
    return not any(_disagrees(entries.get(h), settings.describer_json, text) for h, text in texts.items())


# doit inspects an uptodate callable's parameters once per task; computed once here instead
# (a no-op run over 1,000 decks spent 40 ms in inspect.signature).
deck_unchanged.__signature__ = inspect.signature(deck_unchanged)


def seen_hints(report: dict) -> dict:
    """{image hash: "deck:slide"} where each image first appears, for new entries of the file."""
    hints = {}
    for o in report.get("objects", []):
        if o.get("key"):
            hints.setdefault(o["key"], f"{report['deck']}:{o['slide']}")
    return hints
