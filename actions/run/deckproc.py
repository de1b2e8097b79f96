"""One deck's build in its own process: both ends of the protocol.

Parent (`run_deck`, the deck task's python-action, in doit's process): starts
`python -P -m <altdeck>.run.deckproc RESULT_FD GROUPS_FD` in a new process
group, sends the job as JSON on stdin — {"rel", "config", "backend"} — and
waits at most `batch.deck_timeout_s`; a deck that hangs the parser, a
converter, LibreOffice or a model request is killed with everything it
started, and fails with the tails of its stdout and stderr.  Processes the
worker starts in groups of their own (LibreOffice, converters) are named on
GROUPS_FD (procs.popen_group) and killed with it.

Child (`worker_main`): builds the deck and writes the outcome as JSON to the
result pipe: {"summary": {...}} or {"error": "<one line naming the deck>"}.
stdout and stderr stay free for whatever libraries print.  `-P` keeps the
course folder off sys.path: a course's own `actions.py` or `altdeck/` cannot
shadow altdeck in the worker.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

from .. import discover
from ..files import remove, temp_path
from ..procs import altdeck_python, kill_group, report_groups_to, with_pythonpath
from .log import tail

TAIL_BYTES = 64 * 1024          # kept of a worker's stdout/stderr; the rest is read and dropped
RESULT_BYTES = 1024 * 1024
EXIT_DECK_ERROR = 3



def _failure(msg, exit_code=None, stderr_tail=""):
    """A deck failure for doit, carrying what the log records (doit_ext builds doit's exception)."""
    from .doit_ext import deck_failed
    return deck_failed(msg, exit_code, stderr_tail)


# -- parent: one deck, one worker process ---------------------------------------------------

# worker pid -> (files it may leave when killed, its groups' pipe); the second signal kills and cleans them all
_RUNNING = {}
_RUNNING_LOCK = threading.Lock()


class _Drain(threading.Thread):
    """Read a pipe to its end, keeping only the last `limit` bytes."""

    def __init__(self, pipe, limit):
        super().__init__(daemon=True)
        self.pipe, self.limit, self.data = pipe, limit, b""
        self.start()

    def run(self):
        with self.pipe:
            while chunk := self.pipe.read(65536):
                self.data = (self.data + chunk)[-self.limit:]

    def text(self, wait=2.0) -> str:
        self.join(wait)
        return self.data.decode("utf-8", "replace")


def _leftovers(cfg, rel, pid) -> list:
    """The temp files worker `pid` may leave for this deck's copy and report when killed."""
    return [temp_path(p, pid) for p in (discover.output_path(cfg, rel), discover.report_path(cfg, rel))]


def worker_command(result_fd: int, groups_fd: int) -> tuple:
    """-> (argv, env) of a deck worker: this same altdeck, whatever folder it runs in."""
    argv, pythonpath = altdeck_python("run.deckproc", str(result_fd), str(groups_fd))
    return argv, with_pythonpath(os.environ, pythonpath)


def _kill_groups(groups):
    """Kill the process groups a worker named on its groups pipe (LibreOffice, converters)."""
    for line in groups.data.decode("ascii", "replace").split():
        if line.isdigit():
            kill_group(int(line))


def kill_running():
    """Kill every deck worker this process started (with its children) and remove its temp files."""
    with _RUNNING_LOCK:
        items = list(_RUNNING.items())
    for pid, (_, groups) in items:
        kill_group(pid)
        if groups is not None:
            _kill_groups(groups)
    for pid, (paths, _) in items:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        remove(paths)


def run_deck(rel, cfg, settings):
    """doit python-action: build one deck in a worker process; a one-line failure naming the deck.

    Returns the deck's counts, store texts and the stamp of the deck it built plus
    `settings.digest`: doit keeps them as the task's values, which its up-to-date check
    compares (store.freshness.deck_unchanged).
    """
    problem = discover.name_problem(rel)
    if problem:
        return _failure(f"{discover.shown(rel)}: {problem}")
    timeout = cfg.batch.deck_timeout_s
    result_r, result_w = os.pipe()
    groups_r, groups_w = os.pipe()
    proc = groups = None
    try:
        argv, env = worker_command(result_w, groups_w)
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=cfg.root_dir, env=env, pass_fds=(result_w, groups_w), start_new_session=True)
        os.close(result_w)
        os.close(groups_w)
        result_w = groups_w = None
        groups = _Drain(os.fdopen(groups_r, "rb", buffering=0), RESULT_BYTES)
        groups_r = None
        with _RUNNING_LOCK:
            _RUNNING[proc.pid] = (_leftovers(cfg, rel, proc.pid), groups)
        out, err = _Drain(proc.stdout, TAIL_BYTES), _Drain(proc.stderr, TAIL_BYTES)
        result = _Drain(os.fdopen(result_r, "rb", buffering=0), RESULT_BYTES)
        result_r = None
        try:
            proc.stdin.write(json.dumps({"rel": rel, "config": cfg, "backend": settings.backend}).encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            code = proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            kill_group(proc.pid)
            code, timed_out = proc.wait(), True
        kill_group(proc.pid)                 # children the worker left behind go with it
        groups.join(2.0)
        _kill_groups(groups)                 # and the groups it started (LibreOffice)
        stdout, stderr = tail(out.text()), tail(err.text())
        if timed_out:
            return _failure(f"{rel}: timed out after {timeout:g} s (batch.deck_timeout_s); killed with its "
                            f"child processes; stdout: {stdout or '(empty)'}; stderr: {stderr or '(empty)'}",
                            code, stderr)
        try:
            outcome = json.loads(result.text() or "{}")
        except ValueError:
            outcome = {}
        if code == 0 and "summary" in outcome:
            return {**outcome["summary"], "settings": settings.digest}
        if "error" in outcome:                 # the worker's own one-line DeckError, naming the deck
            return _failure(outcome["error"], code, stderr)
        how = (f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}")
        return _failure(f"{rel}: the deck's worker {how}; stderr: {stderr or '(empty)'}", code, stderr)
    finally:
        for fd in (result_r, result_w, groups_r, groups_w):
            if fd is not None:
                os.close(fd)
        if proc is not None:
            if proc.poll() is None:                  # interrupted (second signal) while waiting
                kill_group(proc.pid)
                proc.wait()
            if groups is not None:
                groups.join(2.0)
                _kill_groups(groups)
            with _RUNNING_LOCK:
                paths, _ = _RUNNING.pop(proc.pid, ([], None))
            remove(paths)


# -- child: the worker -----------------------------------------------------------------------

def _die_with_parent():
    """Exit when the process that started us is gone (doit killed with -9): no orphan keeps writing."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(EXIT_DECK_ERROR)
    threading.Thread(target=watch, daemon=True).start()


def worker_main(argv) -> int:
    from ..build import build_deck
    from ..config import from_dict
    from ..describe import make_describer
    from ..errors import AltdeckError
    from ..store import freshness
    from ..store.journal import Store
    from ..store.reports import read_report

    result_fd = int(argv[0])
    report_groups_to(int(argv[1]))
    job = json.load(sys.stdin)
    cfg = from_dict(job["config"])
    _die_with_parent()
    describer, store, report = make_describer(cfg, job["backend"]), None, None
    try:
        store = Store.for_course(cfg)
        outcome = {"summary": build_deck(cfg, job["rel"], describer, store)}
        report = read_report(cfg, job["rel"])
        code = 0
    except AltdeckError as e:
        outcome, code = {"error": str(e)}, EXIT_DECK_ERROR
    finally:
        describer.close()
        if store:
            # where images were seen; the batch runner folds the journal into alt-text.yaml at the end
            store.close(seen=freshness.seen_hints(report) if report else None, fold=False)
    with os.fdopen(result_fd, "w", encoding="utf-8") as f:
        json.dump(outcome, f)
    return code


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
