"""The files altdeck writes and reads: atomically, under a lock, and YAML safely.

One place for each of these, because each has a subtle rule:
- atomic writes: doit has no delete-on-error (#191), so whatever kills the
  process no partial file may ever appear at a target path;
- flock: released by the kernel when the holder dies, so a killed run never
  leaves a lock behind; it belongs to the open file, so threads of one
  process compete like processes do;
- YAML: safe loading only, and one way of saying where a file is broken.
"""
import fcntl
import filecmp
import os
from contextlib import contextmanager

from .errors import AltdeckError

TEMP_PREFIX = ".~altdeck."     # hidden, so never taken for a deck; swept at the start of a run


# -- atomic writes ---------------------------------------------------------------------------

def temp_path(dest, pid=None) -> str:
    """The temp file process `pid` writes before renaming it onto `dest`."""
    folder, name = os.path.split(os.fspath(dest))
    return os.path.join(folder, f"{TEMP_PREFIX}{pid or os.getpid()}.{name}")


@contextmanager
def atomic_path(dest, only_if_changed=False):
    """Yield a temp path beside `dest`; rename it onto `dest` only if the block succeeds.

    `only_if_changed`: leave `dest` (and its mtime) alone when the new bytes are the same.
    """
    dest = os.fspath(dest)
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    tmp = temp_path(dest)
    try:
        yield tmp
        if only_if_changed and os.path.exists(dest) and filecmp.cmp(tmp, dest, shallow=False):
            return
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(dest, text: str, only_if_changed=False):
    """Write a whole text file atomically (UTF-8)."""
    with atomic_path(dest, only_if_changed) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)


def remove(paths):
    """Remove files that may or may not exist."""
    for p in paths:
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass


def sweep_temp_files(folder):
    """Remove temp files a killed process left under `folder` (call only while no writer runs)."""
    for dirpath, _, names in os.walk(folder):
        remove(os.path.join(dirpath, n) for n in names if n.startswith(TEMP_PREFIX))


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


def unlock(f):
    """Release a lock taken by try_lock."""
    fcntl.flock(f, fcntl.LOCK_UN)
    f.close()


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


def read_yaml(path, what_to_do: str = "fix it"):
    """The document in a YAML file (safe loader; libyaml when available), or None when empty."""
    import yaml
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as e:
        raise YAMLFileError(f"{path}: cannot be read ({e.strerror})") from None
    except UnicodeDecodeError:
        raise YAMLFileError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise YAMLFileError(f"{path}: not valid YAML{where} ({problem}); {what_to_do}") from None
