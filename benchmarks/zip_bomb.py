"""How much a zip bomb costs altdeck: time and peak memory to reject it.

A 1 MB deck whose image member unpacks to 1 GiB of zeros (and a 100 MiB one that only the ratio
limit catches).  Each case runs in a fresh interpreter so ru_maxrss is that run's peak.
For comparison, python-pptx's Presentation() on the same file (it reads every member: ~2 GiB).

    python3 benchmarks/zip_bomb.py [--with-python-pptx]

Target (issue 6): rejected in about a second, with little memory.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

PROBE = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
if sys.argv[3] == "altdeck":
    from altdeck.errors import DeckError
    from altdeck.ooxml.package import Package
    t = time.perf_counter()
    try:
        Package(sys.argv[2]).close(); outcome = "opened"
    except DeckError as e:
        outcome = str(e)
else:
    from pptx import Presentation
    t = time.perf_counter()
    Presentation(sys.argv[2]); outcome = "opened"
took = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": took, "peak_mib": peak / 1024, "growth_mib": (peak - base) / 1024, "outcome": outcome}))
"""


def measure(path, who):
    p = subprocess.run([sys.executable, "-c", PROBE, str(REPO), str(path), who],
                       capture_output=True, text=True, check=True)
    return json.loads(p.stdout)


DOIT = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run([sys.executable, "-m", "doit", "-f", sys.argv[1] + "/dodo.py", "-d", sys.argv[2]],
                   capture_output=True, text=True)
took = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": took, "peak_mib": peak, "stderr": p.stderr.strip()}))
"""


def doit_run(path):
    """The whole user-facing run (`doit` on a folder holding only the bomb): wall time, peak RSS."""
    import shutil
    with tempfile.TemporaryDirectory() as folder:
        shutil.copyfile(path, Path(folder) / path.name)
        (Path(folder) / "config.yaml").write_text("describer:\n  backend: offline\n")
        p = subprocess.run([sys.executable, "-c", DOIT, str(REPO), folder], capture_output=True, text=True)
        r = json.loads(p.stdout)
    return f"whole run {r['seconds']:.2f} s, peak RSS {r['peak_mib']:.0f} MiB: {r['stderr']}"


def main():
    from hostile import zip_bomb
    with tempfile.TemporaryDirectory() as tmp:
        cases = {"1 GiB member": zip_bomb(Path(tmp) / "bomb.pptx"),
                 "100 MiB member (ratio)": zip_bomb(Path(tmp) / "ratio.pptx", member_bytes=100 * 2**20)}
        for label, path in cases.items():
            size = path.stat().st_size
            r = min((measure(path, "altdeck") for _ in range(3)), key=lambda r: r["seconds"])
            print(f"altdeck     {label:24} file {size / 2**20:.1f} MiB: rejected in {r['seconds'] * 1000:.1f} ms, "
                  f"peak RSS {r['peak_mib']:.0f} MiB (+{r['growth_mib']:.1f} MiB while opening)")
            print(f"            -> {r['outcome']}")
            print(f"doit run    {label:24} " + doit_run(path))
            if "--with-python-pptx" in sys.argv:
                r = measure(path, "python-pptx")
                print(f"python-pptx {label:24} {r['seconds']:.2f} s, peak RSS {r['peak_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
