"""Child processes: in their own process group, killed as a group; and altdeck itself started again.

A deck's worker, an image converter or LibreOffice can start children of
their own; killing only the direct child leaves those running (and writing).
Every process altdeck starts goes into a new session, and a timeout or a
stop kills the whole group.  A deck's worker tells the process that started
it about every group it starts (`popen_group`), so a deck killed for its
timeout takes them along even when it had no time to kill them itself.
"""
import os
import shutil
import signal
import subprocess
import sys


def kill_group(pid: int):
    """SIGKILL the process group led by `pid` (gone already: nothing to do)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


_groups_fd = None       # in a deck worker: the pipe on which it names the groups it starts


def report_groups_to(fd: int):
    """Name every process group started from now on (its leader's pid, a line each) on `fd`."""
    global _groups_fd
    _groups_fd = fd


def popen_group(args, **kwargs) -> subprocess.Popen:
    """subprocess.Popen in a new process group, named to whoever must kill it with the deck."""
    proc = subprocess.Popen(args, start_new_session=True, **kwargs)
    if _groups_fd is not None:
        try:
            os.write(_groups_fd, f"{proc.pid}\n".encode())
        except OSError:
            pass
    return proc


def run_quietly(args, timeout_s: float, cwd=None, env=None) -> int:
    """Run a command in its own process group, output discarded; on timeout kill the group.

    Raises FileNotFoundError when the program is not installed, subprocess.TimeoutExpired on timeout.
    """
    if shutil.which(args[0]) is None:
        raise FileNotFoundError(args[0])
    proc = popen_group(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    try:
        return proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        kill_group(proc.pid)
        proc.wait()
        raise
    finally:
        kill_group(proc.pid)          # children it left behind go with it


# -- starting this same altdeck in another process --------------------------------------------

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
IMPORT_NAME = __package__.split(".")[0]   # "altdeck" when installed; "actions" from a checkout's dodo.py


def altdeck_python(module: str = "", *args) -> tuple:
    """-> (argv, folder to put on PYTHONPATH or None) running `python -P -m <altdeck>[.module] args`.

    `-P` keeps the current folder off sys.path, so a course's own `actions.py` or `altdeck/`
    cannot shadow altdeck.  An altdeck imported by its folder's name (a checkout used through its
    dodo.py) is found through PYTHONPATH; an installed one (wheel or editable) needs nothing.
    """
    name = f"{IMPORT_NAME}.{module}" if module else IMPORT_NAME
    extra = os.path.dirname(PACKAGE_DIR) if os.path.basename(PACKAGE_DIR) == IMPORT_NAME else None
    return [sys.executable, "-P", "-m", name, *args], extra


def with_pythonpath(env: dict, folder) -> dict:
    """`env` with `folder` first on PYTHONPATH (None: unchanged)."""
    if folder:
        env = dict(env, PYTHONPATH=os.pathsep.join(filter(None, [folder, env.get("PYTHONPATH")])))
    return env
