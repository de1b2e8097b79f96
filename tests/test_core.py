"""The core build: every deck becomes a doit task writing an accessible copy (issue 2)."""
import hashlib
import json
import zipfile

from runs import run_doit
from decks import cnvprs, copy_corpus, full_deck, without_alt


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def report(folder, deck):
    return json.loads((folder / "build" / "reports" / (deck + ".json")).read_text())


def test_offline_build_describes_structure_keeps_good_text_and_changes_nothing_else(course):
    ids = full_deck(course / "lecture.pptx")
    copy_corpus("smartart-simple.pptx", course / "smartart.pptx")
    before = {p.name: sha(p) for p in course.glob("*.pptx")}

    r = run_doit(course)
    assert r.returncode == 0, r.stderr
    out = course / "build" / "accessible" / "lecture.pptx"

    # chart, table and SmartArt are described from their data
    chart_id = next(i for (n, i), what in ids.items() if what == "chart")
    table_id = next(i for (n, i), what in ids.items() if what == "table")
    slide3 = cnvprs(out, 3)
    assert slide3[str(chart_id)].get("descr").startswith("Column chart: Sales by region.")
    assert "West (95)" in slide3[str(chart_id)].get("descr")
    assert slide3[str(table_id)].get("descr") == "Table with 3 rows and 2 columns; columns: Region, Sales."
    smart = cnvprs(course / "build" / "accessible" / "smartart.pptx", 1)
    assert smart["4"].get("descr") == "Venn diagram with 3 items: abc, def, ghi."

    # good text and decorative flags unchanged; pictures pending and reported, not filled
    slide1 = cnvprs(out, 1)
    good = next(i for (n, i), what in ids.items() if what == "good")
    assert slide1[str(good)].get("descr") == "Chloroplast under a light microscope, green ovals in a cell."
    rep = report(course, "lecture.pptx")
    pictures = [o for o in rep["objects"] if o["kind"] == "picture"]
    assert {o["decision"] for o in pictures} == {"kept", "pending", "decorative"}
    assert all(o["reason"] for o in pictures if o["decision"] == "pending")
    assert rep["summary"]["pending"] == sum(o["decision"] == "pending" for o in rep["objects"]) >= 10
    for o in rep["objects"]:
        assert o["text"] != "image" and "unavailable" not in o["text"]

    # nothing but alt text differs; every other member is byte-identical; sources untouched
    with zipfile.ZipFile(course / "lecture.pptx") as src, zipfile.ZipFile(out) as dst:
        assert src.namelist() == dst.namelist()
        for name in src.namelist():
            a, b = src.read(name), dst.read(name)
            if name.startswith("ppt/slides/slide") and name.endswith(".xml"):
                assert without_alt(a) == without_alt(b), name
            else:
                assert a == b, name
    assert {p.name: sha(p) for p in course.glob("*.pptx")} == before


def test_report_lists_every_object_with_slide_kind_name_decision_text_source(course):
    ids = full_deck(course / "lecture.pptx")
    assert run_doit(course).returncode == 0
    rep = report(course, "lecture.pptx")
    listed = {(o["slide"], int(o["id"])): o for o in rep["objects"] if o["id"]}
    assert set(ids) <= set(listed)
    chart = next(o for o in rep["objects"] if o["kind"] == "chart")
    assert (chart["decision"], chart["source"], chart["slide"]) == ("described", "offline", 3)
    good = next(o for o in rep["objects"] if o["decision"] == "kept")
    assert good["source"] == "existing" and good["name"].startswith("Picture")
    flagged = {what: listed[key]["flags"] for key, what in ids.items()}
    assert "group" in flagged["nested-group"] and "group" in flagged["group"]
    assert "placeholder" in flagged["placeholder"]
    assert "fill" in flagged["fill"] and "svg" in flagged["svg"]
    assert "alternate-content" in flagged["alternate-content"]
    filename = next(listed[k] for k, what in ids.items() if what == "filename")
    assert filename["decision"] == "pending" and "placeholder alt text (a file name)" in filename["reason"]


def test_second_run_executes_nothing_and_editing_one_deck_rebuilds_only_it(course):
    full_deck(course / "a.pptx")
    full_deck(course / "b.pptx", title="Respiration")
    first = run_doit(course)
    assert first.returncode == 0 and first.built() == {"a.pptx", "b.pptx"}
    outs = {p: p.stat().st_mtime_ns for p in (course / "build").rglob("*") if p.is_file()}

    again = run_doit(course)
    assert again.returncode == 0 and again.built() == set()
    assert {p: p.stat().st_mtime_ns for p in outs} == outs

    full_deck(course / "b.pptx", title="Cellular respiration")       # edit one deck
    third = run_doit(course)
    assert third.returncode == 0
    assert third.built() == {"b.pptx"}
    assert (course / "build/accessible/a.pptx").stat().st_mtime_ns == outs[course / "build/accessible/a.pptx"]


def test_changing_an_output_setting_rebuilds_every_deck(course):
    full_deck(course / "a.pptx")
    copy_corpus("bar-chart.pptx", course / "chart.pptx")
    assert run_doit(course).returncode == 0
    (course / "config.yaml").write_text("describer:\n  backend: offline\nalt_text:\n  max_chars: 60\n")
    r = run_doit(course)
    assert len(r.built()) == 2
    descr = cnvprs(course / "build/accessible/chart.pptx", 1)["2"].get("descr")
    assert 0 < len(descr) <= 60


def test_missing_output_is_rebuilt(course):
    full_deck(course / "a.pptx")
    assert run_doit(course).returncode == 0
    (course / "build/accessible/a.pptx").unlink()
    r = run_doit(course)
    assert r.built() == {"a.pptx"} and (course / "build/accessible/a.pptx").exists()


def test_pptm_stays_pptm_with_its_macros(course):
    copy_corpus("SimpleMacro.pptm", course / "macro.pptm")
    assert run_doit(course).returncode == 0
    out = course / "build/accessible/macro.pptm"
    with zipfile.ZipFile(out) as z, zipfile.ZipFile(course / "macro.pptm") as src:
        assert "ppt/vbaProject.bin" in z.namelist()
        assert z.read("ppt/vbaProject.bin") == src.read("ppt/vbaProject.bin")
        assert z.read("[Content_Types].xml") == src.read("[Content_Types].xml")


def test_inputs_exclude_outputs_hidden_folders_lock_files_and_match_case_insensitively(course):
    full_deck(course / "LECTURE.PPTX")
    (course / "sub").mkdir()
    full_deck(course / "sub" / "two.pptx")
    (course / ".hidden").mkdir()
    full_deck(course / ".hidden" / "secret.pptx")
    (course / "~$LECTURE.PPTX").write_bytes(b"lock")
    (course / "drafts").mkdir()
    full_deck(course / "drafts" / "draft.pptx")
    (course / "config.yaml").write_text("describer:\n  backend: offline\nexclude: ['drafts/**']\n")
    r = run_doit(course)
    assert r.returncode == 0, r.stderr
    r2 = run_doit(course)                              # outputs are not picked up as inputs
    assert r2.returncode == 0 and r2.built() == set()
    outputs = sorted(p.relative_to(course / "build/accessible").as_posix()
                     for p in (course / "build/accessible").rglob("*.*"))
    assert outputs == ["LECTURE.PPTX", "sub/two.pptx"]


def test_clean_removes_outputs_and_forget_makes_a_deck_rebuild(course):
    full_deck(course / "a.pptx")
    assert run_doit(course).returncode == 0
    assert run_doit(course, "forget", "build:a.pptx").returncode == 0
    assert run_doit(course).built() == {"a.pptx"}
    assert run_doit(course, "clean").returncode == 0
    assert not (course / "build/accessible/a.pptx").exists()
    info = run_doit(course, "info", "build:a.pptx")
    assert "status     : run" in info.stdout and "build/accessible/a.pptx" in info.stdout


def test_parallel_runner_builds_every_deck(course):
    for i in range(4):
        full_deck(course / f"d{i}.pptx", title=f"Deck {i}")
    r = run_doit(course, "-n", "2")
    assert r.returncode == 0, r.stderr
    for i in range(4):
        rep = report(course, f"d{i}.pptx")
        assert rep["summary"]["described"] == 2


def test_a_broken_deck_fails_with_one_line_and_the_others_build(course):
    full_deck(course / "good.pptx")
    (course / "broken.pptx").write_bytes(b"PK\x03\x04 this is not really a zip")
    r = run_doit(course)
    assert r.returncode == 1
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith(
        "FAILED broken.pptx: is not a valid PowerPoint file (corrupt or truncated zip: "
        "File is not a zip file); restore a good copy or re-save it from PowerPoint  [1/2]")
    assert "Traceback" not in r.stdout + r.stderr
    assert (course / "build/accessible/good.pptx").exists()
    assert not (course / "build/accessible/broken.pptx").exists()
