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


LOAD_TWICE = """
import sys
from altdeck import config
config.load(sys.argv[1])
print("yaml" in sys.modules)
"""


def _loads_with_yaml(folder) -> bool:
    """Load the folder's config in a fresh process: was PyYAML imported to do it?"""
    r = subprocess.run([sys.executable, "-c", LOAD_TWICE, str(folder)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip() == "True"


def test_a_config_read_before_is_taken_from_the_state_folder_without_the_yaml_parser(tmp_path):
    """PyYAML's import alone cost every no-op run ~6 ms: a document parsed before comes from its
    JSON copy in .altdeck, keyed by the file's bytes, so an edit is always parsed."""
    from altdeck import config
    (tmp_path / "config.yaml").write_text("describer:\n  model: qwen2.5vl\n")
    assert _loads_with_yaml(tmp_path) and not (tmp_path / ".altdeck").exists()   # reading makes no folder
    (tmp_path / ".altdeck").mkdir()
    assert _loads_with_yaml(tmp_path)                 # parsed, and now kept
    assert not _loads_with_yaml(tmp_path)             # taken from the copy
    assert config.load(tmp_path).describer.model == "qwen2.5vl"
    (tmp_path / "config.yaml").write_text("describer:\n  model: llava\n")          # an edit: parsed again
    assert _loads_with_yaml(tmp_path)
    config._LOADED.clear()
    assert config.load(tmp_path).describer.model == "llava"
    (tmp_path / "config.yaml").write_text("describer:\n  modle: llava\n")          # still checked, each run
    for _ in range(2):
        config._LOADED.clear()
        with pytest.raises(config.ConfigError, match="unknown key 'describer.modle'"):
            config.load(tmp_path)
    (tmp_path / ".altdeck" / "config-parsed.json").write_text("{not json")        # a broken copy: parsed again
    (tmp_path / "config.yaml").write_text("describer:\n  model: llava\n")
    assert _loads_with_yaml(tmp_path) and not _loads_with_yaml(tmp_path)


def test_the_parse_cache_keeps_only_what_json_gives_back_exactly(tmp_path):
    from altdeck.files import read_yaml
    cache = tmp_path / "parsed.json"
    f = tmp_path / "x.yaml"
    f.write_text("when: 2024-01-01\n1: one\n")           # a date and an int key: JSON would change them
    first = read_yaml(f, cache=cache)
    assert read_yaml(f, cache=cache) == first == {"when": __import__("datetime").date(2024, 1, 1), 1: "one"}
    assert not cache.exists()
    f.write_text("a: [1, 2.5, true, null, 'x: y']\n")
    assert read_yaml(f, cache=cache) == read_yaml(f, cache=cache) == {"a": [1, 2.5, True, None, "x: y"]}
    assert cache.exists()


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
