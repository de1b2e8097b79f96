"""Measuring commands: wall time and peak memory (PSS) of a whole process tree, and raw doit's baseline."""
import ctypes
import os
import platform
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


_KCMP = {"x86_64": 312, "aarch64": 272}.get(platform.machine())    # kcmp(2) syscall number
_KCMP_VM = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _same_memory(pid: int, parent: int) -> bool:
    """Does `pid` run in its parent's address space? True for a vfork child before its exec.

    subprocess starts each deck worker with vfork: until it execs, the child *is* its parent's
    memory, and /proc shows the whole of it again under the child's pid. Counting that would
    add doit's process a second time whenever a sample lands in the window.
    """
    if _KCMP is not None:
        r = _libc.syscall(_KCMP, pid, parent, _KCMP_VM, 0, 0)
        if r in (0, 1, 2):
            return r == 0
    try:        # no kcmp: a child that has not exec'd yet and shows its parent's mappings
        with open(f"/proc/{pid}/smaps_rollup") as a, open(f"/proc/{parent}/smaps_rollup") as b:
            return a.readline() == b.readline() and _not_execed(pid)
    except OSError:
        return False


def _not_execed(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as f:
        flags = int(f.read().rsplit(")", 1)[1].split()[6])
    return bool(flags & 0x40)                   # PF_FORKNOEXEC


def _tree_pss(root: int) -> tuple:
    """Memory (bytes) of `root` and all its descendants, from /proc: (the sum of their PSS, root's own).

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
    own = _pss(root)
    total, todo = own, [(pid, root) for pid in children.get(root, [])]
    while todo:
        pid, parent = todo.pop()
        if not _same_memory(pid, parent):
            total += _pss(pid)
        todo += [(child, pid) for child in children.get(pid, [])]
    return total, own


def run(cmd, cwd=None, env=None, interval=0.05, discard_output=False) -> dict:
    """Run a command; wall seconds, exit code, output, and peak memory (PSS) in MB of the whole
    tree and of the command's own process (doit's main process, which holds the tasks).

    `discard_output`: stdout to /dev/null instead of a pipe (raw doit prints a line for each
    up-to-date task, which costs it more in a pipe than altdeck's one summary line)."""
    # Bytecode is cached as on a user's machine: with PYTHONDONTWRITEBYTECODE set (as on some CI
    # machines) every run would compile altdeck's modules again, and not doit's (pip compiled those).
    e = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    e.update(PYTHONPATH=str(REPO), **(env or {}))
    started_at = time.time()                  # wall clock, to place a model server's request times
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=e, stdout=subprocess.DEVNULL if discard_output else subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak = [0, 0]

    def sample():
        while proc.poll() is None:
            tree, own = _tree_pss(proc.pid)
            peak[:] = max(peak[0], tree), max(peak[1], own)
            time.sleep(interval)
    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    t.join()
    return {"wall_s": wall, "started_at": started_at, "rc": proc.returncode, "stdout": out, "stderr": err, "peak_mb": peak[0] / 2**20,
            "main_peak_mb": peak[1] / 2**20}


def say(what):
    """Progress on stderr: a full benchmark takes minutes."""
    print(f"[{time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


def checked(result, what):
    """The result of a run that must succeed, else the benchmark stops saying what failed."""
    if result["rc"] != 0:
        raise SystemExit(f"benchmark: {what} failed (exit {result['rc']}):\n{result['stderr'][-2000:]}")
    return result


def options(doc: str, tiny: str, argv=None):
    """A benchmark's command line: --tiny (what the test suite runs) and --out; -> (tiny, results folder)."""
    import argparse
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tiny", action="store_true", help=f"{tiny} (the test suite runs this)")
    ap.add_argument("--out", type=Path, default=None, help="results folder (default benchmarks/results)")
    args = ap.parse_args(argv)
    out = args.out or REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    return args.tiny, out


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
    if not dodo.exists() or dodo.read_text() != RAW_DODO:
        dodo.write_text(RAW_DODO)         # not on every call: a rewritten dodo is compiled again, which
                                          # charged raw doit's no-op ~10 ms and flattered altdeck's ratio
    return run([sys.executable, "-m", "doit", "-f", str(dodo), "-d", str(folder), *args], **kw)
