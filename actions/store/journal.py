"""Per-object alt text, keyed by store key (a picture's sha256, another object's content key),
shared by all decks and runs.

Two layers:
- the committed file (alt-text.yaml in the course, altfile.py): the source of
  truth, reviewed and edited by people, shared by every clone;
- SQLite in WAL mode in the state folder, which holds
  * `committed`: a copy of the file, re-read only when its bytes changed (a
    clone's new stamp over the same bytes is told by their digest), so
    looking an object up is one indexed query however big the course is;
  * `journal`: the answers that arrived since the last fold.  Each model answer
    is committed there as it arrives, so a crash or `kill -9` loses nothing a
    model already answered, and decks building in parallel processes share it.
  * `readings`: what OCR found in each picture (by image hash and engine), so a
    picture is read once however many decks and runs show it; state, not reviewed.
`fold()` moves the journal into the file under a lock: once per run, at its
end (the batch runner), and at the start of the next run if one was killed.
Rewriting the file after every deck would cost a whole-file rewrite per deck.
People save the file without our lock, so the fold replaces it only if it is
still the version it merged (files.replace_if_unchanged) and merges again from
their version when it is not.  Its temp file goes to the state folder (on the
same file system), where a killed fold's leftover is swept by the next fold.

Precedence, in `get` and `fold` alike (`winner`): human or reviewed text is
never replaced by machine text; otherwise the newer machine answer wins.
Offline text is never stored, so an offline run cannot downgrade a model's text.
"""
import functools
import json
import os
import sqlite3
import time
from pathlib import Path

from ..errors import AltdeckError
from ..files import Changed, locked, stamp, sweep_temp_files
from . import altfile
from .altfile import HUMAN, Entry  # noqa: F401  (Entry is the store's record)
from .reports import file_sha256

DB_NAME = "alt-text.sqlite"    # in the state folder
OLD_DB_NAME = "images.sqlite"  # altdeck 0.1's journal (pictures only): its unfolded answers are taken over
LOCK_NAME = "images.lock"      # in the state folder: every read-modify-write of alt-text.yaml holds it
FOLD_TRIES = 20                # merges from a fresh read when people keep saving the file during a fold

# An Entry as a row: the one place that lists its fields.
_FIELDS = ("text", "source", "signature", "reviewed", "seen", "decorative", "reason", "waive")
_COLUMNS = ("key text primary key, text text not null, source text not null, signature text not null, "
            "reviewed integer not null, seen text not null, decorative integer not null, reason text not null, "
            "waive text not null")
_SELECT = ", ".join(_FIELDS)
_PLACES = ", ".join("?" * (len(_FIELDS) + 1))


def _row(key: str, e: Entry) -> tuple:
    return (key, e.text, e.source, e.signature, int(e.reviewed), e.seen, int(e.decorative), e.reason,
            json.dumps(sorted(e.waive)) if e.waive else "")


def _entry(row) -> Entry:
    text, source, signature, reviewed, seen, decorative, reason, waive = row
    return Entry(text, source, signature, bool(reviewed), seen, bool(decorative), reason,
                 tuple(json.loads(waive)) if waive else ())


def lock_path(cfg):
    """The lock a person's change to alt-text.yaml takes, like the fold of model answers does."""
    return cfg.root_dir / cfg.state_dir / LOCK_NAME


def winner(committed: Entry | None, new: Entry | None) -> Entry | None:
    """What the store holds for an object after `new` arrives on top of `committed`."""
    if committed is None or (new is not None and (new.source == HUMAN or not committed.protected)):
        return new if new is not None else committed
    return committed


def temp_dir(state, committed):
    """Where alt-text.yaml's temp file goes: the state folder when it is on the file's file system
    (a rename, and never a file in the course's `git status`), else beside the file."""
    try:
        if os.stat(state).st_dev == os.stat(os.path.dirname(altfile.target(committed))).st_dev:
            return os.fspath(state)
    except OSError:
        pass
    return None


def change_file(cfg, change, waivers=False) -> dict:
    """A person's read-modify-write of the committed file (`change(entries)` edits the dict in place;
    with `waivers`, `change(entries, waivers)` may edit the deck waivers too), under the store's lock
    and replaced only if nobody saved the file meanwhile, like the fold; -> the entries written."""
    path = cfg.root_dir / cfg.store_file
    state = cfg.root_dir / cfg.state_dir
    with locked(lock_path(cfg)):
        for _ in range(FOLD_TRIES):
            read = stamp(path)
            entries, deck_waivers = altfile.read_all(path)
            change(entries, deck_waivers) if waivers else change(entries)
            try:
                altfile.write(path, entries, temp_dir=temp_dir(state, path), expect=read, waivers=deck_waivers)
                return entries
            except Changed:
                continue
    raise altfile.AltFileError(f"{path}: kept changing while altdeck wrote it; try again")


_ANYTHING_TO_FOLD = "select exists(select 1 from journal) or exists(select 1 from seen)"


def _read_only(cfg, query):
    """`query(db)` on the course's store opened read-only, without the lock; None when there is no
    store or it cannot be read (the caller then opens the Store, which says why)."""
    path = cfg.root_dir / cfg.state_dir / DB_NAME
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            return query(db)
        finally:
            db.close()
    except sqlite3.Error:
        return None


def current_texts(cfg) -> dict | None:
    """{key: (text, decorative)} of the committed file when the copy here is of the file as it is
    now, else None (the Store re-reads a changed file under its lock).

    Without Entry objects: what a no-op run's up-to-date checks compare.
    """
    def texts(db):
        row = db.execute("select value from meta where key = 'file'").fetchone()
        if row is None or row[0] != stamp(cfg.root_dir / cfg.store_file):
            return None
        return {key: (text, bool(decorative))
                for key, text, decorative in db.execute("select key, text, decorative from committed")}
    return _read_only(cfg, texts)


def nothing_to_fold(cfg) -> bool:
    """True when Store.fold would find nothing to write (no answer, no first sighting): a run that
    built nothing can skip opening the store under its lock."""
    return _read_only(cfg, lambda db: not db.execute(_ANYTHING_TO_FOLD).fetchone()[0]) is True


def _stable_digest(path, expect: str) -> str:
    """sha256 of the file's bytes while its stamp is `expect`, "" when it changed meanwhile or cannot
    be read.  Kept beside the stamp of the copy: the same bytes under a new stamp are not parsed again."""
    if expect == "absent":
        return ""
    try:
        digest = file_sha256(path)
    except OSError:
        return ""
    return digest if stamp(path) == expect else ""


class StoreError(AltdeckError):
    """The journal or the alt-text file cannot be read or written (disk full, read-only folder)."""


def _plainly(method):
    """A store operation whose sqlite3 or OS errors become one line naming the file and the cause."""
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as e:
            where, cause = self.path, str(e)
        except OSError as e:
            where, cause = e.filename or self.path, e.strerror or str(e)
        raise StoreError(f"{where}: {cause}; free space or make the folder writable, then run altdeck again") \
            from None
    return run


class Store:
    @_plainly
    def __init__(self, path, committed=None):
        """`path`: the SQLite database; `committed`: the alt-text file (None: SQLite only)."""
        self._db = None
        self.path = path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.committed = Path(committed) if committed else None
        self._lock = path.parent / LOCK_NAME
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        with locked(self._lock):  # switching to WAL needs the database alone: decks start together
            if self._db.execute("pragma journal_mode").fetchone()[0] != "wal":
                self._db.execute("pragma journal_mode=wal")
            self._db.execute(f"create table if not exists journal ({_COLUMNS}, updated real not null)")
            self._db.execute(f"create table if not exists committed ({_COLUMNS})")
            self._db.execute("create table if not exists seen (key text primary key, place text not null)")
            self._db.execute("create table if not exists meta (key text primary key, value text)")
            self._db.execute("create table if not exists readings (key text not null, engine text not null, "
                             "reading text not null, primary key (key, engine))")
            if path.name != OLD_DB_NAME:
                self._take_over(path.parent / OLD_DB_NAME)
            self._sync_copy()
        self._db.execute("pragma synchronous=normal")

    @classmethod
    def for_course(cls, cfg):
        return cls(cfg.root_dir / cfg.state_dir / DB_NAME, cfg.root_dir / cfg.store_file)

    def _take_over(self, old):
        """Answers altdeck 0.1 journaled and never folded (a killed run) join this journal (under the lock)."""
        if not old.exists():
            return
        try:
            src = sqlite3.connect(old)
            rows = src.execute("select hash, text, source, signature, reviewed from journal").fetchall()
            src.close()
        except sqlite3.Error:
            rows = []
        for h, text, source, signature, reviewed in rows:
            self._db.execute(f"insert or replace into journal values ({_PLACES}, ?)",
                             _row(h, Entry(text, source, signature, bool(reviewed))) + (time.time(),))
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(f"{old}{suffix}")
            except FileNotFoundError:
                pass

    # -- lookups and answers --------------------------------------------------------------------
    @_plainly
    def get(self, key: str) -> Entry | None:
        row = self._db.execute(f"select {_SELECT} from journal where key = ?", (key,)).fetchone()
        return winner(self._committed(key), _entry(row) if row else None)

    def _committed(self, key: str) -> Entry | None:
        row = self._db.execute(f"select {_SELECT} from committed where key = ?", (key,)).fetchone()
        return _entry(row) if row else None

    @_plainly
    def committed_entries(self) -> dict:
        """{key: Entry} of the committed file, from its copy here (the file is parsed only when it changed)."""
        return {row[0]: _entry(row[1:]) for row in self._db.execute(f"select key, {_SELECT} from committed")}

    @_plainly
    def put(self, key: str, entry: Entry):
        """Store a result now; never overwrites human or reviewed text with machine text."""
        if winner(self.get(key), entry) is not entry:
            return
        self._db.execute(f"insert or replace into journal values ({_PLACES}, ?)", _row(key, entry) + (time.time(),))

    @_plainly
    def readings(self, keys, engine: str) -> dict:
        """{image hash: reading JSON} stored for `engine` (a signature digest), of those keys that have one."""
        keys, out = list(keys), {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            out.update(self._db.execute(f"select key, reading from readings where engine = ? and key in "
                                        f"({', '.join('?' * len(chunk))})", (engine, *chunk)).fetchall())
        return out

    @_plainly
    def put_readings(self, readings: dict, engine: str):
        """Keep what OCR found ({image hash: reading JSON}) for every later deck and run."""
        if readings:
            self._db.executemany("insert or replace into readings values (?, ?, ?)",
                                 [(k, engine, v) for k, v in readings.items()])

    @_plainly
    def note_seen(self, seen: dict):
        """{key: "deck:slide"}: where new entries of the file say an object was first met."""
        self._db.executemany("insert or ignore into seen values (?, ?)", list((seen or {}).items()))

    # -- the committed file ---------------------------------------------------------------------
    def _sync_copy(self) -> str | None:
        """Re-read the file into `committed` when it changed since the last read (call under the lock);
        -> the stamp of the version the table now holds."""
        if not self.committed:
            return None
        now = stamp(self.committed)
        row = self._db.execute("select value from meta where key = 'file'").fetchone()
        known = self._db.execute("select exists(select 1 from meta where key = 'waivers')").fetchone()[0]
        if row and row[0] == now and known:        # (a copy made before waivers existed is read again)
            return now
        digest = _stable_digest(self.committed, now)
        held = self._db.execute("select value from meta where key = 'file_sha256'").fetchone()
        if row and known and digest and held and held[0] == digest:
            # the same bytes under a new stamp (a fresh clone, a checkout, a touch): nothing to parse
            self._db.execute("insert or replace into meta values ('file', ?)", (now,))
            return now
        entries, waivers = altfile.read_all(self.committed)
        unchanged = stamp(self.committed) == now          # the digest is of the bytes parsed
        self._db.execute("begin immediate")
        self._db.execute("delete from committed")
        self._db.executemany(f"insert into committed values ({_PLACES})", [_row(k, e) for k, e in entries.items()])
        self._db.execute("insert or replace into meta values ('file', ?)", (now,))
        self._db.execute("insert or replace into meta values ('file_sha256', ?)", (digest if unchanged else "",))
        self._db.execute("insert or replace into meta values ('waivers', ?)",
                         (json.dumps({d: [vars(w) for w in ws] for d, ws in waivers.items()}),))
        self._db.execute("commit")
        return now

    def _waivers(self) -> dict:
        """The file's deck waivers as last read (a fold writes them back unchanged)."""
        row = self._db.execute("select value from meta where key = 'waivers'").fetchone()
        return {d: [altfile.Waiver(**w) for w in ws] for d, ws in json.loads(row[0]).items()} if row else {}

    @_plainly
    def fold(self):
        """Move the journal into the committed file (one rewrite however many answers arrived).

        The journal is merged into the file's table a row at a time (by `winner`, the one
        precedence rule) and the file is written from the sorted table an entry at a time:
        folding a big course's answers takes memory for one entry, not for the course.
        The write transaction holds off new answers until the file and the tables agree.
        A save of the file by a person between our read and our replace is never overwritten:
        the merge is undone and done again from their version.
        """
        if not self.committed:
            return
        tmp_dir = temp_dir(self._lock.parent, self.committed)
        with locked(self._lock):
            name = os.path.basename(altfile.target(self.committed))
            for folder in {tmp_dir, os.path.dirname(altfile.target(self.committed))} - {None}:
                sweep_temp_files(folder, recursive=False, only_for=name)      # a killed fold's
            for _ in range(FOLD_TRIES):
                read = self._sync_copy()
                if not self._db.execute(_ANYTHING_TO_FOLD).fetchone()[0]:
                    return
                try:
                    self._merge_and_write(read, tmp_dir)
                    return
                except Changed:
                    continue                  # saved by someone meanwhile: merge again from their version
            raise altfile.AltFileError(f"{self.committed}: kept changing while altdeck merged its new texts into "
                                       f"it ({FOLD_TRIES} tries); they wait in the state folder: run altdeck "
                                       "again when nobody is saving it")

    def _merge_and_write(self, read: str, tmp_dir):
        db = self._db
        db.execute("begin immediate")
        try:
            for row in db.cursor().execute(f"select key, {_SELECT} from journal"):
                key, new = row[0], _entry(row[1:])
                old = self._committed(key)
                new.seen = old.seen if old else ""
                if winner(old, new) is new:
                    db.execute(f"insert or replace into committed values ({_PLACES})", _row(key, new))
            db.execute("""update committed set seen = (select place from seen where seen.key = committed.key)
                          where seen = '' and key in (select key from seen)""")
            rows = db.execute(f"select key, {_SELECT} from committed order by key")
            written = altfile.write(self.committed, ((row[0], _entry(row[1:])) for row in rows),
                                    temp_dir=tmp_dir, expect=read, waivers=self._waivers())
            db.execute("delete from journal")
            db.execute("delete from seen")
            db.execute("insert or replace into meta values ('file', ?)", (written or read,))
            if written:
                db.execute("insert or replace into meta values ('file_sha256', ?)",
                           (_stable_digest(self.committed, written),))
            db.execute("commit")
        except BaseException:
            db.execute("rollback")
            raise

    @_plainly
    def close(self, seen: dict | None = None, fold: bool = True):
        """Record where objects were seen; fold into the file unless a batch run folds at its end."""
        try:
            self.note_seen(seen)
            if fold:
                self.fold()
        finally:
            if self._db is not None:
                self._db.close()
