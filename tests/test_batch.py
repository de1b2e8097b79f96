"""Batch runs that survive: real doit runs, real worker processes, real signals.

Hangs are real: a FIFO named like a deck blocks the worker's open() until a
writer comes, exactly like a deck on a dead network share.  Crashes and
leftover children come from a sitecustomize.py the test puts on PYTHONPATH,
which acts only inside deck workers (forks of `python -m altdeck.run.forkserver`).
Waiting loops have generous deadlines only so a broken build cannot hang the
suite; nothing asserts on how long anything took.
"""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from decks import cnvprs, full_deck
from runs import doit_cmd, events, logs, run_doit

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 120


@pytest.fixture(scope="session")
def deck_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("deck") / "d.pptx"
    full_deck(path)
    return path.read_bytes()


def make_decks(folder, data, n, prefix="d"):
    names = [f"{prefix}{i:02d}.pptx" for i in range(n)]
    for name in names:
        (folder / name).write_bytes(data)
    return names


def start(folder, *args, env=None):
    return subprocess.Popen(doit_cmd(folder, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def wait_for(predicate, what):
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def current_log(folder):
    runs = logs(folder) if (folder / ".altdeck" / "logs").exists() else []
    return runs[-1] if runs else []


def workers_in(folder) -> list:
    """pids of live deck workers (forks of `run.forkserver`, and the server) working in `folder`."""
    pids = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cmd = (p / "cmdline").read_bytes()
            cwd = os.readlink(p / "cwd")
            state = next(line for line in (p / "status").read_text().splitlines() if line.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if b"run.forkserver" in cmd and cwd == str(folder) and "Z" not in state:
            pids.append(int(p.name))
    return pids


def leftovers(folder) -> list:
    """Temp files or folders altdeck may have left anywhere under the course folder."""
    return [str(p) for p in folder.rglob("*") if p.name.startswith(".~altdeck") or p.name.startswith("tmp")]


def alive(pid) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "Z (zombie)" not in status.read_text()


SITECUSTOMIZE = '''
import os, signal, subprocess, sys
if b"run.forkserver" in open("/proc/self/cmdline", "rb").read():      # deck workers are forks of it
    hooks = os.environ["ALTDECK_TEST_HOOKS"]
    import json
    _loads = json.loads

    def loads(text, *args, **kwargs):             # a worker's job arrives
        if isinstance(text, bytes) and b'"rel"' in text:
            if os.environ.get("ALTDECK_TEST_CHILD"):      # every worker leaves a grandchild behind
                child = subprocess.Popen(["sleep", "300"])
                with open(os.path.join(hooks, "children"), "a") as f:
                    f.write(f"{child.pid}\\n")
            try:                                  # the first worker to get a job with the marker there crashes
                os.rename(os.path.join(hooks, "crash"), os.path.join(hooks, "crashed"))
                sys.stderr.write("about to crash in the parser\\n")
                sys.stderr.flush()
                os.kill(os.getpid(), signal.SIGSEGV)
            except FileNotFoundError:
                pass
        return _loads(text, *args, **kwargs)
    json.loads = loads
'''


@pytest.fixture
def hooks(tmp_path):
    folder = tmp_path / "hooks"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = dict(os.environ, PYTHONPATH=str(folder), ALTDECK_TEST_HOOKS=str(folder))
    return folder, env


@pytest.fixture
def course(tmp_path):
    folder = tmp_path / "course"
    folder.mkdir()
    return folder


def report(folder, name):
    return folder / "build" / "reports" / (name + ".json")


# -- per-deck timeout -----------------------------------------------------------------------

def test_hanging_deck_is_killed_with_its_children_and_the_others_are_built(course, deck_bytes, hooks):
    hook_dir, env = hooks
    env["ALTDECK_TEST_CHILD"] = "1"
    (course / "config.yaml").write_text("batch:\n  deck_timeout_s: 1\n")
    make_decks(course, deck_bytes, 2)
    os.mkfifo(course / "hang.pptx")           # open() blocks: a real hang in the worker

    r = run_doit(course, env=env)

    assert r.returncode != 0
    assert "FAILED hang.pptx: timed out after 1 s (batch.deck_timeout_s); killed with its child processes" \
        in r.stderr
    assert "stdout: (empty)" in r.stderr
    for name in ("d00.pptx", "d01.pptx"):
        assert json.loads(report(course, name).read_text())["deck"] == name
    assert not report(course, "hang.pptx").exists()
    [log] = logs(course)
    [end] = events(log, "deck_end", deck="hang.pptx")
    assert end["status"] == "failed" and end["exit_code"] == -signal.SIGKILL
    assert "timed out after 1 s" in end["error"] and end["error_ts"]
    children = [int(x) for x in (hook_dir / "children").read_text().split()]
    assert len(children) == 3                 # one per worker, the hanging one included
    assert not [pid for pid in children if alive(pid)], "a worker's child survived its deck"
    assert workers_in(course) == []
    assert leftovers(course) == []


# -- crash ----------------------------------------------------------------------------------

def test_crashing_worker_fails_only_its_deck_with_a_one_line_reason(course, deck_bytes, hooks):
    hook_dir, env = hooks
    (hook_dir / "crash").write_text("")
    make_decks(course, deck_bytes, 3)

    r = run_doit(course, env=env)

    assert r.returncode != 0
    [line] = [x for x in r.stderr.splitlines() if x.startswith("FAILED")]
    assert line.startswith("FAILED d00.pptx: the deck's worker was killed by SIGSEGV; "
                           "stderr: about to crash in the parser")
    assert "Traceback" not in r.stderr
    assert not (course / "build" / "accessible" / "d00.pptx").exists()
    assert json.loads(report(course, "d02.pptx").read_text())["summary"]["described"] > 0
    [log] = logs(course)
    [end] = events(log, "deck_end", deck="d00.pptx")
    assert end["exit_code"] == -signal.SIGSEGV and "about to crash" in end["stderr_tail"]
    assert "d00.pptx: the deck's worker was killed by SIGSEGV" in r.stdout     # the summary
    assert leftovers(course) == []

    again = run_doit(course, env=env)              # the crash is gone: only the failed deck is built
    assert again.returncode == 0, again.stderr
    assert [e["deck"] for e in events(logs(course)[-1], "deck_start")] == ["d00.pptx"]


# -- a deck's own error keeps its one-line message ----------------------------------------

def test_deck_error_message_from_the_worker_is_kept(course, deck_bytes):
    make_decks(course, deck_bytes, 1)
    (course / "bad.pptx").write_bytes(b"PK\x03\x04 not really a zip")
    r = run_doit(course)
    assert r.returncode != 0
    [line] = [x for x in r.stderr.splitlines() if x.startswith("FAILED")]
    assert "bad.pptx" in line and "not a valid PowerPoint file" in line
    [end] = events(logs(course)[0], "deck_end", deck="bad.pptx")
    assert end["exit_code"] == 3 and "not a valid PowerPoint file" in end["error"]


# -- failure-rate stop ----------------------------------------------------------------------

def test_mostly_failing_batch_stops_after_min_decks(course, deck_bytes):
    for i in range(8):
        (course / f"a{i}.pptx").write_bytes(b"")      # empty: each fails
    make_decks(course, deck_bytes, 3, prefix="z")      # sorted after the broken ones

    r = run_doit(course)

    assert r.returncode != 0
    assert ("stopping: 5 of 5 finished decks failed (100%), above batch.stop_on_error_threshold 0.5; "
            "no new deck started") in r.stderr
    [log] = logs(course)
    assert [e["deck"] for e in events(log, "deck_start")] == [f"a{i}.pptx" for i in range(5)]
    [end] = events(log, "batch_end")
    assert end["status"] == "stopped" and end["not_started"] == 6 and end["failed"] == 5
    assert "5 failed" in r.stdout and "6 not started" in r.stdout
    assert not (course / "build" / "reports").exists()


def test_a_rerun_after_a_stop_continues_with_the_decks_that_never_ran(course, deck_bytes):
    for i in range(5):
        (course / f"a{i}.pptx").write_bytes(b"")      # sorted first, all fail: the first run stops
    make_decks(course, deck_bytes, 3, prefix="b")
    (course / "c0.pptx").write_bytes(b"")
    first = run_doit(course)
    assert "stopping: 5 of 5" in first.stderr

    second = run_doit(course)

    started = [e["deck"] for e in events(logs(course)[-1], "deck_start")]
    assert started[:4] == ["b00.pptx", "b01.pptx", "b02.pptx", "c0.pptx"]     # the rest first
    assert set(started[4:]) <= {f"a{i}.pptx" for i in range(5)}                # last time's failures last
    assert all(report(course, f"b{i:02d}.pptx").exists() for i in range(3))
    assert "c0.pptx" in second.stderr


def test_threshold_counts_only_finished_decks(course, deck_bytes):
    (course / "config.yaml").write_text("batch:\n  min_decks_for_threshold: 4\n  stop_on_error_threshold: 0.5\n")
    (course / "a0.pptx").write_bytes(b"")
    (course / "a1.pptx").write_bytes(b"")
    make_decks(course, deck_bytes, 4, prefix="b")      # 2 of 6 fail: 33 % never exceeds 50 %
    r = run_doit(course)
    assert "stopping" not in r.stderr
    [end] = events(logs(course)[0], "batch_end")
    assert (end["built"], end["failed"], end["status"]) == (4, 2, "done")


# -- signals and kill -9 ----------------------------------------------------------------------

def ended_ok(folder):
    return [e["deck"] for e in events(current_log(folder), "deck_end", status="ok")]


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_first_signal_finishes_running_decks_and_a_rerun_does_only_the_rest(course, deck_bytes, sig, code):
    names = make_decks(course, deck_bytes, 40)
    p = start(course)
    wait_for(lambda: len(ended_ok(course)) >= 5, "five decks built")
    p.send_signal(sig)
    out, err = p.communicate(timeout=DEADLINE)

    assert p.returncode == code, err
    assert f"altdeck: {signal.Signals(sig).name}: starting no new deck" in err
    [log] = logs(course)
    started = [e["deck"] for e in events(log, "deck_start")]
    ended = {e["deck"]: e["status"] for e in events(log, "deck_end")}
    assert set(started) == set(ended) and set(ended.values()) == {"ok"}   # every started deck finished
    assert len(started) < len(names)
    [end] = events(log, "batch_end")
    assert end["status"] == "interrupted" and end["signal"] == signal.Signals(sig).name
    assert f"{len(started)} built" in out and f"{40 - len(started)} not started" in out and "log:" in out
    for name in started:
        assert json.loads(report(course, name).read_text())["deck"] == name
    mtimes = {n: report(course, n).stat().st_mtime_ns for n in started}

    again = run_doit(course)
    assert again.returncode == 0, again.stderr
    rerun = [e["deck"] for e in events(logs(course)[-1], "deck_start")]
    assert sorted(rerun) == sorted(set(names) - set(started))
    assert {n: report(course, n).stat().st_mtime_ns for n in started} == mtimes
    assert leftovers(course) == []


def test_second_signal_kills_the_running_deck_and_keeps_finished_ones(course, deck_bytes):
    make_decks(course, deck_bytes, 3)
    os.mkfifo(course / "m-hang.pptx")          # sorted between d02 and later decks
    make_decks(course, deck_bytes, 2, prefix="z")
    p = start(course)
    wait_for(lambda: events(current_log(course), "deck_start", deck="m-hang.pptx"), "the hanging deck")
    wait_for(lambda: workers_in(course), "its worker")
    p.send_signal(signal.SIGINT)
    wait_for(lambda: events(current_log(course), "signal"), "the first signal noted")
    assert p.poll() is None                     # still waiting for the running deck
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=DEADLINE)

    assert p.returncode == 130
    assert "Traceback" not in err
    assert "altdeck: 3 built, 0 failed, 0 up to date, 1 stopped mid-build, 2 not started" in out
    assert workers_in(course) == []
    [log] = logs(course)
    assert ended_ok(course) == ["d00.pptx", "d01.pptx", "d02.pptx"]
    [hang] = events(log, "deck_end", deck="m-hang.pptx")
    assert hang["status"] == "interrupted"
    assert events(log, "batch_end")[0]["status"] == "killed"
    assert not (course / "build" / "accessible" / "m-hang.pptx").exists()
    assert leftovers(course) == []

    os.unlink(course / "m-hang.pptx")
    again = run_doit(course)
    assert again.returncode == 0, again.stderr
    assert [e["deck"] for e in events(logs(course)[-1], "deck_start")] == ["z00.pptx", "z01.pptx"]


def test_kill_9_keeps_every_finished_deck(course, deck_bytes):
    names = make_decks(course, deck_bytes, 40)
    p = start(course)
    wait_for(lambda: len(ended_ok(course)) >= 8, "eight decks built")
    p.kill()
    p.communicate(timeout=DEADLINE)
    done = ended_ok(course)
    mtimes = {n: report(course, n).stat().st_mtime_ns for n in done}
    wait_for(lambda: not workers_in(course), "the orphaned worker to exit")   # it follows its parent

    again = run_doit(course)

    assert again.returncode == 0, again.stderr
    rerun = [e["deck"] for e in events(logs(course)[-1], "deck_start")]
    assert not set(rerun) & set(done), "a deck finished before kill -9 was built again"
    assert sorted(rerun + done) == names
    assert {n: report(course, n).stat().st_mtime_ns for n in done} == mtimes
    assert leftovers(course) == []
    assert run_doit(course).stdout.startswith("altdeck: 0 built, 0 failed, 40 up to date")


def test_kill_9_never_repeats_a_model_request_for_an_image_already_described(course):
    from decks import add_picture, png
    from modelserver import ModelServer
    from pptx import Presentation
    for d in range(4):
        prs = Presentation()
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        for k in range(3):
            add_picture(slide, png(100 + 3 * d + k), 0.5 + k)
        prs.save(course / f"deck{d}.pptx")
    with ModelServer(answer_limit=5, delay_s=0.05) as srv:
        (course / "config.yaml").write_text(f"describer:\n  backend: ollama\n  url: {srv.url}\n  model: llava\n"
                                            "  timeout_s: 30\n  max_concurrency: 2\n")
        p = start(course)
        wait_for(lambda: len(srv.answered) >= 5 and srv.in_flight >= 1, "five answers, then a held request")
        time.sleep(0.5)                                  # the answers arrived and were stored
        p.kill()                                         # kill -9 of doit in the middle of a deck
        p.communicate(timeout=DEADLINE)
        wait_for(lambda: not workers_in(course), "the orphaned worker to exit")
        described = set(srv.answered)
        sent_before = len(srv.chats())
        srv.answer_limit = None

        again = run_doit(course)

        assert again.returncode == 0, again.stderr
        resent = [h for r in srv.chats()[sent_before:] for h in r["image_hashes"]]
        assert not set(resent) & described, "an image described before kill -9 was sent again"
        assert len(described) + len(set(resent)) == 12
    for d in range(4):
        texts = [e.get("descr") for e in cnvprs(course / "build/accessible" / f"deck{d}.pptx", 1).values()]
        assert sum(t.startswith("Canned description") for t in texts if t) == 3


# -- one run at a time --------------------------------------------------------------------

def test_second_run_exits_at_once_naming_the_first_and_a_dead_holder_is_taken_over(course, deck_bytes):
    make_decks(course, deck_bytes, 1)
    os.mkfifo(course / "hang.pptx")
    first = start(course)
    wait_for(lambda: events(current_log(course), "deck_start", deck="hang.pptx"), "the first run to hang")

    second = run_doit(course)

    assert second.returncode == 3
    assert f"another altdeck run is in progress (pid {first.pid}, started " in second.stderr
    assert len(logs(course)) == 1               # the refused run leaves no log
    assert first.poll() is None

    first.kill()                                # dead holder: its flock is released with it
    first.communicate(timeout=DEADLINE)
    wait_for(lambda: not workers_in(course), "the orphaned worker to exit")
    os.unlink(course / "hang.pptx")
    third = run_doit(course)
    assert third.returncode == 0, third.stderr
    assert "1 up to date" in third.stdout


def test_clean_and_forget_wait_for_no_run_they_exit_naming_it(course, deck_bytes):
    make_decks(course, deck_bytes, 1)
    os.mkfifo(course / "hang.pptx")
    first = start(course)
    wait_for(lambda: events(current_log(course), "deck_start", deck="hang.pptx"), "the first run to hang")
    built = course / "build" / "accessible" / "d00.pptx"
    assert built.is_file()

    for command in ("clean", "forget"):
        r = run_doit(course, command)
        assert r.returncode == 3, (command, r.stdout, r.stderr)
        assert f"another altdeck run is in progress (pid {first.pid}, started " in r.stderr
    assert built.is_file() and first.poll() is None       # nothing was removed under the run

    first.kill()
    first.communicate(timeout=DEADLINE)
    wait_for(lambda: not workers_in(course), "the orphaned worker to exit")
    os.unlink(course / "hang.pptx")
    r = run_doit(course, "clean")
    assert r.returncode == 0, r.stderr
    assert not built.exists()                              # with no run in progress, clean cleans
    assert json.loads((course / ".altdeck" / "lock").read_text() or "{}") == {}   # and lets go


# -- logs --------------------------------------------------------------------------------------

def test_log_has_batch_markers_unique_ids_and_progress_lines(course, deck_bytes):
    make_decks(course, deck_bytes, 3)
    r = run_doit(course)
    (course / "d01.pptx").write_bytes(deck_bytes[:-10] + b"x" * 10)
    r2 = run_doit(course, "progress=quiet")
    r3 = run_doit(course, "progress=verbose")
    runs = logs(course)
    ids = {e["batch"] for log in runs for e in log}
    assert len(ids) == 3
    first = runs[0]
    assert first[0]["event"] == "batch_start" and first[0]["total"] == 3
    assert first[-1]["event"] == "batch_end" and first[-1]["built"] == 3
    assert [e["event"] for e in first[1:-1]] == ["deck_start", "deck_end"] * 3
    lines = [x for x in r.stdout.splitlines() if x.startswith("built")]
    assert [x.split("[")[1].split("]")[0] for x in lines] == ["1/3", "2/3", "3/3"]
    assert "ETA" in lines[0] and "100% ok" in lines[-1]
    assert "slowest:" in r.stdout and str(course / ".altdeck" / "logs") in r.stdout
    assert not [x for x in r2.stdout.splitlines() if x.startswith("built")]    # quiet
    assert "FAILED d01.pptx" in r2.stderr and "1 failed" in r2.stdout
    assert "-- up to date: d00.pptx" in r3.stdout and "start  d01.pptx" in r3.stdout   # verbose


def test_parallel_runner_records_every_deck(course, deck_bytes):
    names = make_decks(course, deck_bytes, 6)
    (course / "bad.pptx").write_bytes(b"")
    r = run_doit(course, "-n", "2")
    assert r.returncode != 0
    [log] = logs(course)
    ended = {e["deck"]: e["status"] for e in events(log, "deck_end")}
    assert ended == {**{n: "ok" for n in names}, "bad.pptx": "failed"}
    again = run_doit(course, "-n", "2")
    assert again.returncode == 1 and "FAILED bad.pptx" in again.stderr
    assert [e["deck"] for e in events(logs(course)[-1], "deck_start")] == ["bad.pptx"]


def test_a_recorded_deck_leaves_none_of_its_results_in_the_run(course, deck_bytes, monkeypatch):
    """Memory must not grow with the decks a run has built or failed: once a deck is committed
    and logged, the run drops its result, action output and DB record (doit would keep them all)."""
    from doit.cmd_base import ModuleTaskLoader
    from doit.doit_cmd import DoitMain
    from altdeck import tasks
    from altdeck.run import doit_ext

    make_decks(course, deck_bytes, 3)
    (course / "broken.pptx").write_bytes(b"not a zip")
    seen = {}
    run_all = doit_ext._BatchRunnerMixin.run_all

    def spy(self, dispatcher):
        seen.update(runner=self, tasks=dispatcher.tasks)
        return run_all(self, dispatcher)
    monkeypatch.setattr(doit_ext._BatchRunnerMixin, "run_all", spy)
    monkeypatch.chdir(course)
    dodo = {name: getattr(tasks, name) for name in tasks.__all__}           # what dodo.py imports
    assert DoitMain(ModuleTaskLoader(dodo)).run(["-n", "2"]) == 1            # the broken deck failed

    decks = {n: t for n, t in seen["tasks"].items() if n.startswith("build:")}
    assert sorted(decks) == ["build:broken.pptx", "build:d00.pptx", "build:d01.pptx", "build:d02.pptx"]
    assert all(t.result is None and t.values == {} and t._action_instances is None for t in decks.values())
    assert not set(decks) & set(seen["runner"].dep_manager.backend._cache)
    assert seen["runner"].reporter.reporter.failures == []       # printed as one line, not kept
    assert all(getattr(t, "costs", None) is None for t in decks.values())
    again = run_doit(course)                                         # ... and doit's DB has every value
    assert again.built() == set() and set(again.failed()) == {"broken.pptx"}


def test_a_built_decks_record_holds_its_values_once_and_its_costs_are_in_the_log_not_the_db(course, deck_bytes):
    """A no-op run decodes every deck's record in doit's DB: the values are kept once (doit would also
    save the action's dict as `result:`), without the build's timings, which go to the log."""
    import sqlite3
    make_decks(course, deck_bytes, 2)
    assert run_doit(course).returncode == 0
    db = sqlite3.connect(course / ".doit.db")
    records = {k: json.loads(v) for k, v in db.execute("select task_id, task_data from doit")
               if k.startswith("build:")}
    db.close()
    assert sorted(records) == ["build:d00.pptx", "build:d01.pptx"]
    for record in records.values():
        assert "result:" not in record and "costs" not in record["_values_:"]
        assert {"deck", "settings", "store_texts"} <= set(record["_values_:"])
    [log] = logs(course)
    for e in events(log, "deck_end"):
        assert e["costs"]["scan_s"] >= 0 and e["costs"]["write_s"] > 0 and e["costs"]["rendered_slides"] == 0
    again = run_doit(course)
    assert again.returncode == 0 and again.built() == set()
