"""Per-image alt text, keyed by the sha256 of the image bytes, shared by all decks and runs.

Two layers:
- the committed file (alt-text.yaml in the course, altfile.py): the source of
  truth, reviewed and edited by people, shared by every clone;
- the journal (SQLite in WAL mode in the state folder): its write-ahead log.
  Each model answer is committed there as it arrives, so a crash or `kill -9`
  loses nothing a model already answered, and decks building in parallel
  processes write at once.  `fold()` moves journal rows into the file under a
  lock (at the end of every deck, and at the start to recover a killed run)
  and empties the journal.

Precedence, in `get` and `fold` alike: human or reviewed text is never
replaced by machine text; otherwise the newer machine answer wins.  Offline
text is never stored, so an offline run cannot downgrade a model's text.
"""
import re
import sqlite3
import time
from pathlib import Path

from . import altfile
from .altfile import HUMAN, Entry  # noqa: F401  (Entry is the store's record)

_DIGEST = re.compile(r"[0-9a-f]{12}")


def _as_digest(signature: str) -> str:
    return signature if not signature or _DIGEST.fullmatch(signature) else altfile.signature_digest(signature)


def winner(committed: Entry | None, new: Entry | None) -> Entry | None:
    """What the store holds for an image after `new` arrives on top of `committed`."""
    if committed is None or (new is not None and (new.source == HUMAN or not committed.protected)):
        return new if new is not None else committed
    return committed


class Store:
    def __init__(self, path, committed=None):
        """`path`: the SQLite journal; `committed`: the alt-text file (None: journal only)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.committed = Path(committed) if committed else None
        self._lock = path.with_suffix(".lock")
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        with altfile.locked(self._lock):  # switching to WAL needs the database alone: decks start together
            if self._db.execute("pragma journal_mode").fetchone()[0] != "wal":
                self._db.execute("pragma journal_mode=wal")
            self._db.execute("create table if not exists images (hash text primary key, text text not null, "
                             "source text not null, signature text not null, "
                             "reviewed integer not null default 0, updated real not null)")
            self._db.execute("create table if not exists folds (id integer primary key check (id = 0), n integer)")
            self._db.execute("insert or ignore into folds values (0, 0)")
        self._db.execute("pragma synchronous=normal")
        self._file, self._folds = {}, None
        if self.committed:
            self.fold()                   # recover answers a killed run left in the journal

    def get(self, image_hash: str) -> Entry | None:
        row = self._db.execute("select text, source, signature, reviewed from images where hash = ?",
                               (image_hash,)).fetchone()
        journal = Entry(row[0], row[1], row[2], bool(row[3])) if row else None
        if journal is None:
            self._reload_if_changed()     # a deck built in parallel may have folded its answers into the file
        return winner(self._file.get(image_hash), journal)

    def _reload_if_changed(self):
        """Re-read the file after another process folded into it (a counter in the journal says so).

        A fold writes the file first, then empties the journal and counts itself in one
        transaction, so whoever misses a row there finds the new count and the new file.
        """
        if not self.committed:
            return
        folds = self._db.execute("select n from folds").fetchone()[0]
        if folds != self._folds:
            self._file, self._folds = altfile.read(self.committed), folds

    def put(self, image_hash: str, entry: Entry):
        """Store a result now; never overwrites human or reviewed text with machine text."""
        old = self.get(image_hash)
        if old and old.protected and entry.source != HUMAN:
            return
        self._db.execute("insert or replace into images values (?, ?, ?, ?, ?, ?)",
                         (image_hash, entry.text, entry.source, _as_digest(entry.signature),
                          int(entry.reviewed), time.time()))

    def fold(self, seen: dict | None = None):
        """Move journal rows into the committed file; `seen` = {hash: "deck:slide"} hints for new entries."""
        if not self.committed:
            return
        with altfile.locked(self._lock):
            entries = altfile.read(self.committed)
            rows = self._db.execute("select hash, text, source, signature, reviewed, updated from images").fetchall()
            for h, text, source, signature, reviewed, _ in rows:
                entries[h] = winner(entries.get(h), Entry(text, source, signature, bool(reviewed),
                                                          (entries[h].seen if h in entries else "")))
            for h, where in (seen or {}).items():
                if h in entries and not entries[h].seen:
                    entries[h].seen = where
            altfile.write(self.committed, entries)
            self._db.execute("begin immediate")
            for h, *_, updated in rows:   # a row rewritten meanwhile (newer `updated`) stays for the next fold
                self._db.execute("delete from images where hash = ? and updated = ?", (h, updated))
            self._db.execute("update folds set n = n + 1")
            self._db.execute("commit")
            self._reload_if_changed()

    def close(self, seen: dict | None = None):
        try:
            self.fold(seen)
        finally:
            self._db.close()
