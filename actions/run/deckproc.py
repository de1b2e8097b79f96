"""One deck's build in its own process: both ends of the protocol.

Parent (`run_deck`, the deck task's python-action, in doit's process): takes a
worker — `python -P -m <altdeck>.run.deckproc RESULT_FD GROUPS_FD` in a new process
group, started ahead (a spare, already imported, so the model's slots do not
wait for a Python start) — sends the job as one line of JSON on stdin —
{"rel", "config", "backend", "broker"} — and waits at most
`batch.deck_timeout_s`; a deck that hangs the parser, a converter, LibreOffice
or a model request is killed with everything it started, and fails with the
tails of its stdout and stderr.  Each worker builds exactly one deck.
Processes the worker starts in groups of their own (LibreOffice, converters)
are named on its GROUPS_FD (procs.popen_group) and killed with it.

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

# worker pid -> its Worker; the second signal kills them all (and their groups) and removes their temp files
_RUNNING = {}
_RUNNING_LOCK = threading.Lock()
_BROKER = None           # the build's model broker (describe.broker) address, given to every job
SPARES = 2               # workers started ahead, imported and waiting for a job: a deck starts at once
_SPARE = []
_SPARE_LOCK = threading.Lock()


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


class Worker:
    """A deck worker process in its own process group: started, importing, then waiting for one job."""

    def __init__(self, cwd):
        self.cwd, self.leftovers = str(cwd), []
        result_r, result_w = os.pipe()
        groups_r, groups_w = os.pipe()
        try:
            argv, env = worker_command(result_w, groups_w)
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, cwd=self.cwd, env=env,
                                         pass_fds=(result_w, groups_w), start_new_session=True)
        except BaseException:
            os.close(result_r)
            os.close(groups_r)
            raise
        finally:
            os.close(result_w)
            os.close(groups_w)
        self.out, self.err = _Drain(self.proc.stdout, TAIL_BYTES), _Drain(self.proc.stderr, TAIL_BYTES)
        self.result = _Drain(os.fdopen(result_r, "rb", buffering=0), RESULT_BYTES)
        self.groups = _Drain(os.fdopen(groups_r, "rb", buffering=0), RESULT_BYTES)
        with _RUNNING_LOCK:
            _RUNNING[self.proc.pid] = self

    def give(self, job: dict, leftovers: list):
        """Hand over the job (one line of JSON: inherited copies of the pipe cannot hold it up)."""
        self.leftovers = leftovers
        try:
            self.proc.stdin.write(json.dumps(job).encode() + b"\n")
            self.proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass

    def kill(self):
        """Kill the worker's group and the groups it named (LibreOffice, converters)."""
        kill_group(self.proc.pid)
        self._kill_named(wait=0)

    def _kill_named(self, wait):
        self.groups.join(wait)
        for line in self.groups.data.decode("ascii", "replace").split():
            if line.isdigit():
                kill_group(int(line))

    def end(self):
        """Kill what is left of the worker and its groups, reap it, remove its temp files."""
        kill_group(self.proc.pid)
        if self.proc.poll() is None:
            self.proc.wait()
        self._kill_named(wait=2.0)
        with _RUNNING_LOCK:
            _RUNNING.pop(self.proc.pid, None)
        remove(self.leftovers)


def _take_worker(cwd) -> Worker:
    """A started worker for `cwd`: a spare when one is ready, and a new spare starts in the background."""
    with _SPARE_LOCK:
        spare = next((w for w in _SPARE if w.cwd == str(cwd)), None)
        if spare is not None:
            _SPARE.remove(spare)
    if spare is not None and spare.proc.poll() is not None:
        spare.end()
        spare = None
    threading.Thread(target=_refill, args=(cwd,), daemon=True, name="altdeck-spare").start()
    return spare or Worker(cwd)


def _refill(cwd):
    with _SPARE_LOCK:
        if sum(w.cwd == str(cwd) for w in _SPARE) >= SPARES:
            return
    try:
        worker = Worker(cwd)
    except OSError:
        return                                   # no spare: the next deck starts its own worker
    with _SPARE_LOCK:
        _SPARE.append(worker)


def stop_spares():
    """End the spare workers (the build is over)."""
    with _SPARE_LOCK:
        spares = list(_SPARE)
        _SPARE.clear()
    for w in spares:
        w.end()


def _forget_spares_in_child():
    _SPARE.clear()          # a forked doit worker must not hand jobs to its parent's spares


os.register_at_fork(after_in_child=_forget_spares_in_child)


def use_broker(address):
    """The build's model broker address (None: each worker talks to the server itself)."""
    global _BROKER
    _BROKER = address


def kill_running():
    """Kill every deck worker this process started (with its children) and remove its temp files."""
    with _RUNNING_LOCK:
        workers = list(_RUNNING.values())
    for w in workers:
        w.kill()
    for w in workers:
        try:
            os.waitpid(w.proc.pid, 0)
        except ChildProcessError:
            pass
        remove(w.leftovers)


def run_deck(rel, cfg, settings):
    """doit python-action: build one deck in a worker process; a one-line failure naming the deck.

    Returns the deck's counts, store texts and the stamp of the deck it built plus
    `settings.digest`: doit keeps them as the task's values, which its up-to-date check
    compares (store.freshness.deck_unchanged).  The deck's timeout counts from the moment
    the worker gets its job.
    """
    problem = discover.name_problem(rel)
    if problem:
        return _failure(f"{discover.shown(rel)}: {problem}")
    timeout = cfg.batch.deck_timeout_s
    worker = None
    try:
        worker = _take_worker(cfg.root_dir)
        proc = worker.proc
        worker.give({"rel": rel, "config": cfg, "backend": settings.backend, "broker": _BROKER},
                    _leftovers(cfg, rel, proc.pid))
        try:
            code = proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            kill_group(proc.pid)
            code, timed_out = proc.wait(), True
        kill_group(proc.pid)                 # children the worker left behind go with it
        worker._kill_named(wait=2.0)         # and the groups it started (LibreOffice)
        stdout, stderr = tail(worker.out.text()), tail(worker.err.text())
        if timed_out:
            return _failure(f"{rel}: timed out after {timeout:g} s (batch.deck_timeout_s); killed with its "
                            f"child processes; stdout: {stdout or '(empty)'}; stderr: {stderr or '(empty)'}",
                            code, stderr)
        try:
            outcome = json.loads(worker.result.text() or "{}")
        except ValueError:
            outcome = {}
        if code == 0 and "summary" in outcome:
            return {**outcome["summary"], "settings": settings.digest}
        if "error" in outcome:                 # the worker's own one-line DeckError, naming the deck
            return _failure(outcome["error"], code, stderr)
        how = (f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}")
        return _failure(f"{rel}: the deck's worker {how}; stderr: {stderr or '(empty)'}", code, stderr)
    finally:
        if worker is not None:
            worker.end()                     # interrupted (second signal) while waiting: killed here


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

    import PIL.Image  # noqa: F401  (a spare worker imports what decks need before its job arrives)

    result_fd = int(argv[0])
    report_groups_to(int(argv[1]))
    _die_with_parent()
    line = sys.stdin.buffer.readline()
    if not line.strip():
        return 0                           # a spare nobody needed: the build is over
    job = json.loads(line)
    cfg = from_dict(job["config"])
    describer, store, report = make_describer(cfg, job["backend"], job.get("broker")), None, None
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
