"""The whole real-world corpus (tests/corpus) through a real doit run: every deck builds or fails
with one line; outputs differ from their sources only in alt text, open in python-pptx and in
LibreOffice, and are byte-identical when built again elsewhere."""
import json
import shutil
import zipfile

import pytest
from lxml import etree
from pptx import Presentation

from altdeck.ooxml.package import Package
from decks import CORPUS
from runs import REPO, alt_only_diff, course, outputs, pdf_pages, run_doit, soffice_to_pdf, visible_slides

# Fuzzer-minimized files from Apache POI whose zip central directory is damaged (unzip and
# python-pptx reject them too): the only corpus files that are genuinely broken.
BROKEN = {
    "clusterfuzz-testcase-minimized-POIFuzzer-5205835528404992.pptx": "corrupt or truncated zip",
    "clusterfuzz-testcase-minimized-POIXSLFFuzzer-5463285576892416.pptx": "corrupt or truncated zip",
}
# LibreOffice is slow: a subset covering charts of every type, SmartArt, tables, audio, video,
# macros, groups, OLE, backgrounds, a 34-slide lecture, a deck with hidden slides and Japanese text.
LIBREOFFICE_SUBSET = [
    "bar-chart.pptx", "features__steps__test_files__cht-chart-type.pptx", "smartart-simple.pptx",
    "table-with-theme.pptx", "EmbeddedAudio.pptx", "features__steps__test_files__shp-movie-props.pptx",
    "SimpleMacro.pptm", "sample_pptx_grouping_issues.pptx", "features__steps__test_files__shp-access-ole-object.pptx",
    "backgrounds.pptx", "aascu.org_workarea_downloadasset.aspx_id=5864.pptx", "60810.pptx", "with_japanese.pptx",
    "smartart-rotated-text.pptx",
]



def corpus_decks():
    return sorted(p for p in CORPUS.glob("*/*") if p.suffix.lower() in (".pptx", ".pptm"))


def copy_corpus_to(folder):
    root = course(folder)
    for p in corpus_decks():
        shutil.copyfile(p, root / p.name)
        (root / p.name).chmod(0o644)
    return root


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    root = copy_corpus_to(tmp_path_factory.mktemp("corpus"))
    return root, run_doit(root)


def test_every_corpus_deck_builds_or_fails_with_one_line(corpus_run):
    root, run = corpus_run
    names = {p.name for p in corpus_decks()}
    assert len(names) == 141
    assert "Traceback" not in run.stdout + run.stderr
    failed = run.failed()            # one "FAILED deck: reason" line per failed deck, nothing else
    assert set(failed) == set(BROKEN), run.stderr
    for deck, words in BROKEN.items():
        assert words in failed[deck]
    assert run.built() == names - set(BROKEN)


def test_outputs_differ_from_sources_only_in_alt_text(corpus_run):
    root, _ = corpus_run
    outs = outputs(root)
    assert len(outs) == 141 - len(BROKEN)
    changed = 0
    for out in outs:
        assert alt_only_diff(root / out.name, out) == [], out.name
        changed += out.read_bytes() != (root / out.name).read_bytes()
    assert changed >= 40             # alt text really was written into many of them


def test_report_texts_are_the_alt_text_in_the_output(corpus_run):
    """Every object the report calls described carries exactly that text in the output."""
    root, _ = corpus_run
    checked = 0
    for report_file in sorted((root / "build" / "reports").glob("*.json")):
        report = json.loads(report_file.read_text())
        out = root / report["output"]
        with Package(out) as pkg:
            slides = pkg.slide_parts()
            for o in report["objects"]:
                if o["decision"] != "described":
                    continue
                xml = pkg.xml(slides[o["slide"] - 1])
                descrs = {c.get("descr") for c in xml.iter("{*}cNvPr") if c.get("id") == o["id"]}
                assert descrs == {o["text"]}, (report["deck"], o)
                checked += 1
    assert checked >= 100


def test_outputs_open_in_python_pptx(corpus_run):
    root, _ = corpus_run
    for out in outputs(root):
        prs = Presentation(out)
        with zipfile.ZipFile(out) as z:
            slide_ids = etree.fromstring(z.read("ppt/presentation.xml")).findall("{*}sldIdLst/{*}sldId")
        assert len(prs.slides) == len(slide_ids), out.name


def test_outputs_open_in_libreoffice(corpus_run, tmp_path):
    root, _ = corpus_run
    decks = [root / "build" / "accessible" / name for name in LIBREOFFICE_SUBSET]
    pdfs = soffice_to_pdf(decks, tmp_path / "pdf")
    for deck, pdf in pdfs.items():
        assert pdf is not None, f"LibreOffice wrote no PDF for {deck.name}"
        assert pdf_pages(pdf) == visible_slides(deck) > 0, deck.name


def test_building_again_elsewhere_gives_identical_bytes(corpus_run, tmp_path):
    """Another folder, other mtimes, another doit run: outputs and reports are byte-identical."""
    root, _ = corpus_run
    other = copy_corpus_to(tmp_path / "elsewhere")
    run = run_doit(other)
    assert set(run.failed()) == set(BROKEN)
    first = {p.relative_to(root): p.read_bytes() for p in sorted((root / "build").rglob("*")) if p.is_file()}
    second = {p.relative_to(other): p.read_bytes() for p in sorted((other / "build").rglob("*")) if p.is_file()}
    assert first.keys() == second.keys()
    different = [str(k) for k in first if first[k] != second[k]]
    assert different == []


def test_every_report_holds_findings_in_the_contract_shape_and_the_readme_counts_them(corpus_run):
    """Findings have the contract's fields, ids and default severities; the README's table of how often
    each rule fires on the corpus is what the corpus gives."""
    import re
    from collections import Counter

    from altdeck.vocab import RULE_SEVERITY, Rule
    root, _ = corpus_run
    findings, decks, checks = Counter(), Counter(), Counter()
    for report_file in sorted((root / "build" / "reports").glob("*.json")):
        report = json.loads(report_file.read_text())
        with Package(root / report["deck"]) as pkg:
            slides = len(pkg.slide_parts())
        for f in report["findings"]:
            assert list(f) == ["rule", "severity", "slide", "shape_id", "shape", "message", "fix"], f
            rule = Rule(f["rule"])
            assert f["severity"] == RULE_SEVERITY[rule] or (rule == Rule.SECTION_NAME and f["severity"] == "tip")
            assert f["slide"] is None or 1 <= f["slide"] <= slides
            assert f["message"] and f["fix"]
            findings[f["rule"]] += 1
        for rule, n in report["checks"].items():
            checks[rule] += n
            assert n >= sum(f["rule"] == rule for f in report["findings"]), (report["deck"], rule)
        decks.update({f["rule"] for f in report["findings"]})
    readme = (REPO / "README.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| \w+ \| [^|]+ \| ([^|]+) \|", readme, re.M))
    assert set(rows) == {r.value for r in Rule}
    for rule, said in rows.items():
        m = re.match(r"(\d+) in (\d+) decks", said.strip())
        if m:
            assert (int(m[1]), int(m[2])) == (findings[rule], decks[rule]), (rule, said)
        else:
            assert findings[rule] == 0, (rule, said)
            assert re.match(rf"0 (of|in) {checks[rule]} ", said.strip()), (rule, said, checks[rule])
