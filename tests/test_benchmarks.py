"""The benchmark command keeps working (at a tiny size; its numbers are not asserted: machines are noisy)."""
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from runs import REPO


def test_benchmark_runs_at_tiny_size_and_reports_every_measure(tmp_path):
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--tiny", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / "tiny.json").read_text())
    [e] = res["efficiency"]
    assert e["requests"] == e["distinct_sent"] == e["distinct_images"] > 0       # no image sent twice
    assert 0 < e["efficiency"] and e["limit_s"] > 0
    levels = [level for _, level in e["timeline"]]                              # the slot timeline
    assert levels[0] == levels[-1] == 0 and max(levels) <= e["k"] and len(levels) == 2 * e["requests"] + 1
    assert len(e["decks_timeline"]) == e["decks"] and all(0 <= a < b for _, a, b in e["decks_timeline"])
    n = res["noop_edit_clone"]
    assert n["edit_one"]["requests"] == n["edit_one"]["new_images"] == 1       # only the edited deck's new image
    assert n["fresh_clone"]["requests"] == 0
    assert n["fresh_clone"]["next_altdeck_s"] > 0 and n["fresh_clone"]["next_raw_doit_s"] > 0
    assert n["noop"]["raw_doit_s"] > 0 and n["noop"]["altdeck_s"] > 0
    assert n["noop_quiet"]["raw_doit_s"] > 0 and n["noop_quiet"]["altdeck_s"] > 0
    assert [row["decks"] for row in res["memory"]["courses"]] == [4, 8]
    for row in res["memory"]["courses"]:        # raw doit measured beside each size; doit's process within the tree
        assert 0 < row["raw_doit_mb"] and 0 < row["doit_process_mb"] <= row["peak_mb"]
    assert set(res["memory"]["growth"]) == {"altdeck_mb_per_1000", "raw_doit_mb_per_1000"}
    assert res["memory"]["big_deck"]["python_pptx_mb"] > 0
    rules = res["rules"]
    assert rules["decks"] == 4 and rules["rules_off_s"] > 0 and rules["rules_on_s"] > 0
    ro = res["renders_ocr"]               # LibreOffice once per deck; the rebuild renders, reads, asks nothing
    assert ro["cold"]["rendered_slides"] == 4 and ro["cold"]["soffice_launches"] == 1 == ro["cold"]["max_launches_per_deck"]
    assert ro["cold"]["render_s"] > 0 and 0 < ro["cold"]["render_share"] < 1
    from altdeck.describe import ocr
    if ocr.installed_engine() is not None:
        assert ro["cold"]["ocr_pictures"] == 3 and ro["cold"]["ocr_s"] > 0
    assert ro["rebuild"]["rebuilt"] == 1
    assert ro["rebuild"]["rendered_slides"] == ro["rebuild"]["soffice_launches"] == 0
    assert ro["rebuild"]["ocr_pictures"] == ro["rebuild"]["requests"] == 0
    assert r.stdout.startswith("| measure | altdeck | baseline / limit | result | target | ok |")
    assert "edit one deck of 12" in r.stdout and "| rebuild of those decks after `forget` |" in r.stdout
    assert "accessibility rules, cold build of 4 corpus decks" in r.stdout


def test_memory_of_a_process_tree_counts_a_shared_address_space_once():
    """A vfork child before its exec (how subprocess starts each deck worker) runs in its parent's
    memory; /proc shows all of it again under the child. The sampler must not count it twice.
    A thread is the same case, and observable here; a forked or exec'd child has its own memory."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import measure
    tid, stop = [], threading.Event()
    t = threading.Thread(target=lambda: (tid.append(threading.get_native_id()), stop.wait(10)))
    t.start()
    while not tid:
        time.sleep(0.01)
    child = subprocess.Popen(["sleep", "5"])
    try:
        time.sleep(0.2)
        assert measure._same_memory(tid[0], os.getpid())
        assert not measure._same_memory(child.pid, os.getpid())
    finally:
        stop.set()
        child.kill()
        child.wait()
        t.join()


def test_review_app_benchmark_runs_at_tiny_size(tmp_path):
    import browser
    if browser.missing():
        pytest.skip(browser.missing())
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "review_app.py"), "--tiny", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / "review-tiny.json").read_text())
    assert res["objects"] == 12 and res["app"]["rows"] == res["static"]["rows"] == 12      # one row per image
    assert res["app"]["ready_ms"] > 0 and res["accept_one_ms"] > 0 and res["cli_accept_one_ms"] > 0
    assert res["accept_all"]["rows"] == 8                      # the 12 less the 4 decided one by one
    assert r.stdout.startswith("| measure | review app | baseline | result | target | ok |")


def test_ocr_benchmark_runs_at_tiny_size_and_reports_every_measure(tmp_path):
    from altdeck.describe import ocr
    if ocr.installed_engine() is None:
        pytest.skip("needs the OCR engine: pip install -e '.[test,ocr]'")
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "ocr.py"), "--tiny", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / "ocr-tiny.json").read_text())
    s = res["summary"]
    assert set(s["by_variant"]) == {"png"} and len(s["by_category"]) == 5
    assert all(0 <= c["cer"] <= c["wer"] <= 1 for c in s["by_category"].values())
    assert s["non_text"]["pictures"] == 9 and s["diagrams"]["pictures"] == 3
    assert res["cold_start"]["read"] and res["cold_start"]["seconds"] > 0
    deck = res["deck"]
    assert deck["offline"]["described_by_ocr"] == deck["offline"]["text_pictures"] == 2
    assert deck["vision"]["on"]["prompts_with_text"] == 2 and deck["vision"]["off"]["prompts_with_text"] == 0
    assert deck["vision"]["on"]["requests"] == deck["vision"]["off"]["requests"] == 3
    assert r.stdout.startswith("| category | pictures | CER | WER |")


def test_raw_doit_baseline_keeps_its_dodo_between_runs(tmp_path):
    """The no-op baseline must not pay for compiling its dodo again on each run (rewriting it did,
    and made altdeck's ratio look better than it was)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import measure
    (tmp_path / "course").mkdir()
    first = measure.raw_doit(tmp_path / "course")
    dodo = tmp_path / "course-raw-dodo.py"
    stamp = dodo.stat().st_mtime_ns
    time.sleep(0.05)
    again = measure.raw_doit(tmp_path / "course")
    assert first["rc"] == again["rc"] == 0, again["stderr"]
    assert dodo.stat().st_mtime_ns == stamp
