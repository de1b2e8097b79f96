"""Atomic writes: a temp file beside the target, renamed onto it only when complete.

doit has no delete-on-error (#191): whatever kills the process, no partial
file ever appears at a target path.
"""
import os
from contextlib import contextmanager


@contextmanager
def atomic_path(dest):
    """Yield a temp path beside `dest`; rename it onto `dest` only if the block succeeds."""
    dest = os.fspath(dest)
    folder, name = os.path.split(dest)
    os.makedirs(folder or ".", exist_ok=True)
    tmp = os.path.join(folder, f".~altdeck.{os.getpid()}.{name}")
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
