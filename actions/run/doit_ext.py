"""The one module that touches doit's internals (doit 0.37.0, pinned).

doit has no plugin point for its runner classes, writes its DB once at the end
of a run (SIGKILL loses every result), keeps every task's results in memory,
and cannot be told from a reporter to stop gently.  What altdeck needs beyond
doit's public API is done here, and nowhere else:

- `install(batch_factory, lock_command)`: doit's `run` command uses runners
  that hand the run to a batch (run.runner.Batch), and `clean` and `forget`
  take the folder's run lock;
- `RunHandle`: what a batch may do to the running runner (stop gently);
- `Recorder`: wraps the reporter; after doit saved or removed a deck's state,
  commits the DB (so `kill -9` keeps it), lets the batch log the deck, and
  drops the deck's results from memory;
- `guard_database()`: doit's database that cannot be opened (a read-only
  course folder, a full disk) is one line and exit 3, not a traceback; one
  that cannot be written mid-run is told to the batch (`state_error`).

tests/test_doit_contract.py asserts every private name used here, so a doit
upgrade fails in one place, saying what moved.
"""
import functools
import os
import sys

import doit
from doit import cmd_base, cmd_clean, cmd_forget, cmd_run
from doit.dependency import DatabaseException, Dependency, MD5Checker, SqliteDB
from doit.exceptions import InvalidDodoFile, TaskFailed, UnmetDependency
from doit.runner import ERROR, FAILURE, MRunner, MThreadRunner, Runner

from ..discover import TASK_GROUP, deck_of
from ..errors import AltdeckError

DOIT_VERSION = (0, 37, 0)


def check_version():
    """Refuse, with one line, a doit whose internals may differ from the ones relied on here."""
    if tuple(doit.__version__) != DOIT_VERSION:
        have = ".".join(map(str, doit.__version__))
        raise AltdeckError(f"altdeck needs doit {'.'.join(map(str, DOIT_VERSION))} (it extends doit's runner), "
                           f"found doit {have}; run: pip install 'doit=={'.'.join(map(str, DOIT_VERSION))}'")


class DeckFailed(TaskFailed):
    """A deck's worker failed, crashed or timed out; carries what the log records."""

    def __init__(self, msg, exit_code=None, stderr_tail=""):
        super().__init__(msg)
        self.exit_code, self.stderr_tail = exit_code, stderr_tail


def deck_failed(msg, exit_code=None, stderr_tail="") -> DeckFailed:
    """The value a deck's python-action returns to fail with `msg` (one line naming the deck)."""
    return DeckFailed(msg, exit_code, stderr_tail)


def failure_line(task, fail) -> str:
    """A failure's last line, naming the deck (doit's message may have a traceback above it)."""
    deck = deck_of(task) or task.name
    msg = fail.get_msg().strip().splitlines()
    line = msg[-1] if msg else type(fail).__name__
    return line if line.startswith(deck) else f"{deck}: {line}"


def selected_decks(task_dispatcher) -> tuple:
    """-> (deck tasks the run was asked to consider, whether the `build` group itself was asked for)."""
    tasks, selected = task_dispatcher.tasks, task_dispatcher.selected_tasks
    names, group = set(), False
    for name in selected:
        task = tasks.get(name)
        if task is not None and deck_of(task):
            names.add(name)
        elif name == TASK_GROUP:
            group = True
            names.update(n for n, t in tasks.items() if deck_of(t))
    return len(names), group


def checkpoint(db):
    """Commit what doit has recorded so far (SqliteDB.dump without the close): `kill -9` keeps it."""
    if not isinstance(db, SqliteDB):
        return
    for task_id in db._dirty:
        db._conn.execute("insert or replace into doit values (?,?)", (task_id, db.codec.encode(db._cache[task_id])))
    db._conn.commit()
    db._dirty = set()


def db_trouble(db, e) -> str:
    """One line for doit's database failing to be written (disk full, read-only file or folder)."""
    return (f"{os.path.abspath(getattr(db, 'name', '.doit.db'))}: doit's record of built decks cannot be written ({e}); free space "
            "or make it writable; decks built since the last record are built again next run")


def _db_error(e) -> bool:
    """Is `e` the database failing (sqlite3 is imported by doit's SqliteDB only when it opens one)?"""
    sqlite3 = sys.modules.get("sqlite3")
    return isinstance(e, (DatabaseException, OSError)) or (sqlite3 is not None and isinstance(e, sqlite3.Error))


class _PlainDependency(Dependency):
    """doit's dependency manager, whose database failing to open is one line (doit: exit 3)."""

    def __init__(self, db_class, backend_name, *args, **kwargs):
        try:
            super().__init__(db_class, backend_name, *args, **kwargs)
        except Exception as e:
            if not _db_error(e):
                raise
            cause = getattr(e, "strerror", None) or str(e).splitlines()[0]
            raise InvalidDodoFile(f"{os.path.abspath(backend_name)}: doit's record of built decks cannot be opened "
                                  f"({cause}); "
                                  "altdeck needs a writable course folder: make it writable (or free space)") \
                from None


def guard_database():
    """doit's commands open their database with altdeck's one-line errors (call before a command runs)."""
    cmd_base.Dependency = _PlainDependency


def release(task, db):
    """Drop a finished deck's results from memory: they are committed to the DB and written to the log.

    doit keeps every task object, its actions' output and its DB record until the run ends;
    released, a deck costs the run only doit's own task entry, so a run's memory does not grow
    with the decks it has built.
    """
    task.result, task.values, task._action_instances = None, {}, None
    task.costs = None
    if isinstance(db, SqliteDB) and task.name not in db._dirty:
        db._cache.pop(task.name, None)      # doit reads it back from sqlite if it ever asks again


def restamp(task, dep_manager, st):
    """Record the new stat of an up-to-date deck whose built bytes were found under it (a fresh
    clone, a touch): `st` from store.freshness.deck_unchanged, taken before the bytes were hashed.

    doit never refreshes an up-to-date task's state, so after a clone every run would hash every
    deck again (doit's md5 and altdeck's sha256): 0.5 s a run for 200 MB of decks, for ever. The
    stat goes into doit's state of the deck ([mtime, size, md5]: the md5 doit just found equal)
    and into the deck's built stamp; the next run trusts it, as after a build.
    """
    from ..store.freshness import built_stamp
    if type(dep_manager.checker) is not MD5Checker:
        return
    db, deck = dep_manager.backend, (task.meta or {}).get("deck")
    state = db.get(task.name, deck) if deck in task.file_dep else None
    values = db.get(task.name, "_values_:")
    if not (isinstance(state, list) and len(state) == 3 and state[1] == st.st_size
            and isinstance(values, dict) and isinstance(values.get("deck"), list) and len(values["deck"]) == 4):
        return
    db.set(task.name, deck, [st.st_mtime, st.st_size, state[2]])
    db.set(task.name, "_values_:", {**values, "deck": built_stamp(st, values["deck"][3])})


class RunHandle:
    """What a batch may do to doit's running runner."""

    def __init__(self, runner):
        self._runner = runner

    @property
    def reporter(self):
        """The run's reporter (run.console.Console), unwrapped."""
        return self._runner.reporter.reporter

    def stop_gently(self):
        """No new task starts; running ones finish (what doit does after a failure without --continue)."""
        self._runner._stop_running = True

    @property
    def stopping(self) -> bool:
        return self._runner._stop_running


class Recorder:
    """Wraps the run's reporter: records each deck in the DB and the batch before the reporter sees it.

    Every reporter hook is defined on the class: doit's process runner checks for them there.
    """

    def __init__(self, reporter, runner):
        self.reporter, self.runner = reporter, runner

    @property
    def _db(self):
        return self.runner.dep_manager.backend

    def initialize(self, tasks, selected_tasks):
        if hasattr(self.reporter, "initialize"):
            self.reporter.initialize(tasks, selected_tasks)

    def get_status(self, task):
        self.reporter.get_status(task)

    def execute_task(self, task):
        deck = deck_of(task)
        if deck:
            self.runner.batch.deck_started(deck)
        self.reporter.execute_task(task)

    def _checkpoint(self):
        try:
            checkpoint(self._db)
        except Exception as e:
            if not _db_error(e):
                raise
            self.runner.batch.state_error(db_trouble(self._db, e), stop=True)

    def add_success(self, task):
        deck = deck_of(task)
        self._checkpoint()                       # committed before it is logged as done
        if deck:
            self.runner.batch.deck_finished(deck, None, getattr(task, "costs", None))
        self.reporter.add_success(task)
        if deck:
            release(task, self._db)
            self.runner.batch.after_deck()

    def add_failure(self, task, fail):
        deck = deck_of(task)
        ran = deck and not isinstance(fail, UnmetDependency)
        self._checkpoint()
        if ran:
            self.runner.batch.deck_finished(deck, (failure_line(task, fail), getattr(fail, "exit_code", None),
                                                   getattr(fail, "stderr_tail", "")))
        self.reporter.add_failure(task, fail)
        if ran:
            release(task, self._db)
            self.runner.batch.after_deck()

    def skip_uptodate(self, task):
        deck = deck_of(task)
        if deck:
            moved = getattr(task, "moved_deck", None)
            if moved is not None:
                restamp(task, self.runner.dep_manager, moved)
            self.runner.batch.deck_uptodate(deck)
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


_BATCH_FACTORY = None


class _BatchRunnerMixin:
    """doit's runner, handing the run to a batch (run.runner.Batch)."""

    def __init__(self, dep_manager, reporter, *args, **kwargs):
        self.batch = _BATCH_FACTORY()
        super().__init__(dep_manager, Recorder(reporter, self), *args, **kwargs)

    def run_all(self, task_dispatcher):
        return self.batch.run(RunHandle(self), *selected_decks(task_dispatcher),
                              lambda: super(_BatchRunnerMixin, self).run_all(task_dispatcher))

    def finish(self):
        """doit's finish, its last database write failing as one line (the run's exit says it)."""
        try:
            self.dep_manager.close()
        except Exception as e:
            if not _db_error(e):
                raise
            self.batch.state_error(db_trouble(self.dep_manager.backend, e))
            self.dep_manager._closed = True          # doit's finish would close (and fail) again
        return super().finish()

    def process_task_result(self, node, base_fail):
        """A built deck's values are saved once: doit would save a dict result twice (as `result:`
        too), and a no-op run decodes every deck's record; its costs go to the log, not the DB."""
        task = node.task
        if base_fail is None and deck_of(task) and isinstance(task.values, dict):
            task.costs = task.values.pop("costs", None)
            task.result = None
        return super().process_task_result(node, base_fail)

    def _handle_task_error(self, node, base_fail):
        """The `build` group fails only because a deck failed: exit 1 (deck failed), not 2 (doit error)."""
        only_decks = isinstance(base_fail, UnmetDependency) and not node.task.actions \
            and self.final_result != ERROR
        super()._handle_task_error(node, base_fail)
        if only_decks:
            self.final_result = FAILURE


class BatchRunner(_BatchRunnerMixin, Runner):
    """doit's serial runner (the default, -n 0) with altdeck's batch behaviour."""


class BatchMRunner(_BatchRunnerMixin, MRunner):
    """doit's process-pool runner (-n N -P process) with altdeck's batch behaviour."""


class BatchMThreadRunner(_BatchRunnerMixin, MThreadRunner):
    """doit's thread-pool runner (-n N, altdeck's default parallel type) with altdeck's batch behaviour."""


def _under(lock_command, execute):
    @functools.wraps(execute)          # doit passes a command's options by the names in its signature
    def locked(self, *args, **kwargs):
        return lock_command(self.name, lambda: execute(self, *args, **kwargs))
    locked.altdeck_locked = True
    return locked


def install(batch_factory, lock_command):
    """Make doit's `run` command use the batch runners (it reads these names when it runs), and
    `clean` and `forget` run through `lock_command(name, execute) -> exit code`."""
    global _BATCH_FACTORY
    _BATCH_FACTORY = batch_factory
    cmd_run.Runner, cmd_run.MRunner, cmd_run.MThreadRunner = BatchRunner, BatchMRunner, BatchMThreadRunner
    for command in (cmd_clean.Clean, cmd_forget.Forget):
        if not getattr(command._execute, "altdeck_locked", False):
            command._execute = _under(lock_command, command._execute)
