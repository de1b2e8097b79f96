"""The benchmark command keeps working (at a tiny size; its numbers are not asserted: machines are noisy)."""
import json
import subprocess
import sys

from runs import REPO


def test_benchmark_runs_at_tiny_size_and_reports_every_measure(tmp_path):
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--tiny", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / "tiny.json").read_text())
    e = res["efficiency"]
    assert e["requests"] == e["distinct_sent"] == e["distinct_images"] > 0       # no image sent twice
    assert 0 < e["efficiency"] and e["limit_s"] > 0
    n = res["noop_edit_clone"]
    assert n["edit_one"]["requests"] == n["edit_one"]["new_images"] == 1       # only the edited deck's new image
    assert n["fresh_clone"]["requests"] == 0
    assert n["noop"]["raw_doit_s"] > 0 and n["noop"]["altdeck_s"] > 0
    assert [row["decks"] for row in res["memory"]["courses"]] == [4, 8]
    assert res["memory"]["big_deck"]["python_pptx_mb"] > 0
    assert r.stdout.startswith("| measure | altdeck | baseline / limit | result | target | ok |")
    assert "edit one deck of 12" in r.stdout
