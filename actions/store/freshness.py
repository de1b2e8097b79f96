"""Does a deck's last build still agree with the deck and the alt-text file?

The link between alt-text.yaml and doit: a deck is out of date when the file
now holds usable text (or a decorative decision) for one of its objects that
differs from what its last report says the deck got.  So an edit to one entry
rebuilds exactly the decks showing that object, and `altdeck check` can say a
deck needs a rebuild, both without a model, from the report and the file alone.

And the link between the deck and doit: doit records its file_dep's state
after the task, from the file then at the path; a deck saved during its own
build would be recorded as built.  The task's values hold the hash of the
bytes that were built, and `deck_unchanged` compares it.
"""
import inspect
import json
import os

from ..errors import AltdeckError

FROM_STORE = ("described", "pending", "decorative")   # decisions the store can change ("kept" is the deck's own)
DECORATIVE = "\x00decorative"      # what the deck "got" when the store made an object decorative


def from_store(o: dict) -> bool:
    """Could the store change this object's text? (not the deck's own text or decorative flag)"""
    return bool(o.get("key")) and o.get("decision") in FROM_STORE and o.get("source") != "existing"


def _got(o: dict) -> str:
    return DECORATIVE if o.get("decision") == "decorative" else o.get("text") or ""


def _value(entry) -> str:
    if entry.decorative:
        return DECORATIVE
    from ..ooxml.xmledit import clean_xml_text     # on use: a no-op build's tasks import no XML code
    return clean_xml_text(entry.text)


def _disagrees(entry, describer_json: str, rules_json: str, got: str) -> bool:
    """Whether the store now says something else than what the deck got (text, or decorative).

    An automatic decorative decision counts only under the rules that made it (`rules_json`).
    The text is compared first: when it is what the deck got, whether a build would use it does
    not matter, and a no-op run judges no stored text.
    """
    if entry is None:
        return got == DECORATIVE              # the decision that made it decorative was deleted
    if not entry.decorative and entry.text == got:
        return False        # what a deck got is clean already: no cleaning to compare (a logo on every deck)
    return _value(entry) != got and entry.usable_for(describer_json, rules_json)


def _rules_json(report: dict) -> str:
    """The decorative rules the deck was built with ("" when decorative.auto was off)."""
    rules = report.get("decorative")
    return json.dumps(rules, sort_keys=True) if rules else ""


def outdated_objects(report: dict, entries: dict) -> list:
    """Report objects for which `entries` now say something other than what the deck got."""
    describer_json = json.dumps(report.get("describer", {}), sort_keys=True)
    rules_json = _rules_json(report)
    return [o for o in report.get("objects", [])
            if from_store(o) and _disagrees(entries.get(o["key"]), describer_json, rules_json, _got(o))]


def store_texts(objects) -> dict:
    """{object key: what the deck got} for objects the store could change; kept in doit's task values."""
    return {o["key"]: _got(o) for o in objects if from_store(o)}


class StoreView:
    """alt-text.yaml's entries, fetched at most once per run and only when a deck's check needs it.

    They come from the store's SQLite copy of the file, which parses the YAML only when the
    file changed: a no-op run over a big course reads a table, not the whole file, and only
    two columns of it (journal.current_texts) while every text is what its deck got.
    """

    def __init__(self, cfg):
        self.cfg, self._entries, self._texts = cfg, None, False

    def agrees(self, texts: dict, describer_json: str, rules_json: str) -> bool:
        """Whether the file still says what a deck got ({key: got}); False also when it cannot be read."""
        if self._texts is False:
            from .journal import current_texts
            self._texts = current_texts(self.cfg)
        current = self._texts
        for key, got in texts.items():
            if current is not None:
                seen = current.get(key)
                if seen is None:
                    if got == DECORATIVE:        # the decision that made it decorative was deleted
                        return False
                    continue                     # no entry (a pending object): nothing else to say
                if got == DECORATIVE if seen[1] else seen[0] == got:
                    continue                     # what the deck got: _disagrees would say so too
            entries = self.entries()
            if entries is None or _disagrees(entries.get(key), describer_json, rules_json, got):
                return False
        return True

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


def built_stamp(st, sha256: str) -> list:
    """What a deck's task keeps of the deck it built: [size, mtime_ns, inode, sha256]."""
    return [st.st_size, st.st_mtime_ns, st.st_ino, sha256]


def same_deck(path, built, moved=None) -> bool:
    """Is the deck at `path` the one whose bytes were built?  One stat() when nothing changed;
    the deck is hashed only when its size, mtime or inode differ (a save, a fresh clone).

    `moved`: a list that gets the deck's stat when its built bytes were found under a new one
    (a clone, a touch, an editor that saved without changes), unchanged while they were hashed.
    """
    if not (isinstance(built, list) and len(built) == 4):
        return True                       # recorded by an altdeck that did not keep it: doit's own check decides
    try:
        st = os.stat(path)
    except OSError:
        return False
    if [st.st_size, st.st_mtime_ns, st.st_ino] == built[:3]:
        return True
    if st.st_size != built[0]:
        return False
    from .reports import file_sha256
    try:
        same = file_sha256(path) == built[3]
        after = os.stat(path)
    except OSError:
        return False
    if same and moved is not None and (after.st_size, after.st_mtime_ns, after.st_ino) == \
            (st.st_size, st.st_mtime_ns, st.st_ino):
        moved.append(st)
    return same


def deck_unchanged(task, values, settings, store: StoreView) -> bool:
    """doit `uptodate` of a deck: the deck is the one built, the same output settings, and the
    store still agrees with its texts.

    `settings`: the run's settings.OutputSettings.  Reads only doit's saved values of the task
    and stats the deck, so a no-op run stays cheap.  A deck whose built bytes are found under a
    new stat is left on the task as `moved_deck` (os.stat_result), for the run to record.
    """
    digest, describer_json, rules_json = settings.compared
    if values.get("settings") != digest:
        return False
    moved = []
    if not same_deck((task.meta or {}).get("deck") or "", values.get("deck"), moved):
        return False
    texts = values.get("store_texts")
    if texts and not store.agrees(texts, describer_json, rules_json):   # (unreadable: the build says why)
        return False
    if moved:
        task.moved_deck = moved[0]       # up to date under a new stat: run/doit_ext.py records it
    return True


# doit inspects an uptodate callable's parameters once per task; computed once here instead
# (a no-op run over 1,000 decks spent 40 ms in inspect.signature).
deck_unchanged.__signature__ = inspect.signature(deck_unchanged)


def seen_hints(report: dict) -> dict:
    """{object key: "deck:slide"} where each object first appears, for new entries of the file."""
    hints = {}
    for o in report.get("objects", []):
        if o.get("key"):
            hints.setdefault(o["key"], f"{report['deck']}:{o['slide']}")
    return hints
