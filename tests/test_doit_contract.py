"""Everything of doit's that altdeck relies on beyond its public API, asserted in one place.

altdeck extends doit 0.37.0 (pinned) through run/doit_ext.py, the only module that touches these
names.  When a doit upgrade moves one, a test here fails saying what moved and what altdeck used
it for; fix run/doit_ext.py, then the pin in pyproject.toml.
"""
import inspect

import doit
import pytest
from doit import cmd_clean, cmd_forget, cmd_run
from doit.cmd_base import NamespaceTaskLoader, opt_cwd
from doit.control import TaskDispatcher
from doit.dependency import JSONCodec, SqliteDB
from doit.reporter import ConsoleReporter
from doit.runner import ERROR, FAILURE, MRunner, MThreadRunner, Runner
from doit.task import Task

from altdeck.run import doit_ext


def moved(what, used_for):
    return f"doit {doit.__version__}: {what} moved; altdeck used it to {used_for} (run/doit_ext.py)"


def test_version_is_the_pinned_one_and_another_is_refused_with_one_line(monkeypatch):
    assert tuple(doit.__version__) == doit_ext.DOIT_VERSION
    doit_ext.check_version()
    monkeypatch.setattr(doit, "__version__", (0, 38, 1))
    with pytest.raises(Exception) as e:
        doit_ext.check_version()
    assert str(e.value).splitlines() == [str(e.value)] and "needs doit 0.37.0" in str(e.value) \
        and "found doit 0.38.1" in str(e.value)


def test_the_run_command_reads_its_runner_classes_by_module_name_when_it_runs():
    source = inspect.getsource(cmd_run.Run._execute)
    for name in ("RunnerClass = Runner", "RunnerClass = MRunner", "RunnerClass = MThreadRunner"):
        assert name in source, moved(f"cmd_run.Run._execute's `{name}`", "swap in the batch runners")
    assert {cmd_run.Runner, cmd_run.MRunner, cmd_run.MThreadRunner} <= {Runner, MRunner, MThreadRunner,
                                                                       doit_ext.BatchRunner, doit_ext.BatchMRunner,
                                                                       doit_ext.BatchMThreadRunner}


def test_runner_state_the_batch_reads_and_sets():
    runner = Runner(None, ConsoleReporter(None, {}), False, False, None)
    assert runner._stop_running is False, moved("Runner._stop_running", "stop starting decks gently")
    assert runner.final_result not in (ERROR, FAILURE), moved("Runner.final_result", "exit 1 when only decks failed")
    for method in (Runner.run_tasks, MRunner.get_next_job):
        assert "if self._stop_running:" in inspect.getsource(method), \
            moved(f"{method.__qualname__} checking _stop_running", "stop starting decks gently")
    params = list(inspect.signature(Runner._handle_task_error).parameters)
    assert params == ["self", "node", "base_fail"], moved("Runner._handle_task_error(node, base_fail)",
                                                          "exit 1 when the build group fails through its decks")
    assert list(inspect.signature(Runner.__init__).parameters)[1:3] == ["dep_manager", "reporter"], \
        moved("Runner(dep_manager, reporter, ...)", "wrap the reporter")


def test_the_process_runner_looks_for_reporter_hooks_on_the_class():
    from doit.runner import MReporter
    source = inspect.getsource(MReporter)
    assert "hasattr(self.reporter_cls, method_name)" in source, \
        moved("MRunner's reporter hook lookup on the class", "define every hook on doit_ext.Recorder")
    hooks = [n for n in dir(ConsoleReporter) if not n.startswith("_") and callable(getattr(ConsoleReporter, n))]
    missing = [h for h in hooks if h not in vars(doit_ext.Recorder) and h not in ("write", "desc")]
    assert not missing, moved(f"reporter hooks {missing}", "pass every hook through Recorder")


def test_sqlite_db_internals_the_per_deck_commit_uses(tmp_path):
    db = SqliteDB(str(tmp_path / "db"), JSONCodec())
    db.set("build:a.pptx", "x", 1)
    assert db._dirty == {"build:a.pptx"} and db._cache["build:a.pptx"] == {"x": 1}, \
        moved("SqliteDB._dirty/_cache", "commit after every deck and drop a deck's record from memory")
    doit_ext.checkpoint(db)
    assert len(db._conn.execute("select task_id from doit").fetchall()) == 1, \
        moved("SqliteDB._conn and its `doit` table", "commit after every deck")
    assert db._dirty == set() and hasattr(db, "codec")
    db._conn.close()


def _noop():
    pass


def test_task_fields_a_released_deck_drops():
    task = Task("build:a.pptx", [(_noop, [])])
    task.init_options()
    task.actions                                 # builds _action_instances
    assert task._action_instances is not None, moved("Task._action_instances", "drop a built deck's output")
    assert hasattr(task, "result") and hasattr(task, "values")


def test_clean_and_forget_pass_options_by_the_names_in_execute():
    assert "inspect.signature(self._execute)" in inspect.getsource(doit.cmd_base.DoitCmdBase.execute), \
        moved("DoitCmdBase.execute passing options by _execute's parameter names",
              "wrap clean and forget keeping their signature")
    for command in (cmd_clean.Clean, cmd_forget.Forget):
        wrapped = command._execute
        assert list(inspect.signature(wrapped).parameters) == list(inspect.signature(inspect.unwrap(wrapped)).parameters)
        assert "self" == list(inspect.signature(inspect.unwrap(wrapped)).parameters)[0], \
            moved(f"{command.__name__}._execute", "take the run lock around clean and forget")


def test_task_dispatcher_exposes_tasks_and_selected_names():
    dispatcher = TaskDispatcher({"build": Task("build", None)}, {}, ["build"])
    assert dispatcher.tasks and dispatcher.selected_tasks == ["build"], \
        moved("TaskDispatcher.tasks/selected_tasks", "count the decks a run considers")


def test_the_loader_api_the_altdeck_command_uses():
    assert opt_cwd["name"] == "cwdPath" and opt_cwd["short"] == "d", moved("cmd_base.opt_cwd", "take -d DIR")
    assert hasattr(NamespaceTaskLoader, "load_tasks") and hasattr(NamespaceTaskLoader, "setup")


def test_commands_open_the_database_through_cmd_base_dependency(tmp_path):
    from doit.dependency import Dependency
    source = inspect.getsource(doit.cmd_base.DoitCmdBase.execute)
    assert "self.dep_manager = Dependency(" in source, \
        moved("DoitCmdBase.execute creating its Dependency by the cmd_base name",
              "open doit's database with a one-line error (guard_database)")
    assert source.index("Dependency(") < source.index("self.loader.load_tasks"), \
        moved("the database opened before the tasks load", "install the guard when altdeck.tasks is imported")
    assert list(inspect.signature(Dependency.__init__).parameters)[1:3] == ["db_class", "backend_name"]
    doit_ext.guard_database()
    assert doit.cmd_base.Dependency is doit_ext._PlainDependency
    with pytest.raises(doit.exceptions.InvalidDodoFile) as e:
        doit_ext._PlainDependency(SqliteDB, str(tmp_path / "missing" / "db"))
    assert "doit's record of built decks cannot be opened (unable to open database file)" in str(e.value)


def test_the_runner_closes_the_database_in_finish_once():
    from doit.dependency import Dependency
    assert "self.dep_manager.close()" in inspect.getsource(Runner.finish), \
        moved("Runner.finish closing the dep manager", "say a failed last database write in one line")
    assert "if not self._closed:" in inspect.getsource(Dependency.close), \
        moved("Dependency._closed", "not close a database whose last write failed twice")


def test_a_task_result_is_saved_by_process_task_result_through_save_success():
    """doit_ext's process_task_result takes a deck's costs out of its values and drops its dict result
    before doit saves them (a dict result is saved twice otherwise: `_values_:` and `result:`)."""
    assert list(inspect.signature(Runner.process_task_result).parameters) == ["self", "node", "base_fail"], \
        moved("Runner.process_task_result(node, base_fail)", "keep costs and a second copy of the values out of the DB")
    source = inspect.getsource(Runner.process_task_result)
    assert source.index("task.save_extra_values()") < source.index("self.dep_manager.save_success(task)") \
        < source.index("self.reporter.add_success(task)"), \
        moved("save_success before add_success in process_task_result", "log a deck's costs after its DB record")
    from doit.dependency import Dependency
    saves = inspect.getsource(Dependency.save_success)
    assert '"_values_:", task.values' in saves and "elif task.result:" in saves, \
        moved("Dependency.save_success: values as `_values_:`, a result only when set",
              "save a deck's values once, without its costs")


def test_an_up_to_date_tasks_state_is_never_refreshed_and_md5_state_is_mtime_size_md5(tmp_path):
    """restamp records an up-to-date deck's new stat itself, in the shape MD5Checker keeps."""
    from doit.dependency import Dependency, MD5Checker
    source = inspect.getsource(Dependency.get_status)
    assert "save_success" not in source and "_set(" not in source, \
        moved("Dependency.get_status saving state", "record a cloned deck's new stat (restamp)")
    assert "timestamp, size, file_md5 = state" in inspect.getsource(MD5Checker.check_modified), \
        moved("MD5Checker's state (timestamp, size, md5)", "record a cloned deck's new stat (restamp)")
    assert "if file_stat.st_mtime == timestamp" in inspect.getsource(MD5Checker.check_modified), \
        moved("MD5Checker trusting an unchanged st_mtime", "record a cloned deck's new stat (restamp)")
    dep = Dependency(SqliteDB, str(tmp_path / "db"))
    assert type(dep.checker) is MD5Checker and isinstance(dep.backend, SqliteDB), \
        moved("Dependency.checker/.backend", "record a cloned deck's new stat (restamp)")
    dep.backend.set("build:a.pptx", "a.pptx", [1.5, 10, "md5"])
    assert dep.backend.get("build:a.pptx", "a.pptx") == [1.5, 10, "md5"]
    dep.close()
