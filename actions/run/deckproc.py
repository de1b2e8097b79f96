"""One deck's build in its own process: both ends of the protocol.

Parent (`run_deck`, the deck task's python-action, in doit's process): gets a
worker forked from the build's warm server (run.forkserver: already imported,
so a deck starts in milliseconds and the model's slots do not wait for
Python), sends the job as one line of JSON on its stdin — {"rel", "config",
"backend", "broker"} — and waits at most `batch.deck_timeout_s`; a deck that
hangs the parser, a converter, LibreOffice or a model request is killed with
everything it started (its own session), and fails with the tails of its
stdout and stderr.  Each worker builds exactly one deck.  Processes the worker
starts in groups of their own (LibreOffice, converters) are named on its
process-group pipe (procs.popen_group) and killed with it.

Child (`worker_main`): builds the deck and writes the outcome as JSON to the
result pipe: {"summary": {...}} or {"error": "<one line naming the deck>"}.
stdout and stderr stay free for whatever libraries print.  The server runs
with `-P`: a course's own `actions.py` or `altdeck/` cannot shadow altdeck.
"""
import json
import os
import signal
import sys
import threading
import time

from .. import discover
from ..files import remove, temp_path
from ..procs import kill_group, report_groups_to
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
_BROKER = None           # the build's model broker (describe.broker): its address, or how to start it
_BROKER_LOCK = threading.Lock()
_SERVER = {}             # course folder -> its ForkServer (run.forkserver): workers are forks of it
_SERVER_LOCK = threading.Lock()


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


def start_server(cwd):
    """The fork server for `cwd`, started now if it is not running (it imports for ~0.2 s)."""
    from .forkserver import ForkServer
    with _SERVER_LOCK:
        server = _SERVER.get(str(cwd))
        if server is None or not server.alive:
            server = _SERVER[str(cwd)] = ForkServer(cwd)
        return server


def stop_servers() -> list:
    """End the fork servers (the build is over); they kill any worker still running.

    Returns at once with the servers ending: call wait_closed() on each before the build returns.
    """
    with _SERVER_LOCK:
        servers = list(_SERVER.values())
        _SERVER.clear()
    for server in servers:
        server.close(wait=False)
    return servers


def _forget_servers_in_child():
    _SERVER.clear()         # a forked doit worker starts its own: the parent's reader thread is not here


os.register_at_fork(after_in_child=_forget_servers_in_child)


class Worker:
    """One deck's worker: a fork of the warm server in a new session, waiting for its job on stdin."""

    def __init__(self, server):
        self.server, self.leftovers, self.code, self.ended = server, [], None, False
        ends = [os.pipe() for _ in range(5)]            # stdin, stdout, stderr, result, groups
        theirs = [ends[0][0]] + [w for _, w in ends[1:]]
        try:
            self.pid = server.fork(theirs)
        finally:
            for fd in theirs:
                os.close(fd)
        if not self.pid:
            for fd in [ends[0][1]] + [r for r, _ in ends[1:]]:
                os.close(fd)
            raise OSError("the fork server is gone")
        self.stdin = os.fdopen(ends[0][1], "wb")
        self.out, self.err = (_Drain(os.fdopen(ends[i][0], "rb", buffering=0), TAIL_BYTES) for i in (1, 2))
        self.result = _Drain(os.fdopen(ends[3][0], "rb", buffering=0), RESULT_BYTES)
        self.groups = _Drain(os.fdopen(ends[4][0], "rb", buffering=0), RESULT_BYTES)
        with _RUNNING_LOCK:
            _RUNNING[self.pid] = self

    def give(self, job: dict, leftovers: list):
        """Hand over the job (one line of JSON)."""
        self.leftovers = leftovers
        try:
            self.stdin.write(json.dumps(job).encode() + b"\n")
            self.stdin.close()
        except (BrokenPipeError, ValueError):
            pass

    def wait(self, timeout=None):
        """Its exit code (negative: killed by that signal), or None when `timeout` passed first."""
        if self.code is None:
            self.code = self.server.wait(self.pid, timeout)
        return self.code

    def kill(self):
        """Kill the worker's group and the groups it named (LibreOffice, converters)."""
        kill_group(self.pid)
        self._kill_named(wait=0)

    def _kill_named(self, wait):
        self.groups.join(wait)
        for line in self.groups.data.decode("ascii", "replace").split():
            if line.isdigit():
                kill_group(int(line))

    def end(self):
        """Kill what is left of the worker and its groups, remove its temp files (once)."""
        if self.ended:
            return
        self.ended = True
        kill_group(self.pid)
        self.wait(5.0)
        self._kill_named(wait=2.0)
        with _RUNNING_LOCK:
            _RUNNING.pop(self.pid, None)
        remove(self.leftovers)


def use_broker(address):
    """The build's model broker address, or a function that starts it and returns its address (the
    first deck to be built calls it); None: each worker talks to the server itself."""
    global _BROKER
    with _BROKER_LOCK:
        _BROKER = address


def _broker_address():
    global _BROKER
    with _BROKER_LOCK:
        if callable(_BROKER):
            _BROKER = _BROKER()
        return _BROKER


def kill_running():
    """Kill every deck worker this process started (with its children) and remove its temp files."""
    with _RUNNING_LOCK:
        workers = list(_RUNNING.values())
    for w in workers:
        w.kill()
    for w in workers:
        w.wait(5.0)
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
        try:
            worker = Worker(start_server(cfg.root_dir))
        except OSError:                          # the server died (killed): one more try with a new one
            worker = Worker(start_server(cfg.root_dir))
        worker.give({"rel": rel, "config": cfg, "backend": settings.backend, "broker": _broker_address()},
                    _leftovers(cfg, rel, worker.pid))
        code = worker.wait(timeout)
        timed_out = code is None
        if timed_out:
            kill_group(worker.pid)
            code = worker.wait(5.0)
        worker.end()          # children it left behind, the groups it started (LibreOffice), its temp files
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
        how = (f"was killed by {signal.Signals(-code).name}" if code is not None and code < 0
               else f"exited with code {code}")
        return _failure(f"{rel}: the deck's worker {how}; stderr: {stderr or '(empty)'}", code, stderr)
    finally:
        if worker is not None:
            worker.end()                     # (done above unless interrupted while waiting: then here)


# -- child: the worker -----------------------------------------------------------------------

def _die_with_parent():
    """Exit when the process that started us is gone (doit killed with -9): no orphan keeps writing."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(EXIT_DECK_ERROR)
    threading.Thread(target=watch, daemon=True).start()


def preload():
    """Import what every deck needs (the fork server does it once for all its workers)."""
    import PIL.Image  # noqa: F401

    from .. import build, config, store  # noqa: F401
    from ..describe import base, offline  # noqa: F401
    from ..store import freshness, journal, reports  # noqa: F401


def worker_main(argv) -> int:
    from ..build import build_deck
    from ..config import from_dict
    from ..describe.base import make_describer
    from ..errors import AltdeckError
    from ..store import freshness
    from ..store.journal import Store
    from ..store.reports import read_report

    result_fd = int(argv[0])
    report_groups_to(int(argv[1]))
    _die_with_parent()
    line = sys.stdin.buffer.readline()
    if not line.strip():
        return 0                           # no job came: the build is over
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
