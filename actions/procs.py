"""Child processes: in their own process group, killed as a group; and altdeck itself started again.

A deck's worker, an image converter or LibreOffice can start children of
their own; killing only the direct child leaves those running (and writing).
Every process altdeck starts goes into a new session, and a timeout or a
stop kills the whole group.
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


def run_quietly(args, timeout_s: float, cwd=None) -> int:
    """Run a command in its own process group, output discarded; on timeout kill the group.

    Raises FileNotFoundError when the program is not installed, subprocess.TimeoutExpired on timeout.
    """
    if shutil.which(args[0]) is None:
        raise FileNotFoundError(args[0])
    proc = subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
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
