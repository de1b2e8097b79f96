"""Fixtures shared by the tests; helpers to run altdeck are in runs.py, deck builders in decks.py."""
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


@pytest.fixture
def course(tmp_path):
    """An empty course folder whose config.yaml forces the offline describer (no server probes)."""
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "config.yaml").write_text("describer:\n  backend: offline\n")
    return folder
