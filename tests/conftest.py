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


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (tests/browser.py); skipped where it is not installed."""
    import browser as chromium
    why = chromium.missing()
    if why:
        pytest.skip(why)
    driver, profile = chromium.start()
    yield driver
    chromium.stop(driver, profile)


@pytest.fixture
def page(browser):
    """The session's browser, reset after each test: one tab, no storage, about:blank."""
    yield browser
    for handle in browser.window_handles[1:]:
        browser.switch_to.window(handle)
        browser.close()
    browser.switch_to.window(browser.window_handles[0])
    browser.delete_all_cookies()
    browser.get("about:blank")
