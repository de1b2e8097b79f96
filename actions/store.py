"""Per-image alt text, keyed by the sha256 of the image bytes, shared by all decks and runs.

The same image anywhere in the course (a logo, a figure reused across
lectures) is described once.  Results are committed as they arrive, so a
crash or `kill -9` loses nothing a model already answered.  SQLite in WAL
mode lets decks building in parallel processes read and write it at once.
"""
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

HUMAN = "human"


@dataclass
class Entry:
    text: str
    source: str          # human, existing, offline, or the model (e.g. ollama:llava)
    signature: str       # describer signature that wrote it ("" for human text)
    reviewed: bool = False

    def usable_for(self, signature: str) -> bool:
        """Human or reviewed text always wins; machine text only for the describer that wrote it."""
        return self.source == HUMAN or self.reviewed or self.signature == signature


class Store:
    def __init__(self, path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=normal")
        self._db.execute("create table if not exists images (hash text primary key, text text not null, "
                         "source text not null, signature text not null, reviewed integer not null default 0, "
                         "updated real not null)")

    def get(self, image_hash: str) -> Entry | None:
        row = self._db.execute("select text, source, signature, reviewed from images where hash = ?",
                               (image_hash,)).fetchone()
        return Entry(row[0], row[1], row[2], bool(row[3])) if row else None

    def put(self, image_hash: str, entry: Entry):
        """Store a result now; never overwrites human or reviewed text with machine text."""
        old = self.get(image_hash)
        if old and (old.source == HUMAN or old.reviewed) and entry.source != HUMAN:
            return
        self._db.execute("insert or replace into images values (?, ?, ?, ?, ?, ?)",
                         (image_hash, entry.text, entry.source, entry.signature, int(entry.reviewed), time.time()))

    def close(self):
        self._db.close()
