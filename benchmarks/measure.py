"""Measuring commands: wall time and peak memory (PSS) of a whole process tree, and raw doit's baseline."""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _pss(pid: int) -> int:
    """Proportional set size in bytes: pages shared with other processes count once over all of them."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree_pss(root: int) -> int:
    """Memory (bytes) of `root` and all its descendants, from /proc: the sum of their PSS.

    RSS would count the pages doit's forked workers share with it once per process.
    """
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _pss(pid)
        todo += children.get(pid, [])
    return total


def run(cmd, cwd=None, env=None, interval=0.05) -> dict:
    """Run a command; wall seconds, exit code, output and the tree's peak memory (PSS) in MB."""
    e = dict(os.environ, PYTHONPATH=str(REPO), **(env or {}))
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_pss(proc.pid))
            time.sleep(interval)
    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    t.join()
    return {"wall_s": wall, "rc": proc.returncode, "stdout": out, "stderr": err, "peak_mb": peak[0] / 2**20}


def altdeck(folder, *args, **kw) -> dict:
    return run([sys.executable, "-m", "doit", "-f", str(REPO / "dodo.py"), "-d", str(folder), *args], **kw)


RAW_DODO = '''"""Raw doit baseline: one task per deck, file_dep the deck, target a copy."""
import glob, shutil
DOIT_CONFIG = {"backend": "sqlite3", "dep_file": ".raw-doit.db", "verbosity": 0}

def _copy(src, dst):
    shutil.copyfile(src, dst)

def task_copy():
    for f in sorted(glob.glob("*.pptx")):
        yield {"name": f, "file_dep": [f], "targets": [".raw-out/" + f], "actions": [(_copy, [f, ".raw-out/" + f])]}
'''


def raw_doit(folder, *args, **kw) -> dict:
    """doit itself on the same decks: one file_dep/target task per deck."""
    folder = Path(folder)
    (folder / ".raw-out").mkdir(exist_ok=True)
    dodo = folder.parent / (folder.name + "-raw-dodo.py")
    dodo.write_text(RAW_DODO)
    return run([sys.executable, "-m", "doit", "-f", str(dodo), "-d", str(folder), *args], **kw)
