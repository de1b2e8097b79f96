"""How well the shared model-request pool keeps a slow model busy.

Builds DECKS decks of PICTURES distinct pictures each against the test model
server (canned answers, DELAY_S per request) with `doit -n JOBS`, and prints
the wall time next to the ideal (all requests / max_concurrency * delay).

    python3 benchmarks/vision_pool.py [DECKS PICTURES DELAY_S MAX_CONCURRENCY JOBS]
"""
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from modelserver import ModelServer                                   # noqa: E402
from test_vision import course, doit, picture_deck                   # noqa: E402


def main(decks=4, pictures=8, delay_s=0.5, k=2, jobs=2):
    with tempfile.TemporaryDirectory() as tmp, ModelServer(delay_s=delay_s) as srv:
        folder = course(Path(tmp), backend="ollama", url=srv.url, model="llava", max_concurrency=k)
        for d in range(decks):
            picture_deck(folder / f"deck{d}.pptx", [1000 + d * pictures + i for i in range(pictures)])
        t = time.monotonic()
        r = doit(folder, "-n", str(jobs), "-P", "process")
        took = time.monotonic() - t
        n = len(srv.chats())
        ideal = n / k * delay_s
        print(f"{decks} decks x {pictures} pictures, {delay_s}s per request, max_concurrency={k}, -n {jobs}: "
              f"{n} requests in {took:.1f}s (ideal {ideal:.1f}s, {ideal / took:.0%} busy), "
              f"max in flight {srv.max_in_flight}, exit {r.returncode}")


if __name__ == "__main__":
    main(*[float(a) if "." in a else int(a) for a in sys.argv[1:]])
