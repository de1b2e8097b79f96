"""A real Chromium for the tests: Debian's chromium and chromium-driver, driven by Selenium, with axe-core.

One headless browser per test session (conftest.py's `browser` fixture); nothing reaches the network:
Selenium Manager is off (the driver's path is given, SE_OFFLINE), and Chromium resolves no name but
localhost.  chromedriver dies with the test process (PR_SET_PDEATHSIG) and takes Chromium with it
(--remote-debugging-pipe), so a killed test run leaves no browser behind.
"""
import base64
import ctypes
import hashlib
import os
import shutil
import signal
import tempfile
from pathlib import Path

os.environ.setdefault("SE_OFFLINE", "true")          # Selenium Manager must never download anything
os.environ.setdefault("SE_AVOID_STATS", "true")

CHROMIUM = "/usr/lib/chromium/chromium"              # Debian's `chromium` (the program, not the sh wrapper)
CHROMEDRIVER = "/usr/bin/chromedriver"               # Debian's `chromium-driver`: always the same version
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-extensions", "--disable-default-apps", "--password-store=basic",
    "--window-size=1280,1000",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
    "--remote-debugging-pipe",
]
AXE_DIR = Path(__file__).resolve().parent / "vendor" / "axe-core"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
_axe = None


def missing() -> str | None:
    """Why no browser test can run here, or None."""
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        return "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; in .ci/run)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "needs selenium (pip install -e '.[test]')"
    return None


def _die_with_parent():                             # in chromedriver, before exec
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG


def start():
    """-> (driver, profile folder to remove after quit())."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    profile = tempfile.mkdtemp(prefix="altdeck-chromium-", dir=shm)
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER, popen_kw={"preexec_fn": _die_with_parent}),
                              options=opts)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    return driver, profile


def stop(driver, profile):
    try:
        driver.quit()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


# -- axe-core ---------------------------------------------------------------------------------------

def axe_source() -> str:
    """The vendored axe.min.js, checked against the SRI hash in VERSION (it must be axe's, unmodified)."""
    global _axe
    if _axe is None:
        data = (AXE_DIR / "axe.min.js").read_bytes()
        sri = (AXE_DIR / "VERSION").read_text().split()[-1]
        got = "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode()
        assert got == sri, f"{AXE_DIR / 'axe.min.js'} is not the axe-core file VERSION names ({got} != {sri})"
        _axe = data.decode("utf-8")
    return _axe


def axe_violations(driver, context=None) -> list:
    """axe-core's violations (WCAG 2.x A/AA and best practices) on the page as it is now."""
    if not driver.execute_script("return typeof window.axe === 'object' && !!window.axe.run"):
        driver.execute_script(axe_source())
    opts = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    return driver.execute_script("return axe.run(arguments[0] || document, arguments[1]).then(r => r.violations);",
                                 context, opts)


def format_violations(violations) -> str:
    out = []
    for v in violations:
        out.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        for n in v["nodes"][:5]:
            out.append(f"    {' '.join(map(str, n['target']))}: {n['html'][:160]}")
            if n.get("failureSummary"):
                out.append("      " + n["failureSummary"].replace("\n", "\n      ")[:300])
    return "\n".join(out)


# -- the keyboard --------------------------------------------------------------------------------------

def press(driver, *keys):
    """Real key events to whatever has focus, like a keyboard (never to a chosen element)."""
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(driver).send_keys(*keys).perform()


def focused(driver) -> tuple:
    """(role, accessible name) of the focused element, from Chromium's accessibility tree."""
    el = driver.switch_to.active_element
    return el.aria_role, el.accessible_name


def tab_to(driver, name, role=None, back=False, limit=600):
    """Press Tab (Shift+Tab with back=True) until the element named `name` has focus; -> that element."""
    from selenium.webdriver.common.keys import Keys
    keys = (Keys.SHIFT, Keys.TAB) if back else (Keys.TAB,)
    for _ in range(limit):
        press(driver, *keys)
        el = driver.switch_to.active_element
        if el.accessible_name == name and (role is None or el.aria_role == role):
            assert_focus_visible(driver)
            return el
    raise AssertionError(f"{name!r} never got the focus in {limit} presses of {'Shift+' if back else ''}Tab")


def assert_focus_visible(driver):
    """The focused element shows a focus outline of at least 2px (WCAG 2.4.7)."""
    style = driver.execute_script(
        "const s = getComputedStyle(document.activeElement);"
        "return [s.outlineStyle, parseFloat(s.outlineWidth), document.activeElement.matches(':focus-visible')];")
    assert style[0] != "none" and style[1] >= 2 and style[2], f"no visible focus: {style}"


def chord(driver, modifier, key):
    """A key with a modifier held down (Ctrl+A), to whatever has focus."""
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(driver).key_down(modifier).send_keys(key).key_up(modifier).perform()


def retype(driver, text):
    """Replace the focused field's text as a person does: Ctrl+A, then type."""
    from selenium.webdriver.common.keys import Keys
    chord(driver, Keys.CONTROL, "a")
    press(driver, text)
