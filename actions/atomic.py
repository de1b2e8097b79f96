"""Atomic writes: a temp file beside the target, renamed onto it only when complete.

doit has no delete-on-error (#191): whatever kills the process, no partial
file ever appears at a target path.
"""
import filecmp
import os
from contextlib import contextmanager


PREFIX = ".~altdeck."          # hidden, so never taken for a deck; swept at the start of a run


def temp_path(dest, pid=None) -> str:
    """The temp file process `pid` writes before renaming it onto `dest`."""
    folder, name = os.path.split(os.fspath(dest))
    return os.path.join(folder, f"{PREFIX}{pid or os.getpid()}.{name}")


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
