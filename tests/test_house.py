"""The package as a new user meets it: installed from a wheel, the `altdeck` command, commands that
build nothing staying out of the batch's way, and the layers of the code."""
import ast
import contextlib
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

import pytest
# doit's run command takes the sys.stdout of its first import as its default output: imported here,
# not first inside a test whose captured stream is closed after it (later in-process runs would fail)
from doit.cmd_base import ModuleTaskLoader
from doit.doit_cmd import DoitMain

from decks import full_deck
from modelserver import ModelServer
from runs import ALTDECK, REPO
from test_batch import events, logs, start, wait_for

PACKAGE = REPO / "actions"


def altdeck(folder, *args, env=None, exe=ALTDECK, timeout=300):
    return subprocess.run([exe, *args], cwd=folder, capture_output=True, text=True, timeout=timeout, env=env)


# -- one document of defaults ----------------------------------------------------------------

def test_the_repository_config_and_the_shipped_defaults_are_one_document():
    shipped = (PACKAGE / "defaults.yaml").read_text()
    assert (REPO / "config.yaml").read_text() == shipped, \
        "config.yaml (documented defaults) and actions/defaults.yaml (shipped) differ: copy one onto the other"
    r = subprocess.run([ALTDECK, "defaults"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == shipped


# -- installed from a wheel, in a course that has its own `actions` ---------------------------

@pytest.fixture(scope="module")
def wheel_site(tmp_path_factory):
    """altdeck installed from a wheel (not editable) into a folder of its own, built from another folder."""
    work = tmp_path_factory.mktemp("wheel")
    src, site = work / "src", work / "site"                # a copy: building must not write into the checkout
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".git", ".venv", "build", "tests", "benchmarks",
                                                             "*.egg-info", "__pycache__"))
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(src)],
                       cwd=work, capture_output=True, text=True)          # pip builds a wheel, then installs it
    assert r.returncode == 0, r.stderr
    names = {p.name for p in (site / "altdeck").iterdir()}
    subpackages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert subpackages <= names and not (site / "actions").exists(), subpackages - names
    assert "defaults.yaml" in names and (site / "altdeck" / "render" / "unohelper.py").is_file()
    assert (site / "altdeck" / "review" / "assets" / "review.js").is_file()     # the review page's script
    return site


def test_a_wheel_builds_a_course_that_has_its_own_actions_module(tmp_path, wheel_site):
    course = tmp_path / "course"
    course.mkdir()
    trap = 'raise SystemExit("the course\'s own actions module was imported")\n'
    (course / "actions.py").write_text(trap)
    (course / "actions").mkdir()
    (course / "actions" / "__init__.py").write_text(trap)
    for name in ("week1.pptx", "week2.pptx"):
        full_deck(course / name)
    (course / "config.yaml").write_text("describer:\n  backend: offline\n")
    env = dict(os.environ, PYTHONPATH=str(wheel_site))
    exe = str(wheel_site / "bin" / "altdeck")
    where = subprocess.run([sys.executable, "-c", "import altdeck; print(altdeck.__file__)"], cwd=course,
                           capture_output=True, text=True, env=env)
    assert where.stdout.strip() == str(wheel_site / "altdeck" / "__init__.py")     # not the checkout
    r = altdeck(course, env=env, exe=exe)
    assert r.returncode == 0, r.stdout + r.stderr
    assert {line.split()[1] for line in r.stdout.splitlines() if line.startswith("built ")} == \
        {"week1.pptx", "week2.pptx"}
    assert (course / "build/accessible/week2.pptx").is_file()
    r = altdeck(course, "check", env=env, exe=exe)
    assert "the course's own actions module" not in r.stdout + r.stderr


# -- commands that build nothing contact no model server ---------------------------------------

def model_course(folder, srv, backend):
    """A course of one deck whose config points at the model server `srv`."""
    folder.mkdir()
    full_deck(folder / "week1.pptx")
    (folder / "config.yaml").write_text(f"describer:\n  backend: {backend}\n  url: {srv.url}\n  model: llava\n")
    return folder


def test_list_info_check_review_clean_contact_no_model_server(tmp_path):
    with ModelServer(models=["llava:latest"]) as srv:
        course = model_course(tmp_path / "course", srv, "ollama")
        for args in (["list"], ["list", "--all", "--status"], ["check"], ["info", "build:week1.pptx"], ["review"]):
            altdeck(course, *args)
            assert srv.connections == 0, f"altdeck {' '.join(args)} contacted the model server"
        r = altdeck(course)                                   # a build probes and describes
        assert r.returncode == 0, r.stderr
        assert srv.chats() and srv.connections > 0
        (course / ".altdeck" / "probes.json").unlink()       # no remembered probe: would ask again
        seen = srv.connections
        for args in (["list", "--status"], ["check"], ["info", "build:week1.pptx"], ["review"],
                     ["alt", "--hash", "ffffff", "--reviewed"], ["forget", "build:week1.pptx"], ["clean"]):
            altdeck(course, *args)
            assert srv.connections == seen, f"altdeck {' '.join(args)} contacted the model server"


def test_with_backend_auto_the_status_of_a_deck_needs_no_probe(tmp_path):
    with ModelServer(models=["llava:latest"]) as srv:
        course = model_course(tmp_path / "course", srv, "auto")
        assert altdeck(course).returncode == 0
        assert srv.chats()
        probes = course / ".altdeck" / "probes.json"
        probes.write_text(json.dumps({"last-auto": json.loads(probes.read_text())["last-auto"]}))  # no probe kept
        seen = srv.connections
        r = altdeck(course, "list", "--all", "--status")
        assert "U build:week1.pptx" in r.stdout, r.stdout          # the last build's describer: up to date
        assert srv.connections == seen


def test_with_backend_auto_the_status_of_many_decks_reads_the_last_choice_once(course, monkeypatch):
    """Each deck's up-to-date check asks which describer the decks were built with; under `auto`
    (the default), outside a build that is the last choice in probes.json: read once, not per deck."""
    from altdeck import tasks
    from altdeck.describe import choose

    for i in range(4):
        full_deck(course / f"d{i}.pptx")
    assert altdeck(course).returncode == 0
    (course / "config.yaml").write_text("describer:\n  backend: auto\n")
    (course / ".altdeck" / "probes.json").write_text(json.dumps({"last-auto": "offline"}))
    reads = []
    read = choose._read_probes
    monkeypatch.setattr(choose, "_read_probes", lambda cfg: reads.append(1) or read(cfg))
    monkeypatch.setattr(choose, "_CHOICES", {})
    monkeypatch.chdir(course)
    dodo = {name: getattr(tasks, name) for name in tasks.__all__}
    with contextlib.redirect_stdout(io.StringIO()) as out:       # (not capsys: see the imports)
        assert DoitMain(ModuleTaskLoader(dodo)).run(["list", "--all", "--status"]) == 0
    listed = out.getvalue()
    assert all(f"U build:d{i}.pptx" in listed for i in range(4)), listed
    assert len(reads) == 1, len(reads)


# -- check, review and alt are not builds -----------------------------------------------------

def test_check_prints_only_its_own_lines_writes_no_log_and_leaves_the_alt_text_file_alone(course):
    full_deck(course / "a.pptx")
    assert altdeck(course).returncode == 0
    store = course / "alt-text.yaml"
    store.write_text("version: 1\nimages: {}\n")
    before = (store.read_bytes(), store.stat().st_mtime_ns)
    n_logs = len(list((course / ".altdeck" / "logs").glob("*.jsonl")))
    r = altdeck(course, "check")
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines and all(line.startswith("a.pptx:") for line in lines), r.stdout
    [summary] = r.stderr.strip().splitlines()
    assert summary.startswith("FAILED check: ") and "error(s) in 1 of 1 deck(s)" in summary
    assert "altdeck:" not in r.stdout and "log:" not in r.stdout          # no batch summary
    assert len(list((course / ".altdeck" / "logs").glob("*.jsonl"))) == n_logs
    assert (store.read_bytes(), store.stat().st_mtime_ns) == before
    for args in (["review"], ["alt", "--hash", "ffffff", "--reviewed"]):
        altdeck(course, *args)
        assert len(list((course / ".altdeck" / "logs").glob("*.jsonl"))) == n_logs, args


def test_check_runs_while_a_build_holds_the_lock(course):
    full_deck(course / "a.pptx")
    assert altdeck(course).returncode == 0
    os.mkfifo(course / "hang.pptx")                      # the next build hangs on it, holding the lock
    build = start(course)
    try:
        wait_for(lambda: logs(course) and events(logs(course)[-1], "deck_start", deck="hang.pptx"), "a hung build")
        t = time.monotonic()
        r = altdeck(course, "check", timeout=60)
        assert time.monotonic() - t < 30
        assert "another altdeck run is in progress" not in r.stderr
        assert r.returncode == 1 and "hang.pptx: (deck)" in r.stdout
        assert "a.pptx:1: Picture 2 — error alt-missing: picture has no alt text" in r.stdout and "a.pptx: (deck)" not in r.stdout   # its last build
    finally:
        build.kill()
        build.wait()


def test_builds_keep_only_the_newest_logs(course):
    full_deck(course / "a.pptx")
    (course / "config.yaml").write_text((course / "config.yaml").read_text() + "batch:\n  keep_logs: 2\n")
    for _ in range(4):
        assert altdeck(course).returncode == 0
    names = sorted(p.name for p in (course / ".altdeck" / "logs").glob("*.jsonl"))
    assert len(names) == 2


# -- the command -----------------------------------------------------------------------------

def test_altdeck_is_doit_with_altdecks_tasks_on_any_folder(tmp_path, course):
    full_deck(course / "a.pptx")
    r = altdeck(tmp_path, "-d", str(course), "list")
    assert r.returncode == 0 and [line.split()[0] for line in r.stdout.splitlines()] == \
        ["alt", "build", "check", "review", "waive"]
    r = altdeck(tmp_path, "-d", str(course), "-n", "2")
    assert r.returncode == 0 and "built  a.pptx" in r.stdout
    r = altdeck(course, "check", "--help")
    assert r.returncode == 0 and "--strict" in r.stdout
    r = altdeck(course, "--help")
    assert r.returncode == 0 and "altdeck init" in r.stdout and "altdeck check" in r.stdout


@pytest.mark.parametrize("command", ["init", "install-hook"])
def test_help_of_init_and_install_hook_creates_nothing(tmp_path, command):
    r = altdeck(tmp_path, command, "--help")
    assert r.returncode == 0 and f"usage: altdeck {command}" in r.stdout
    assert list(tmp_path.iterdir()) == []
    r = altdeck(tmp_path, command, "--bogus")
    assert r.returncode == 2 and "unexpected '--bogus'" in r.stderr and "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_alt_with_empty_text_is_one_line(course):
    full_deck(course / "a.pptx")
    altdeck(course)
    image = next(line for line in altdeck(course, "check").stdout.splitlines() if "--key" in line)
    key = image.split("--key ")[1].split()[0]
    r = altdeck(course, "alt", "--hash", key, "--text", "")
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "--text is empty" in r.stdout + r.stderr


def test_init_from_the_installed_package_names_no_checkout(tmp_path):
    repo = tmp_path / "course"
    r = altdeck(tmp_path, "init", str(repo))
    assert r.returncode == 0, r.stderr
    dodo = (repo / "dodo.py").read_text()
    assert "from altdeck.tasks import *" in dodo and str(REPO) not in dodo and "sys.path" not in dodo
    full_deck(repo / "week1.pptx")
    (repo / "config.yaml").write_text("describer:\n  backend: offline\n")
    r = subprocess.run([sys.executable, "-m", "doit"], cwd=repo, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "built  week1.pptx" in r.stdout, r.stderr


def test_deck_of_a_build_task_without_meta_reads_its_name():
    from doit.task import Task

    from altdeck.discover import deck_of, task_name
    task = Task("build:" + task_name("a=b%c.pptx"), None)
    assert deck_of(task) == "a=b%c.pptx"
    assert deck_of(Task("check", None)) is None


# -- layers --------------------------------------------------------------------------------

LAYER = {  # a module may import modules of a lower layer, and of its own package
    "errors": 0, "vocab": 0, "patterns": 0, "files": 1, "procs": 0, "alttext": 1, "config": 2, "discover": 1,
    "ooxml": 3, "describe": 3, "store": 3, "render": 3,
    "build": 4, "settings": 4, "review": 4,
    "run": 5, "tasks": 6, "scaffold": 6, "cli": 7, "__main__": 8, "__init__": 0,
}
SIDEWAYS = {("describe", "ooxml"), ("store", "ooxml"), ("render", "ooxml"), ("render", "describe")}   # one way only


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        yield ".".join(rel.parts), path


def _is_module(dotted: str) -> bool:
    path = PACKAGE.joinpath(*dotted.split(".")) if dotted else PACKAGE
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(name, path):
    """-> [(imported altdeck module, imported when the module is?)] of a module's relative imports."""
    tree = ast.parse(path.read_text())
    package = name.split(".")[:-1]
    top_level = {id(n) for n in tree.body} | {id(c) for n in tree.body if isinstance(n, (ast.If, ast.Try))
                                              for c in ast.walk(n)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - node.level + 1]
            mod = ".".join(base + ([node.module] if node.module else []))
            targets = [mod] if node.module else [".".join(base + [a.name]) for a in node.names]
            for t in targets:
                out.append((t if _is_module(t) else mod, id(node) in top_level))
    return out


def _unit(module: str) -> str:
    return module.split(".")[0] if module else "__init__"


def test_layers_import_only_downwards_and_have_no_cycles():
    graph, problems = {}, []
    for name, path in _modules():
        unit = _unit(name)
        for target, top in _imports(name, path):
            other = _unit(target)
            if other != unit and not (LAYER[other] < LAYER[unit] or (unit, other) in SIDEWAYS):
                problems.append(f"{name} imports {target or 'altdeck'} ({other} is not below {unit})")
            if top:
                graph.setdefault(name, set()).add(target)
    assert not problems, "\n".join(problems)

    def node_of(target):
        return target if target in graph or _is_module(target) and not (PACKAGE / target.replace(".", "/")).is_dir() \
            else (target + ".__init__" if target else "__init__")

    done = set()

    def visit(node, stack):
        if node in stack:
            raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(node):] + [node]))
        if node in done:
            return
        for nxt in graph.get(node, ()):
            visit(node_of(nxt), stack + [node])
        done.add(node)
    for node in list(graph):
        visit(node, [])


def test_every_module_imports_on_its_own_and_tasks_import_nothing_heavy(tmp_path):
    names = ["altdeck" + ("." + n.removesuffix(".__init__") if n != "__init__" else "")
             for n, _ in _modules() if not n.endswith("__main__")]
    each = """
import sys
for name in sys.argv[1:]:
    for m in [m for m in sys.modules if m == "altdeck" or m.startswith("altdeck.")]:
        del sys.modules[m]
    __import__(name)
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", each, *names], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
    # a no-op build imports the tasks: no XML parser, image library, HTTP client or database on the way
    heavy = """
import sys
import altdeck.tasks
print(sorted({m.split(".")[0] for m in sys.modules} & {"lxml", "PIL", "requests", "sqlite3", "yaml"}))
"""
    r = subprocess.run([sys.executable, "-c", heavy], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() in ("[]", "['yaml']"), r.stdout
    assert list(tmp_path.iterdir()) == []                 # and no file written by importing


NO_OP_IMPORTS = """
import atexit, runpy, sys
watched = ("yaml", "lxml", "PIL", "http", "encodings.idna", "altdeck.describe.base", "altdeck.describe.ocr",
           "altdeck.describe.offline", "altdeck.describe.vision", "altdeck.build", "altdeck.review")
atexit.register(lambda: print("imported:", sorted(m for m in sys.modules if m in watched or m.split(".")[0] in watched),
                              file=sys.stderr))
sys.argv = ["doit", "-f", sys.argv[1], "-d", sys.argv[2]]
runpy.run_module("doit", run_name="__main__")
"""


def test_a_no_op_build_imports_no_yaml_parser_describer_ocr_or_xml_code(course):
    """What a no-op run imports is most of what it costs over raw doit (issue 17: <= 1.2x): the parsed
    config comes from its JSON copy, the settings digest from describe/signature.py, and backend
    auto's probe of a closed port needs no IDNA codec."""
    import socket
    with socket.socket() as s:               # a port nothing listens on: backend auto probes it, finds
        s.bind(("127.0.0.1", 0))             # it closed and describes offline
        port = s.getsockname()[1]
    full_deck(course / "a.pptx")
    (course / "config.yaml").write_text(f"describer:\n  backend: auto\n  url: http://localhost:{port}\n  ocr: true\n")
    assert altdeck(course).returncode == 0
    assert altdeck(course).returncode == 0               # (the state folder exists now: the config's copy is kept)
    r = subprocess.run([sys.executable, "-c", NO_OP_IMPORTS, str(REPO / "dodo.py"), str(course)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "1 up to date" in r.stdout, r.stdout + r.stderr
    assert "imported: []" in r.stderr, r.stderr


def test_generated_hook_names_no_checkout_and_finds_altdeck(tmp_path):
    from altdeck.review.hook import hook_text
    text = hook_text("lectures")
    # the interpreter altdeck runs in is named (a venv may live inside the checkout, as in CI);
    # nothing else of the checkout is: no PYTHONPATH, no path into its source
    assert f"python={shlex.quote(sys.executable)}\n" in text
    assert str(REPO) not in text.replace(shlex.quote(sys.executable), "")
    assert "PYTHONPATH" not in text
    assert "-P -m altdeck pre-push" in text and 'command -v altdeck' in text


def test_doit_run_on_a_checkout_dodo_py_works_without_install(tmp_path, course):
    """`doit -f <checkout>/dodo.py` from a checkout altdeck is not installed from: the folder's own name."""
    checkout = tmp_path / "checkout"
    shutil.copytree(PACKAGE, checkout / "actions", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "dodo.py", checkout / "dodo.py")
    full_deck(course / "a.pptx")
    code = ("import sys, runpy; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f)]; "
            "sys.argv = ['doit'] + sys.argv[1:]; runpy.run_module('doit', run_name='__main__')")
    r = subprocess.run([sys.executable, "-c", code, "-f", str(checkout / "dodo.py"), "-d", str(course)],
                       capture_output=True, text=True, timeout=300,
                       env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert r.returncode == 0 and "built  a.pptx" in r.stdout, r.stdout + r.stderr
