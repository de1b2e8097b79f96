"""The files altdeck writes and reads: atomically, under a lock, and YAML safely.

One place for each of these, because each has a subtle rule:
- atomic writes: doit has no delete-on-error (#191), so whatever kills the
  process no partial file may ever appear at a target path; a temp file a
  killed process leaves is named so the next run can sweep it, and never
  longer than the file system allows;
- compare-and-swap: a file people edit (alt-text.yaml) is replaced only if it
  is still the version that was read; editors do not take our lock;
- flock: released by the kernel when the holder dies, so a killed run never
  leaves a lock behind; it belongs to the open file, so threads of one
  process compete like processes do;
- YAML: safe loading only, no anchors, aliases or duplicate keys, and one way
  of saying where a file is broken.
"""
import errno
import fcntl
import hashlib
import os
import stat
from contextlib import contextmanager

from .errors import AltdeckError, brief

TEMP_PREFIX = ".~altdeck."     # hidden, so never taken for a deck; swept at the start of a run
NAME_MAX = 255                 # bytes in one file name on every file system altdeck meets


# -- atomic writes ---------------------------------------------------------------------------

def stamp(path) -> str:
    """What changes when a file is saved, in place or by renaming another over it ("absent": none)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "absent"
    return f"{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"


def temp_path(dest, pid=None, folder=None) -> str:
    """The temp file process `pid` writes (in `folder`, default beside `dest`) before renaming it onto `dest`.

    A name too long for the file system (the prefix added to a 240-byte deck name) is shortened,
    keeping a digest of the whole name so two long names never share a temp file.
    """
    where, name = os.path.split(os.fspath(dest))
    prefix = f"{TEMP_PREFIX}{pid or os.getpid()}."
    if len(os.fsencode(prefix + name)) > NAME_MAX:
        digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:16]
        name = f"{digest}.{os.fsencode(name)[-64:].decode('utf-8', 'ignore')}"
    return os.path.join(folder or where, prefix + name)


@contextmanager
def atomic_path(dest, only_if_changed=False, temp_dir=None, expect=None, done=None):
    """Yield a temp path; rename it onto `dest` only if the block succeeds.

    `only_if_changed`: leave `dest` (and its mtime) alone when the new bytes are the same.
    `temp_dir`: where the temp file goes (same file system as `dest`), default beside it.
    `expect`: the stamp() of `dest` when it was read; raises Changed, replacing nothing,
    when `dest` is no longer that version (see replace_if_unchanged).
    `done`: a dict that gets "stamp", the stamp() of the file now at `dest` as written (a save
    made after ours must not be taken for ours).
    The new file keeps the mode of the file it replaces.
    """
    dest = os.fspath(dest)
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    tmp = temp_path(dest, folder=temp_dir)
    try:
        yield tmp
        import filecmp                    # here: a no-op run (its log aside) writes no file
        if only_if_changed and os.path.isfile(dest) and filecmp.cmp(tmp, dest, shallow=False) \
                and (expect is None or stamp(dest) == expect):
            if done is not None:
                done["stamp"] = stamp(dest) if expect is None else expect
            return
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        try:
            os.chmod(tmp, stat.S_IMODE(os.stat(dest).st_mode))
        except FileNotFoundError:
            pass
        written = stamp(tmp)          # a rename keeps inode, mtime and size
        if expect is None:
            os.replace(tmp, dest)
        elif not replace_if_unchanged(tmp, dest, expect):
            raise Changed(dest)
        if done is not None:
            done["stamp"] = written
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


class Changed(Exception):
    """The file was saved by someone else since it was read; nothing was replaced."""


def replace_if_unchanged(tmp, dest, expect: str) -> bool:
    """Rename `tmp` onto `dest` if `dest` is still the version stamped `expect`; -> whether it did.

    Compare-and-swap without a lock the other writer takes (a person's editor): the files are
    exchanged atomically (renameat2 RENAME_EXCHANGE), then what came out is checked; if it
    is not the expected version, a save landed in between and is exchanged back, so no save
    is ever lost.  Where the file system cannot exchange, the stamp is compared just
    before an ordinary rename (a window of microseconds).
    """
    if stamp(dest) != expect:
        return False
    if expect == "absent":
        try:
            if _renameat2(tmp, dest, _RENAME_NOREPLACE):
                return True
        except FileExistsError:
            return False
        os.replace(tmp, dest)
        return True
    mine = os.stat(tmp).st_ino
    if not _renameat2(tmp, dest, _RENAME_EXCHANGE):
        os.replace(tmp, dest)
        return True
    if stamp(tmp) == expect:              # what we displaced is what we read: done
        os.unlink(tmp)
        return True
    _renameat2(tmp, dest, _RENAME_EXCHANGE)          # their save goes back in place
    if os.stat(tmp).st_ino != mine:                  # and another save landed on ours meanwhile: keep it too
        kept = f"{dest}.conflict-{os.getpid()}"
        os.replace(tmp, kept)
        raise AltdeckError(f"{dest}: saved twice while altdeck was writing it; one of the saves is kept as "
                           f"{kept}: merge it into {os.path.basename(dest)} and delete it")
    return False


_AT_FDCWD, _RENAME_NOREPLACE, _RENAME_EXCHANGE = -100, 1, 2
_LIBC = []


def _renameat2(src, dst, flags) -> bool:
    """Linux renameat2(2); False when the system or the file system cannot do it."""
    if not _LIBC:
        try:
            import ctypes.util            # only where a file is swapped: no-op builds never load it
            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            _LIBC.append(getattr(libc, "renameat2", None))
        except OSError:
            _LIBC.append(None)
    fn = _LIBC[0]
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0:
        return True
    import ctypes
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), os.fspath(dst))


def write_text(dest, text: str, only_if_changed=False):
    """Write a whole text file atomically (UTF-8)."""
    with atomic_path(dest, only_if_changed) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)


def remove(paths):
    """Remove files that may or may not exist (on a read-only file system they cannot)."""
    for p in paths:
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass
        except OSError as e:
            if e.errno != errno.EROFS:
                raise


def sweep_temp_files(folder, recursive=True, only_for=None):
    """Remove the temp files killed processes left under `folder`.

    A temp file names the process writing it (temp_path): one whose process is alive is
    being written and stays.  `only_for`: just the temp files of that file name.
    """
    for dirpath, _, names in os.walk(folder) if recursive else [(folder, None, _names(folder))]:
        remove(os.path.join(dirpath, n) for n in names if n.startswith(TEMP_PREFIX) and not _writer_alive(n)
               and (only_for is None or n.split(".", 3)[-1] == only_for))


def _names(folder) -> list:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _writer_alive(name) -> bool:
    try:
        pid = int(name[len(TEMP_PREFIX):].split(".", 1)[0])
    except ValueError:
        return False
    return process_alive(pid)


def process_alive(pid: int) -> bool:
    """Whether process `pid` still runs: it exists and is not a zombie (killed, not yet reaped by its
    parent: it holds no lock and writes nothing more)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True                  # another user's process
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


# -- flock -----------------------------------------------------------------------------------

def try_lock(path):
    """-> the open file holding an exclusive flock on `path`, or None when another holder has it."""
    f = open(path, "a+b")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return f
    except BlockingIOError:
        f.close()
        return None


@contextmanager
def locked(path):
    """Hold an exclusive flock on `path` (created if needed) for the block; waits for it."""
    os.makedirs(os.path.dirname(os.fspath(path)) or ".", exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# -- YAML ------------------------------------------------------------------------------------

class YAMLFileError(AltdeckError):
    """A YAML file cannot be read; str() names the file, the line and what to do."""


class _Refused(Exception):
    def __init__(self, line, problem):
        super().__init__(problem)
        self.line, self.problem = line, problem


def _loader():
    """The safe loader (libyaml when available) refusing what a hand-edited file never needs.

    Anchors and aliases let 500 bytes expand into gigabytes (an alias bomb) and merge keys
    (`<<`) are built from them; a duplicate key silently drops the first value (a bad merge of
    alt-text.yaml would drop a person's text).  Refused when they are built, before any
    expansion happens.
    """
    import yaml

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        def construct_object(self, node, deep=False):
            if node in self.constructed_objects or node in self.recursive_objects:
                raise _Refused(node.start_mark.line + 1, "has a value anchored (&) and used again through an alias "
                                                         "(*); altdeck accepts no YAML anchors or aliases: write "
                                                         "the values out")
            return super().construct_object(node, deep)

        def flatten_mapping(self, node):
            for key, _ in node.value:
                if key.tag == "tag:yaml.org,2002:merge":
                    raise _Refused(key.start_mark.line + 1, "uses a YAML merge key (<<); write the keys out")
            seen = {}
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode):
                    first = seen.setdefault((key.tag, key.value), key.start_mark.line + 1)
                    if first != key.start_mark.line + 1:
                        raise _Refused(key.start_mark.line + 1,
                                       f"has the key {brief(key.value)} twice (lines {first} and "
                                       f"{key.start_mark.line + 1}); keep one")
            super().flatten_mapping(node)
    return Loader


_LOADER = []


def read_yaml(path, what_to_do: str = "fix it", cache=None):
    """The document in a YAML file (safe loader; libyaml when available), or None when empty.

    `cache`: a JSON file (in a state folder that exists) of documents by the digest of their
    bytes.  A document read before comes from it without importing PyYAML, which alone costs a
    no-op run ~6 ms; only documents JSON gives back exactly (string keys, plain values) go in.
    """
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise YAMLFileError(f"{path}: cannot be read ({e.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise YAMLFileError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    if cache is None:
        return _parse_yaml(path, text, what_to_do)
    digest = hashlib.sha256(raw).hexdigest()
    docs = _cached_documents(cache)
    if digest in docs:
        return docs[digest]
    doc = _parse_yaml(path, text, what_to_do)
    if _json_exact(doc):
        _remember_document(cache, docs, digest, doc)
    return doc


def _parse_yaml(path, text: str, what_to_do: str):
    import yaml
    if not _LOADER:
        _LOADER.append(_loader())
    try:
        return yaml.load(text, Loader=_LOADER[0])
    except _Refused as e:
        raise YAMLFileError(f"{path}: line {e.line} {e.problem}; {what_to_do}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise YAMLFileError(f"{path}: not valid YAML{where} ({problem}); {what_to_do}") from None


CACHED_DOCUMENTS = 8          # a cache keeps the documents last read (a config edited back and forth)


def _cached_documents(cache) -> dict:
    import json
    try:
        with open(cache, encoding="utf-8") as f:
            docs = json.load(f)
    except (OSError, ValueError):
        return {}                       # none yet, or unreadable: parsed again and rewritten
    return docs if isinstance(docs, dict) else {}


def _json_exact(v) -> bool:
    """Would JSON give back exactly this value? (YAML also makes dates, int keys, sets...)"""
    if isinstance(v, dict):
        return all(isinstance(k, str) and _json_exact(x) for k, x in v.items())
    if isinstance(v, list):
        return all(_json_exact(x) for x in v)
    return v is None or isinstance(v, (str, bool, int, float))


def _remember_document(cache, docs: dict, digest: str, doc):
    """Add a document to the cache; skipped when its folder is absent or read-only (it is only a cache)."""
    import json
    docs = dict(list(docs.items())[-(CACHED_DOCUMENTS - 1):])
    docs[digest] = doc
    if not os.path.isdir(os.path.dirname(os.fspath(cache)) or "."):
        return
    try:
        write_text(cache, json.dumps(docs))
    except OSError:
        pass
