"""Shared test helpers: real doit runs on temporary course folders."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def run_doit(folder, *args, timeout=300, env=None):
    """`python3 -m doit -f <altdeck>/dodo.py -d folder args...` as a user would run it."""
    e = dict(os.environ, PYTHONPATH=str(REPO), **(env or {}))
    return subprocess.run([sys.executable, "-m", "doit", "-f", str(REPO / "dodo.py"), "-d", str(folder), *args],
                          capture_output=True, text=True, timeout=timeout, env=e)


def built(result) -> list:
    """Decks a run built, from its per-deck lines (`built  <deck> (...)`)."""
    return [line.split()[1] for line in result.stdout.splitlines() if line.startswith("built  ")]


@pytest.fixture
def course(tmp_path):
    """An empty course folder whose config.yaml forces the offline describer (no server probes)."""
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "config.yaml").write_text("describer:\n  backend: offline\n")
    return folder
