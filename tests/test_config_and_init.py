"""config.yaml errors stop the run with one line; `init` makes plain `doit` work in a course repo."""
import os
import subprocess
import sys

import pytest

from runs import REPO, run_doit
from decks import cnvprs, full_deck


@pytest.mark.parametrize("text, expected", [
    ("describer:\n  modle: llava\n", "config.yaml: unknown key 'describer.modle'"),
    ("colour: blue\n", "config.yaml: unknown key 'colour'"),
    ("describer:\n  timeout_s: soon\n", "config.yaml: 'describer.timeout_s' must be a number of seconds"),
    ("existing_alt: sometimes\n", "config.yaml: 'existing_alt' must be one of keep, replace_placeholder"),
    ("decks: '*.pptx'\n", "config.yaml: 'decks' must be a list of globs, got '*.pptx'"),
    ("describer: [1, 2]\n", "config.yaml: 'describer' must be a section of keys"),
    ("describer:\n  backend: offline\n   model: x\n", "config.yaml: not valid YAML at line 3"),
    ("- a\n- b\n", "config.yaml: must be a mapping of keys to values"),
])
def test_bad_config_stops_the_run_with_one_line(tmp_path, text, expected):
    (tmp_path / "config.yaml").write_text(text)
    full_deck(tmp_path / "a.pptx")
    r = run_doit(tmp_path)
    assert r.returncode == 3
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and str(tmp_path / "config.yaml") in lines[0]
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "build").exists()


def test_course_config_overrides_defaults_key_by_key(tmp_path):
    from altdeck import config
    (tmp_path / "config.yaml").write_text("describer:\n  model: qwen2.5vl\noutput_dir: public\n")
    cfg = config.load(tmp_path)
    assert cfg.describer.model == "qwen2.5vl" and cfg.output_dir == "public"
    assert cfg.describer.backend == "auto" and cfg.describer.timeout_s == 120     # defaults kept
    assert cfg.alt_text.max_chars == 150


def test_init_makes_plain_doit_work_in_a_course_repo(tmp_path):
    repo = tmp_path / "course"
    repo.mkdir()
    (repo / ".gitignore").write_text("*.log\n")
    full_deck(repo / "week1.pptx")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-m", "actions", "init", str(repo)], capture_output=True, text=True,
                         env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (repo / ".gitignore").read_text().splitlines()[:1] == ["*.log"]
    assert ".altdeck/" in (repo / ".gitignore").read_text() and ".doit.db" in (repo / ".gitignore").read_text()
    (repo / "config.yaml").write_text((repo / "config.yaml").read_text() + "describer:\n  backend: offline\n")
    # plain `doit` in the repo, with altdeck not importable from the environment (and dodo.py compiled,
    # as on a user's machine): git sees nothing of the run
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    r = subprocess.run([sys.executable, "-m", "doit"], cwd=repo, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert (repo / "__pycache__").is_dir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=repo,
                            capture_output=True, text=True, check=True).stdout
    assert sorted(status.splitlines()) == ["?? .gitignore", "?? config.yaml", "?? dodo.py", "?? week1.pptx"], status
    assert cnvprs(repo / "build/accessible/week1.pptx", 3)["3"].get("descr").startswith("Column chart")
    again = subprocess.run([sys.executable, "-m", "actions", "init", str(repo)], capture_output=True, text=True,
                           env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert "kept" in again.stdout and "(exists)" in again.stdout
