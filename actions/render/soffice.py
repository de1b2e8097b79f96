"""LibreOffice, headless, drawing slides to PNG: one per deck worker (or per review run).

Two routes, the same answer:
- UNO (python3-uno): unohelper.py under a Python that has `uno` starts
  LibreOffice once (0.6-1.8 s) and exports each slide's page (~0.1 s a slide);
- the command line, when no Python here has `uno`: one `soffice --convert-to pdf`
  of the wanted slides (PageRange, hidden slides included), then `pdftoppm`
  per page (1-2 s a call, mostly LibreOffice starting).
Each LibreOffice has its own profile folder (parallel decks would collide on
its lock) and TMPDIR, runs in a process group of its own that a deck worker
names to its parent (procs.popen_group), so the deck's timeout kills it too,
and is killed with its group when done or when a render takes too long.
LibreOffice exits 0 when it fails: only an image file on disk counts.
"""
import importlib.util
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

from ..procs import kill_group, popen_group, run_quietly

HELPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "unohelper.py")
UNO_PYTHONS = ("/usr/bin/python3", "/usr/lib/libreoffice/program/python")
INSTALL_SOFFICE = "install LibreOffice (soffice) to render"


class RenderError(Exception):
    """A slide could not be rendered; str() is the reason a report gives."""


def soffice_path() -> str | None:
    return shutil.which("soffice")


def identity() -> str:
    """What tells one LibreOffice's renders from another's (for the render cache): its program's stamp."""
    path = soffice_path()
    if path is None:
        return ""
    program = os.path.join(os.path.dirname(os.path.realpath(path)), "soffice.bin")
    try:
        st = os.stat(program if os.path.exists(program) else os.path.realpath(path))
    except OSError:
        return path
    return f"{program}:{st.st_size}:{st.st_mtime_ns}"


def uno_pythons() -> list:
    """Pythons that may have `uno`: this one first (a venv with system site packages), then Debian's."""
    found = [sys.executable] if importlib.util.find_spec("uno") else []
    return found + [p for p in UNO_PYTHONS if os.path.exists(p) and p not in found]


class Soffice:
    """A LibreOffice that renders slides; started on the first render, stopped by close()."""

    def __init__(self, timeout_s: float = 300, pythons=None):
        self.timeout_s = timeout_s
        self.pythons = uno_pythons() if pythons is None else list(pythons)
        self.route = ""                 # "uno" or "cli" once started
        self.launches = 0               # LibreOffice processes started (one per worker, unless one dies)
        self._helper = None
        self._work = None

    def render(self, deck: str, pages: dict, width: int, height: int):
        """Write slide `n` of `deck` as a width x height PNG to pages[n], for every n; RenderError if not."""
        if soffice_path() is None:
            raise RenderError(f"{INSTALL_SOFFICE} it")
        if not self.route:
            self._start()
        if self.route == "uno":
            self._ask({"deck": os.path.abspath(deck), "pages": {str(n): p for n, p in pages.items()},
                       "width": width, "height": height})
        else:
            self._cli(deck, pages, width, height)
        missing = [n for n, p in pages.items() if not os.path.isfile(p)]
        if missing:
            raise RenderError(f"LibreOffice rendered no image of slide {missing[0]}")

    # -- starting and stopping ---------------------------------------------------------------

    def _workdir(self) -> str:
        if self._work is None:
            self._work = tempfile.mkdtemp(prefix="altdeck-lo-")
        return self._work

    def _start(self):
        for python in self.pythons:
            if self._start_helper(python):
                self.route = "uno"
                return
        self.route = "cli"

    def _start_helper(self, python) -> bool:
        work = self._workdir()
        env = dict(os.environ, TMPDIR=work)
        self.launches += 1
        try:
            self._helper = popen_group([python, "-I", HELPER, os.path.join(work, "profile-uno")],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                       env=env, cwd=work)
        except OSError:
            return False
        try:
            answer = self._answer()
        except RenderError:
            answer = {}
        if answer.get("ready"):
            return True
        self._stop_helper()
        return False

    def _stop_helper(self):
        helper, self._helper = self._helper, None
        if helper is None:
            return
        try:
            helper.stdin.close()           # the helper tells LibreOffice to quit ...
            helper.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        kill_group(helper.pid)             # ... and whatever is left goes with the group
        helper.wait()
        helper.stdout.close()

    def close(self):
        self._stop_helper()
        self.route = ""
        if self._work:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None

    # -- the UNO route -----------------------------------------------------------------------

    def _answer(self) -> dict:
        """The helper's next line within the timeout; the helper is killed when none comes."""
        out = self._helper.stdout
        ready, _, _ = select.select([out], [], [], self.timeout_s)
        line = out.readline() if ready else b""
        if not line:
            self._stop_helper()
            self.route = ""                # the next render starts a new LibreOffice
            raise RenderError(f"LibreOffice did not answer within {self.timeout_s:g} s; killed" if not ready
                              else "LibreOffice stopped while rendering")
        try:
            return json.loads(line)
        except ValueError:
            return {"error": "unreadable answer from the UNO helper"}

    def _ask(self, request: dict):
        try:
            self._helper.stdin.write((json.dumps(request) + "\n").encode())
            self._helper.stdin.flush()
        except (OSError, AttributeError):
            self._stop_helper()
            self.route = ""
            raise RenderError("LibreOffice stopped while rendering") from None
        answer = self._answer()
        if "error" in answer:
            raise RenderError(f"LibreOffice could not render the slide ({answer['error']})")

    # -- the command line --------------------------------------------------------------------

    def _cli(self, deck, pages, width, height):
        if shutil.which("pdftoppm") is None:
            raise RenderError(f"{INSTALL_SOFFICE} it needs python3-uno or poppler-utils (pdftoppm)")
        work = tempfile.mkdtemp(prefix="cli-", dir=self._workdir())
        try:
            numbers = sorted(pages)
            options = {"PageRange": {"type": "string", "value": ",".join(map(str, numbers))},
                       "ExportHiddenSlides": {"type": "boolean", "value": "true"},
                       "ExportNotesPages": {"type": "boolean", "value": "false"}}
            src = os.path.join(work, "deck" + os.path.splitext(deck)[1])
            shutil.copyfile(deck, src)
            env = dict(os.environ, TMPDIR=work)
            started = time.monotonic()
            self.launches += 1              # the command line starts one for every call
            try:
                run_quietly([soffice_path(), f"-env:UserInstallation=file://{self._workdir()}/profile-cli",
                             "--headless", "--norestore", "--nolockcheck", "--nologo",
                             "--convert-to", "pdf:impress_pdf_Export:" + json.dumps(options, separators=(",", ":")),
                             "--outdir", work, src], self.timeout_s, cwd=work, env=env)
                pdf = os.path.join(work, "deck.pdf")
                if not os.path.isfile(pdf):
                    raise RenderError("LibreOffice could not render the deck (it wrote no PDF)")
                for page, n in enumerate(numbers, start=1):
                    left = max(1.0, self.timeout_s - (time.monotonic() - started))
                    prefix = os.path.join(work, f"page-{page}")
                    run_quietly(["pdftoppm", "-f", str(page), "-l", str(page), "-png", "-singlefile",
                                 "-scale-to-x", str(width), "-scale-to-y", str(height), pdf, prefix], left)
                    if os.path.isfile(prefix + ".png"):
                        os.replace(prefix + ".png", pages[n])
            except subprocess.TimeoutExpired:
                raise RenderError(f"LibreOffice did not finish within {self.timeout_s:g} s; killed") from None
        finally:
            shutil.rmtree(work, ignore_errors=True)
