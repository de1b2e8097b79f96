"""Run altdeck the way a user does: a real `doit` subprocess on a course folder."""
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from altdeck.describe.base import Describer, Result

REPO = Path(__file__).resolve().parents[1]
ALTDECK = str(Path(sys.executable).parent / "altdeck")     # the installed command (pip install -e .)
OFFLINE = "describer:\n  backend: offline\n"
# A folder of mostly broken files on purpose: every deck must be tried, so no failure-rate stop.
TRY_ALL = OFFLINE + "batch:\n  stop_on_error_threshold: 1.0\n"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    def failed(self) -> dict:
        """{deck: reason} from the one-line FAILED messages on stderr."""
        out = {}
        for line in self.stderr.splitlines():
            assert line.startswith("FAILED "), f"unexpected stderr line: {line!r}"
            deck, _, reason = line[len("FAILED "):].partition(": ")
            assert deck not in out, f"{deck} reported twice"
            out[deck] = reason
        return out

    def built(self) -> set:
        return {line.split()[1] for line in self.stdout.splitlines() if line.startswith("built  ")}


def course(folder, config=OFFLINE) -> Path:
    """A course folder with a config.yaml (offline describer by default: no model server)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(config)
    return folder


def doit_cmd(folder, *args) -> list:
    """`python3 -m doit -f <altdeck>/dodo.py -d folder args...`, as a user runs it on any folder."""
    return [sys.executable, "-m", "doit", "-f", str(REPO / "dodo.py"), "-d", str(folder), *args]


def run_doit(folder, *args, timeout=600, env=None) -> Run:
    p = subprocess.run(doit_cmd(folder, *args), capture_output=True, text=True, timeout=timeout,
                       env=None if env is None else dict(os.environ, **env))
    return Run(p.returncode, p.stdout, p.stderr)


class CountingDescriber(Describer):
    """A vision describer for in-process builds: records each subject it is asked about.

    `text(subject, n)` makes the answer (n counts the calls); the default names the slide.
    """
    source = "test-model"

    def __init__(self, text=None):
        self.seen, self.images = [], []          # subjects, and their image bytes read while the deck was open
        self.text = text or (lambda s, n: f"Described picture {n} on a slide titled {s.slide_title}.")

    def describe(self, subject):
        self.seen.append(subject)
        self.images.append(subject.image_bytes())
        return Result(self.text(subject, len(self.seen)), self.source)

    def signature(self):
        return {"offline": {"source": "offline"}, "vision": {"source": self.source}}


def digests(folder) -> dict:
    """{relative path: sha256} of every file under a folder."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def outputs(folder) -> list:
    root = Path(folder) / "build" / "accessible"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def leftovers(folder) -> list:
    """Temp files a write left behind (atomic writes must not leave any)."""
    return [p for p in Path(folder).rglob(".~altdeck*")] + [
        p for p in Path(folder).rglob("*") if p.name.startswith(".~") and p.is_file()]


def alt_only_diff(src, out) -> list:
    """Problems found comparing an output with its source: [] when every zip member is kept, in
    order, byte for byte, except slide XML that differs only in alt text and decorative flags."""
    import re
    import zipfile

    from decks import without_alt
    problems = []
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:
        if a.namelist() != b.namelist():
            return [f"members differ: {sorted(set(a.namelist()) ^ set(b.namelist()))} or order changed"]
        for name in a.namelist():
            x, y = a.read(name), b.read(name)
            if x == y:
                continue
            if not re.fullmatch(r"ppt/slides/slide\d+\.xml", name):
                problems.append(f"{name} changed")
            elif without_alt(x) != without_alt(y):
                problems.append(f"{name} changed beyond alt text")
    return problems


def soffice_to_pdf(decks, outdir, timeout=300) -> dict:
    """Convert decks to PDF with real LibreOffice (own profile, own process group, timeout).

    Returns {deck path: pdf path or None}.
    """
    import re
    import shutil
    import signal
    import tempfile
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="altdeck-lo-")
    cmd = [shutil.which("soffice") or "soffice", f"-env:UserInstallation=file://{profile}", "--headless",
           "--norestore", "--convert-to", "pdf", "--outdir", str(outdir), *map(str, decks)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        log, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise AssertionError(f"soffice did not finish within {timeout}s")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = {}
    for deck in decks:
        pdf = outdir / (re.sub(r"\.[^.]+$", "", Path(deck).name) + ".pdf")
        out[Path(deck)] = pdf if pdf.exists() else None
    return out


def pdf_pages(pdf) -> int:
    import re
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", Path(pdf).read_bytes()))


def visible_slides(deck) -> int:
    """Slides LibreOffice exports: those not hidden (show="0")."""
    sys.path.insert(0, str(REPO))
    from altdeck.ooxml.package import Package
    with Package(deck) as pkg:
        return sum(pkg.xml(part).get("show") not in ("0", "false") for part in pkg.slide_parts())


class ReviewApp:
    """`altdeck review --serve` as a user starts it: a real subprocess, its one line read for the address."""

    def __init__(self, folder, *args, exe=ALTDECK, cmd=None, env=None):
        import queue
        import re
        import threading
        self.proc = subprocess.Popen(cmd or [exe, "review", "--serve", *args], cwd=folder, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, start_new_session=True,
                                     env=None if env is None else dict(os.environ, **env))
        self.lines = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(x) for x in self.proc.stdout] + [self.lines.put(None)],
                         daemon=True).start()
        try:
            self.line = self.lines.get(timeout=120)
        except queue.Empty:
            self.proc.kill()
            raise AssertionError("altdeck review --serve printed nothing in 120 s")
        if self.line is None:
            raise AssertionError(f"altdeck review --serve ended: {self.proc.wait()} {self.proc.stderr.read()}")
        self.url = re.search(r"http://\S+", self.line).group(0)
        self.port = int(self.url.split(":")[2].split("/")[0])

    def stop(self) -> str:
        """SIGTERM, as a service manager stops it; -> what it printed after its address."""
        import signal
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        rest = []
        while (line := self.lines.get(timeout=10)) is not None:
            rest.append(line)
        return "".join(rest)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def logs(folder) -> list:
    """Every run's events, oldest run first: [[event, ...], ...]."""
    out = []
    for path in sorted((Path(folder) / ".altdeck" / "logs").glob("*.jsonl"), key=os.path.getmtime):
        out.append([json.loads(line) for line in path.read_text().splitlines()])
    return out


def events(log, kind, **match):
    return [e for e in log if e["event"] == kind and all(e.get(k) == v for k, v in match.items())]


def deck_costs(folder) -> dict:
    """{deck: its costs} for the decks the last run built (its log's deck_end events)."""
    return {e["deck"]: e["costs"] for e in events(logs(folder)[-1], "deck_end") if "costs" in e}
