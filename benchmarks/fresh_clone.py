"""What a fresh clone costs: same decks, new mtimes, kept .doit.db and reports (a CI cache restore).

doit's md5 checker trusts an unchanged mtime; after a clone every deck has a
new one, so the first `doit` hashes every deck (doit's md5, altdeck's sha256 of
the bytes built).  doit never refreshes an up-to-date task's state, so it would
hash them again on every run; altdeck records the new stats (run/doit_ext.restamp)
and the next run trusts them.  `doit check` hashes each deck once and remembers
(size, mtime) in .altdeck/deck-hashes.json.

    python3 benchmarks/fresh_clone.py [--decks 40] [--mb 5]

Prints seconds for: first build, no-op rebuild, no-op after "clone" (touch
every file), second no-op after clone, check, check after clone, second check.
Uses the offline describer (no model), decks padded with incompressible media
to the given size.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def make_decks(folder, n, mb):
    import io
    from pptx import Presentation
    from decks import add_picture, png
    for i in range(n):
        prs = Presentation()
        s = prs.slides.add_slide(prs.slide_layouts[5])
        s.shapes.title.text = f"Lecture {i}"
        add_picture(s, png(1), descr="University logo")           # shared by every deck
        add_picture(s, png(100 + i), 2.0, descr=f"Figure {i}: growth curve of sample {i}")
        # padding: a large incompressible picture (real decks are mostly media)
        blob = os.urandom(mb << 20)
        from PIL import Image
        img = Image.frombytes("L", (1024, len(blob) // 1024), blob[: (len(blob) // 1024) * 1024])
        buf = io.BytesIO()
        img.save(buf, "PNG", compress_level=0)
        add_picture(s, buf.getvalue(), 4.0, descr=f"Noise texture {i}")
        prs.save(folder / f"lecture{i:03}.pptx")


def timed(args, cwd):
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "doit", "-f", str(REPO / "dodo.py"), "-d", str(cwd), *args],
                       capture_output=True, text=True)
    took = time.perf_counter() - t
    if r.returncode not in (0, 1):
        sys.exit(r.stdout + r.stderr)
    return took, r.stdout.count("built ")


def touch_all(folder):
    now = time.time() + 100
    for p in folder.rglob("*"):
        if p.is_file() and ".git" not in p.parts:
            os.utime(p, (now, now))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decks", type=int, default=40)
    ap.add_argument("--mb", type=int, default=5)
    a = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="altdeck-bench-"))
    try:
        (folder / "config.yaml").write_text("describer:\n  backend: offline\n")
        make_decks(folder, a.decks, a.mb)
        total = sum(p.stat().st_size for p in folder.glob("*.pptx")) / 2**20
        print(f"{a.decks} decks, {total:.0f} MiB in {folder}")
        rows = [("first build", timed([], folder)), ("no-op doit", timed([], folder)),
                ("doit check", timed(["check"], folder))]
        touch_all(folder)                     # what a clone + cache restore looks like to doit
        rows += [("no-op doit after clone", timed([], folder)), ("again (new stats recorded)", timed([], folder)),
                 ("doit check after clone", timed(["check"], folder)), ("doit check again", timed(["check"], folder))]
        for name, (s, built) in rows:
            print(f"  {name:32} {s:6.2f} s   ({built} decks built)")
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
