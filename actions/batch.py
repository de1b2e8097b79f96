"""Batch runs that survive: each deck isolated with a timeout, a failure-rate stop, graceful
signals, progress committed after every deck, one run per folder, a JSON-lines log.

How it plugs into doit 0.37 (pinned; see doit-facts.md):
- `run_deck` is the deck task's python-action: the deck's work runs in `python3 -m actions.worker`
  in its own process group, killed as a group on `batch.deck_timeout_s` or a second signal.
- `BatchRunner` / `BatchMRunner` / `BatchMThreadRunner` extend doit's runners (serial, -n N,
  -n N -P thread).  doit has no plugin point for the runner class and cannot see backend or
  command plugins registered by a dodo file, so `install()` (called when actions.tasks is
  imported, i.e. by every altdeck dodo.py) makes doit's `run` command use them.  This works for
  plain `doit` in a course folder and for `doit -f <altdeck>/dodo.py -d <folder>` alike.
- Around the run (`run_all`): the folder's lock, the log, SIGINT/SIGTERM handlers.
- After each deck (`Recorder`, wrapped around the reporter: called right after doit saved or
  removed the deck's state): the log record, a commit of doit's sqlite3 DB, the failure-rate check.
"""
import fcntl
import functools
import gc
import json
import os
import signal
import subprocess
import sys
import threading
from datetime import datetime

from doit import cmd_clean, cmd_forget, cmd_run
from doit.dependency import SqliteDB
from doit.exceptions import TaskFailed, UnmetDependency
from doit.runner import ERROR, FAILURE, MRunner, MThreadRunner, Runner

from . import config, discover
from .atomic import PREFIX, temp_path
from .errors import AltdeckError
from .log import BatchLog, tail
from .reporter import deck_of, failure_line

TASK_PREFIX = "build:"
TAIL_BYTES = 64 * 1024          # kept of a worker's stdout/stderr; the rest is read and dropped
RESULT_BYTES = 1024 * 1024


class BatchLocked(AltdeckError):
    """Another run holds the folder's lock."""


# -- one run per folder ------------------------------------------------------------------

class RunLock:
    """`<state_dir>/lock`: an flock (released by the kernel when the holder dies) plus who holds it."""

    def __init__(self, state_dir):
        self.path = os.path.join(state_dir, "lock")
        self.fd = None

    def acquire(self, batch_id):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = self._read(fd)
                os.close(fd)
                if holder.get("pid") and not _alive(holder["pid"]):
                    # dead holder whose lock lives on in a leftover child (doit -n N worker): take over
                    self._unlink_if_same(holder)
                    continue
                raise BatchLocked(
                    f"{os.path.dirname(os.path.dirname(self.path)) or '.'}: another altdeck run is in progress "
                    f"(pid {holder.get('pid', '?')}, started {holder.get('started', '?')}, "
                    f"batch {holder.get('batch', '?')}); wait for it to finish or stop it") from None
            if not _same_file(fd, self.path):        # replaced while we waited: lock the new one
                os.close(fd)
                continue
            break
        self.fd = fd
        os.register_at_fork(after_in_child=self._forget_in_child)
        info = {"pid": os.getpid(), "started": datetime.now().isoformat(timespec="seconds"), "batch": batch_id}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        return info

    def _forget_in_child(self):
        # a forked doit worker must not keep the lock alive after the run's own process died
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None

    def release(self):
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            os.close(self.fd)         # closing releases the flock; the empty file stays for the next run
            self.fd = None

    @staticmethod
    def _read(fd) -> dict:
        try:
            return json.loads(os.pread(fd, 4096, 0).decode() or "{}")
        except (ValueError, UnicodeDecodeError):
            return {}

    def _unlink_if_same(self, holder):
        try:
            with open(self.path, encoding="utf-8") as f:
                if json.loads(f.read() or "{}") == holder:
                    os.unlink(self.path)
        except (OSError, ValueError):
            pass


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, TypeError):
        return True
    return True


def _same_file(fd, path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


# -- one deck in its own process group ---------------------------------------------------

class DeckFailed(TaskFailed):
    """A deck's worker failed, crashed or timed out; carries what the log records."""

    def __init__(self, msg, exit_code=None, stderr_tail=""):
        super().__init__(msg)
        self.exit_code, self.stderr_tail = exit_code, stderr_tail


# worker pid -> files it may leave when killed; the second signal kills and cleans them all
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


def _kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _remove(paths):
    for p in paths:
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass


def kill_running():
    """Kill every deck worker this process started (with its children) and remove its temp files."""
    with _RUNNING_LOCK:
        items = list(_RUNNING.items())
    for pid, paths in items:
        _kill_group(pid)
    for pid, paths in items:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        _remove(paths)


def run_deck(rel, cfg, backend_name, settings):
    """doit python-action: build one deck in `python3 -m actions.worker`; a DeckFailed line on failure.

    Returns the deck's counts and store texts plus `settings`: doit keeps them as the task's
    values, which its up-to-date check compares (freshness.deck_unchanged).
    """
    timeout = cfg.batch.deck_timeout_s
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(config.ALTDECK_ROOT), env.get("PYTHONPATH")]))
    result_r, result_w = os.pipe()
    proc = None
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "actions.worker", f"/dev/fd/{result_w}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cfg.root_dir,
            env=env, pass_fds=(result_w,), start_new_session=True)
        os.close(result_w)
        result_w = None
        with _RUNNING_LOCK:
            _RUNNING[proc.pid] = _leftovers(cfg, rel, proc.pid)
        out, err = _Drain(proc.stdout, TAIL_BYTES), _Drain(proc.stderr, TAIL_BYTES)
        result = _Drain(os.fdopen(result_r, "rb", buffering=0), RESULT_BYTES)
        result_r = None
        try:
            proc.stdin.write(json.dumps({"rel": rel, "config": cfg, "backend": backend_name}).encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            code = proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            code, timed_out = proc.wait(), True
        _kill_group(proc.pid)                 # children the worker left behind go with it
        stdout, stderr = tail(out.text()), tail(err.text())
        if timed_out:
            return DeckFailed(f"{rel}: timed out after {timeout:g} s (batch.deck_timeout_s); killed with its "
                              f"child processes; stdout: {stdout or '(empty)'}; stderr: {stderr or '(empty)'}",
                              code, stderr)
        try:
            outcome = json.loads(result.text() or "{}")
        except ValueError:
            outcome = {}
        if code == 0 and "summary" in outcome:
            return {**outcome["summary"], "settings": settings}
        if "error" in outcome:                 # the worker's own one-line DeckError, naming the deck
            return DeckFailed(outcome["error"], code, stderr)
        how = (f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}")
        return DeckFailed(f"{rel}: the deck's worker {how}; stderr: {stderr or '(empty)'}", code, stderr)
    finally:
        for fd in (result_r, result_w):
            if fd is not None:
                os.close(fd)
        if proc is not None:
            if proc.poll() is None:                  # interrupted (second signal) while waiting
                _kill_group(proc.pid)
                proc.wait()
            with _RUNNING_LOCK:
                paths = _RUNNING.pop(proc.pid, [])
            _remove(paths)


# -- before and after a run: a refused backend, decks that failed last time ---------------

_REFUSAL = None


def refuse(message):
    """The describer cannot be used: a run that builds decks stops with this line, before any deck."""
    global _REFUSAL
    _REFUSAL = message


def _failed_file(cfg):
    return os.path.join(cfg.root_dir, cfg.state_dir, "failed-decks.json")


def failed_last(cfg, decks: list) -> list:
    """Decks in build order: those that failed last time go last, so a rerun continues with the rest."""
    try:
        with open(_failed_file(cfg), encoding="utf-8") as f:
            failed = set(json.load(f))
    except (OSError, ValueError, TypeError):
        return decks
    return [d for d in decks if d not in failed] + [d for d in decks if d in failed]


def _remember_failures(cfg, log_path):
    """After a run: decks that failed in it join the failed list, decks built in it leave it."""
    try:
        with open(_failed_file(cfg), encoding="utf-8") as f:
            failed = set(json.load(f))
    except (OSError, ValueError, TypeError):
        failed = set()
    before = set(failed)
    with open(log_path, encoding="utf-8") as f:          # streamed: nothing was kept in memory during the run
        for line in f:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("event") == "deck_end":
                (failed.add if record.get("status") != "ok" else failed.discard)(record.get("deck"))
    if failed == before:
        return
    from .atomic import atomic_path
    with atomic_path(_failed_file(cfg)) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(sorted(failed), f, indent=0)


# -- after each deck: log, commit, failure rate ------------------------------------------

def checkpoint(db):
    """Commit what doit has recorded so far (SqliteDB.dump without the close): `kill -9` keeps it."""
    if not isinstance(db, SqliteDB):
        return
    for task_id in db._dirty:
        db._conn.execute("insert or replace into doit values (?,?)", (task_id, db.codec.encode(db._cache[task_id])))
    db._conn.commit()
    db._dirty = set()


def release(task, db):
    """Drop a finished deck's results from memory: they are committed to the DB and written to the log.

    doit keeps every task object, its actions' output and its DB record until the run ends;
    released, a deck costs the run only doit's own task entry, so a run's memory does not grow
    with the decks it has built.
    """
    task.result, task.values, task._action_instances = None, {}, None
    if isinstance(db, SqliteDB) and task.name not in db._dirty:
        db._cache.pop(task.name, None)      # doit reads it back from sqlite if it ever asks again


class Recorder:
    """Wraps the run's reporter: records each deck in the log and the DB before the reporter sees it.

    All reporter hooks are defined on the class: doit's process runner checks for them there.
    """

    def __init__(self, reporter, runner):
        self.reporter, self.runner = reporter, runner

    def initialize(self, tasks, selected_tasks):
        if hasattr(self.reporter, "initialize"):
            self.reporter.initialize(tasks, selected_tasks)

    def get_status(self, task):
        self.reporter.get_status(task)

    def execute_task(self, task):
        if self.runner.log and deck_of(task):
            self.runner.log.deck_start(deck_of(task))
        self.reporter.execute_task(task)

    def add_success(self, task):
        deck = deck_of(task)
        checkpoint(self.runner.dep_manager.backend)     # committed before it is logged as done
        if self.runner.log and deck:
            self.runner.log.deck_end(deck, "ok")
        self.reporter.add_success(task)
        if deck:
            release(task, self.runner.dep_manager.backend)
            self.runner.check_failure_rate()

    def add_failure(self, task, fail):
        deck = deck_of(task)
        ran = deck and not isinstance(fail, UnmetDependency)
        checkpoint(self.runner.dep_manager.backend)
        if self.runner.log and ran:
            self.runner.log.deck_end(deck, "failed", failure_line(task, fail),
                                     getattr(fail, "exit_code", None), getattr(fail, "stderr_tail", ""))
        self.reporter.add_failure(task, fail)
        if ran:
            release(task, self.runner.dep_manager.backend)
            self.runner.check_failure_rate()

    def skip_uptodate(self, task):
        if self.runner.log and deck_of(task):
            self.runner.log.deck_uptodate(deck_of(task))
        self.reporter.skip_uptodate(task)

    def skip_ignore(self, task):
        self.reporter.skip_ignore(task)

    def teardown_task(self, task):
        self.reporter.teardown_task(task)

    def cleanup_error(self, exception):
        self.reporter.cleanup_error(exception)

    def runtime_error(self, msg):
        self.reporter.runtime_error(msg)

    def complete_run(self):
        self.reporter.complete_run()


# -- the runner --------------------------------------------------------------------------

class BatchMixin:
    """What altdeck adds to each of doit's runners; see the module docstring."""

    log = None

    def __init__(self, dep_manager, reporter, *args, **kwargs):
        super().__init__(dep_manager, Recorder(reporter, self), *args, **kwargs)
        self.signals = 0
        self.first_signal = None
        self.main_pid = os.getpid()

    def run_all(self, task_dispatcher):
        try:
            cfg = config.load(os.getcwd())
        except AltdeckError as e:
            sys.stderr.write(f"ERROR: {e}\n")
            return 3
        if _REFUSAL and _count_decks(task_dispatcher):
            sys.stderr.write(f"ERROR: {_REFUSAL}\n")
            return 3
        batch = cfg.batch
        self.threshold, self.min_decks = batch.stop_on_error_threshold, batch.min_decks_for_threshold
        state = os.path.join(cfg.root_dir, cfg.state_dir)
        log = BatchLog(state, _count_decks(task_dispatcher))
        lock = RunLock(state)
        try:
            holder = lock.acquire(log.batch_id)
        except BatchLocked as e:
            log.close(status="locked", error=str(e))
            os.unlink(log.path)              # this run never started: no log of its own
            sys.stderr.write(f"ERROR: {e}\n")
            return 3
        self.log = log
        _sweep_leftovers(cfg)
        _fold_store(cfg)                   # answers a killed run left in the journal join alt-text.yaml
        log.event("batch_start", folder=str(cfg.root_dir), total=log.total, pid=holder["pid"],
                  argv=sys.argv[1:], deck_timeout_s=batch.deck_timeout_s,
                  stop_on_error_threshold=self.threshold, min_decks_for_threshold=self.min_decks)
        if hasattr(self.reporter.reporter, "use_log"):
            self.reporter.reporter.use_log(log)
        previous = self._install_signals()
        # The tasks live for the whole run. Frozen, the garbage collector of the `-n N` worker
        # processes (forked next) never walks them, so their pages stay shared instead of copied.
        gc.freeze()
        status, result = "done", None
        try:
            result = super().run_all(task_dispatcher)
        except KeyboardInterrupt:
            status = "killed"              # second signal: stopped at once, finished decks kept
        finally:
            self._restore_signals(previous)
            for deck in list(log.running):
                log.deck_end(deck, "interrupted", "stopped by a second signal before it finished")
            if self.first_signal and status == "done":
                status = "interrupted"
            elif log.stop_reason:
                status = "stopped"
            log.close(status=status, signal=self.first_signal and signal.Signals(self.first_signal).name,
                      stop_reason=log.stop_reason or None)
            try:
                _remember_failures(cfg, log.path)
                _fold_store(cfg)           # this run's answers join alt-text.yaml: one rewrite per run
            finally:
                lock.release()
        if self.first_signal:
            return 128 + self.first_signal
        return result

    def _handle_task_error(self, node, base_fail):
        """The `build` group fails only because a deck failed: exit 1 (deck failed), not 2 (doit error)."""
        if isinstance(base_fail, UnmetDependency) and not node.task.actions and self.final_result != ERROR:
            super()._handle_task_error(node, base_fail)
            self.final_result = FAILURE
            return
        super()._handle_task_error(node, base_fail)

    def check_failure_rate(self):
        log = self.log
        if log is None or self._stop_running or log.finished < self.min_decks:
            return
        rate = log.failed / log.finished
        if rate > self.threshold:
            self._stop_running = True            # doit's gentle stop: no new task, running ones finish
            log.stop_reason = (f"stopping: {log.failed} of {log.finished} finished decks failed ({rate:.0%}), "
                               f"above batch.stop_on_error_threshold {self.threshold:g}; no new deck started; "
                               f"fix the failures and run again to build the rest")
            log.event("stop", failed=log.failed, finished=log.finished, rate=round(rate, 4),
                      threshold=self.threshold)
            sys.stderr.write(log.stop_reason + "\n")
            sys.stderr.flush()

    # -- signals
    def _install_signals(self):
        if threading.current_thread() is not threading.main_thread():
            return None
        return {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}

    def _restore_signals(self, previous):
        for s, handler in (previous or {}).items():
            signal.signal(s, handler)

    def _on_signal(self, signum, frame):
        if os.getpid() != self.main_pid:
            # a doit -n N worker process: the main process decides; stop at once when told to
            self.signals += 1
            if signum == signal.SIGTERM or self.signals > 1:
                kill_running()
                os._exit(128 + signum)
            return
        self.signals += 1
        name = signal.Signals(signum).name
        if self.signals == 1:
            self.first_signal = signum
            self._stop_running = True
            if self.log:
                self.log.event("signal", signal=name, action="finish running decks, start no new one")
            sys.stderr.write(f"altdeck: {name}: starting no new deck; running decks finish "
                             f"(send it again to stop at once)\n")
            sys.stderr.flush()
            return
        if self.log:
            self.log.event("signal", signal=name, action="kill running decks and stop")
        sys.stderr.write(f"altdeck: {name} again: stopping now; finished decks are kept\n")
        sys.stderr.flush()
        kill_running()
        raise KeyboardInterrupt


def _count_decks(task_dispatcher) -> int:
    tasks, selected = task_dispatcher.tasks, task_dispatcher.selected_tasks
    names = set()
    for name in selected:
        if name.startswith(TASK_PREFIX):
            names.add(name)
        elif name + ":" == TASK_PREFIX:
            names.update(n for n in tasks if n.startswith(TASK_PREFIX))
    return len(names)


def _fold_store(cfg):
    """Move the journal of model answers into the committed alt-text file (we hold the lock)."""
    if not os.path.exists(os.path.join(cfg.root_dir, cfg.state_dir, "images.sqlite")):
        return
    from .store import Store
    try:
        store = Store.for_course(cfg)
        store.close()
    except AltdeckError as e:                # e.g. a person's edit broke the YAML: say so, keep the journal
        sys.stderr.write(f"ERROR: {e}\n")


def _sweep_leftovers(cfg):
    """Remove temp files a killed run left in the output and report folders (we hold the lock)."""
    for d in (cfg.output_dir, cfg.report_dir):
        for dirpath, _, files in os.walk(os.path.join(cfg.root_dir, d)):
            _remove(os.path.join(dirpath, f) for f in files if f.startswith(PREFIX))


class BatchRunner(BatchMixin, Runner):
    """doit's serial runner (the default, -n 0) with altdeck's batch behaviour."""


class BatchMRunner(BatchMixin, MRunner):
    """doit's process-pool runner (-n N) with altdeck's batch behaviour."""


class BatchMThreadRunner(BatchMixin, MThreadRunner):
    """doit's thread-pool runner (-n N -P thread) with altdeck's batch behaviour."""


def _under_run_lock(execute):
    """A doit command that removes outputs or doit's records (clean, forget) waits for no run:
    while a run is in progress it exits 3 naming it, like a second run does."""
    @functools.wraps(execute)
    def locked(self, *args, **kwargs):
        try:
            cfg = config.load(os.getcwd())
        except AltdeckError as e:
            sys.stderr.write(f"ERROR: {e}\n")
            return 3
        state = os.path.join(cfg.root_dir, cfg.state_dir)
        if not os.path.isdir(state):              # no run ever started here
            return execute(self, *args, **kwargs)
        lock = RunLock(state)
        try:
            lock.acquire(f"doit {self.name}")
        except BatchLocked as e:
            sys.stderr.write(f"ERROR: {e}\n")
            return 3
        try:
            return execute(self, *args, **kwargs)
        finally:
            lock.release()
    locked.altdeck_locked = True
    return locked


def install():
    """Make doit's `run` command use the batch runners (it reads these names when it runs), and
    `clean` and `forget` take the folder's run lock."""
    cmd_run.Runner, cmd_run.MRunner, cmd_run.MThreadRunner = BatchRunner, BatchMRunner, BatchMThreadRunner
    for command in (cmd_clean.Clean, cmd_forget.Forget):
        if not getattr(command._execute, "altdeck_locked", False):
            command._execute = _under_run_lock(command._execute)
