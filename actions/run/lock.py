"""One build at a time per course folder: `<state_dir>/lock`.

An flock (released by the kernel when the holder dies, so a killed run never
blocks the next) plus who holds it (pid, start time, batch id), so a second
run can say whom it is waiting for.  `altdeck clean` and `forget` take it too:
they never remove outputs or records under a running build.
"""
import json
import os
from datetime import datetime

from ..errors import AltdeckError
from ..files import process_alive, try_lock


class BatchLocked(AltdeckError):
    """Another run holds the folder's lock."""


class RunLock:
    """`<state_dir>/lock`: held for a whole build; acquire() never waits."""

    def __init__(self, state_dir):
        self.path = os.path.join(state_dir, "lock")
        self.file = None

    def acquire(self, batch_id) -> dict:
        """Take the lock or raise BatchLocked naming the holder; -> what it now says about us.

        Afterwards `unclean` says whether the previous run ended without releasing it (killed).
        """
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        while True:
            f = try_lock(self.path)
            if f is None:
                holder = self._holder()
                if holder.get("pid") and not _alive(holder["pid"]):
                    # dead holder whose lock lives on in a leftover child (doit -n N worker): take over
                    self._unlink_if_same(holder)
                    continue
                raise BatchLocked(
                    f"{os.path.dirname(os.path.dirname(self.path)) or '.'}: another altdeck run is in progress "
                    f"(pid {holder.get('pid', '?')}, started {holder.get('started', '?')}, "
                    f"batch {holder.get('batch', '?')}); wait for it to finish or stop it") from None
            if not _same_file(f.fileno(), self.path):        # replaced while we waited: lock the new one
                f.close()
                continue
            break
        self.file = f
        # a holder that ended cleanly emptied the file; anything left names a run that was killed
        self.unclean = bool(os.pread(f.fileno(), 4096, 0).strip())
        os.register_at_fork(after_in_child=self._forget_in_child)
        info = {"pid": os.getpid(), "started": datetime.now().isoformat(timespec="seconds"), "batch": batch_id}
        os.ftruncate(f.fileno(), 0)
        os.pwrite(f.fileno(), (json.dumps(info) + "\n").encode(), 0)
        return info

    def _forget_in_child(self):
        # a forked doit worker must not keep the lock alive after the run's own process died
        if self.file is not None:
            try:
                self.file.close()
            except OSError:
                pass
            self.file = None

    def release(self):
        if self.file is not None:
            os.ftruncate(self.file.fileno(), 0)
            self.file.close()        # closing releases the flock; the empty file stays for the next run
            self.file = None

    def _holder(self) -> dict:
        try:
            with open(self.path, encoding="utf-8") as f:
                return json.loads(f.read(4096) or "{}")
        except (OSError, ValueError):
            return {}

    def _unlink_if_same(self, holder):
        if self._holder() == holder:
            try:
                os.unlink(self.path)
            except OSError:
                pass


def _alive(pid) -> bool:
    try:
        return process_alive(int(pid))
    except (ValueError, TypeError):
        return True                  # a holder we cannot read: not taken over


def _same_file(fd, path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)
