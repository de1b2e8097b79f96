"""The accessibility rules as a user meets them: findings in each deck's report after a real doit run,
`altdeck check` exit codes and lines, check.rules, waivers, the JSON summary and the review page."""
import json
import re
import subprocess

import pytest
import yaml
from lxml import etree
from pptx import Presentation
from pptx.util import Inches

from altdeck.ooxml.package import Package
from altdeck.ooxml.rules import RuleSet
from altdeck.ooxml.scan import scan
from altdeck.store import altfile
from altdeck.vocab import RULE_SEVERITY, Rule
from decks import NS_A
from rule_decks import BREAKS, NEAR_MISSES, _picture, _slide, _text, clean_deck, filename_deck, rewrite
from runs import ALTDECK, course, run_doit

FIELDS = ["rule", "severity", "slide", "shape_id", "shape", "message", "fix"]


def report(root, rel):
    return json.loads((root / "build" / "reports" / f"{rel}.json").read_text())


def altdeck(folder, *args):
    return subprocess.run([ALTDECK, *args], cwd=folder, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def rule_course(tmp_path_factory):
    """One course: the clean deck, a deck breaking each rule once, a near miss of each; built by doit."""
    root = course(tmp_path_factory.mktemp("rules"))
    clean_deck(root / "clean.pptx")
    for rule, make in BREAKS.items():
        if make:
            make(root / f"breaks-{rule}.pptx")
    for rule, make in NEAR_MISSES.items():
        make(root / f"near-{rule}.pptx")
    r = run_doit(root)
    assert r.returncode == 0, r.stderr
    return root


def test_a_clean_deck_has_no_finding_and_every_rule_checked_something(rule_course):
    rep = report(rule_course, "clean.pptx")
    assert rep["findings"] == [] and rep["unchecked"] == []
    assert set(rep["checks"]) == {r.value for r in Rule} - {"section-name"}      # the deck has no sections
    assert rep["checks"]["title-missing"] == 3 and rep["checks"]["contrast"] >= 5


@pytest.mark.parametrize("rule", [r for r, make in BREAKS.items() if make])
def test_each_rule_fires_once_with_its_severity(rule_course, rule):
    found = report(rule_course, f"breaks-{rule}.pptx")["findings"]
    assert [(f["rule"], f["severity"]) for f in found] == [(rule, RULE_SEVERITY[Rule(rule)])], found
    f = found[0]
    assert list(f) == FIELDS                              # the contract's shape, in its order
    assert f["message"] and f["fix"] and "\n" not in f["message"] + f["fix"]
    assert f["slide"] == (None if rule == "section-name" else 4 if rule == "title-missing" else
                          2 if rule.startswith("table") else 3)


def test_findings_name_the_shape_and_say_what_is_wrong(rule_course):
    def one(rule):
        return report(rule_course, f"breaks-{rule}.pptx")["findings"][0]
    assert one("contrast")["message"] == \
        "text “Grey note” is #999999 on #FFFFFF: contrast 2.84:1, under 4.5:1 for 12 pt text"
    assert one("contrast")["shape"] == "TextBox 3" and one("contrast")["shape_id"] == "4"
    assert one("title-duplicate")["message"] == "the title “results” is also slide 2's title"
    assert one("reading-order")["message"] == "“Content Placeholder 2” is read before the slide title"
    assert one("link-text")["message"] == "link text “click here” does not say where the link leads"
    assert one("section-name")["message"] == "a section is named “Default Section”"
    assert one("alt-image-of")["message"].startswith("alt text starts “Picture of”")
    assert one("alt-redundant")["message"] == "alt text repeats the slide title"
    assert one("alt-long")["message"] == "alt text is 200 characters, over alt_text.max_chars (150)"
    missing = one("alt-missing")
    assert missing["shape"] == "Picture 3" and "altdeck alt --key" in missing["fix"]
    assert one("table-merged")["message"].startswith("the table has 2 merged or split cell(s)")


@pytest.mark.parametrize("rule", sorted(NEAR_MISSES))
def test_near_misses_have_no_finding(rule_course, rule):
    assert report(rule_course, f"near-{rule}.pptx")["findings"] == []


def test_a_file_name_kept_as_alt_text_is_reported(tmp_path):
    c = course(tmp_path, "describer:\n  backend: offline\nexisting_alt: keep\n")
    filename_deck(c / "d.pptx")
    assert run_doit(c).returncode == 0
    found = report(c, "d.pptx")["findings"]
    assert [(f["rule"], f["severity"]) for f in found] == [("alt-filename", "warning")]
    assert found[0]["message"] == "alt text “C:\\Users\\me\\Pictures\\leaf_final.png” is a file name or path"


# -- contrast: colours as PowerPoint resolves them ----------------------------------------------

def _findings(path, rule=None):
    with Package(path) as pkg:
        got = scan(pkg, RuleSet()).checker.report()
    return ([f for f in got["findings"] if f["rule"] == rule] if rule else got["findings"]), got["unchecked"]


def _dark_slide(prs, slides):
    """Slide 3 maps bg1/tx1 to dk1/lt1 (white text on black) and adds a run in the theme's dk2 (#1F497D)."""
    s = slides[2]
    s._element.append(etree.fromstring(
        f'<p:clrMapOvr xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="{NS_A}">'
        '<a:overrideClrMapping bg1="dk1" tx1="lt1" bg2="dk2" tx2="lt2" accent1="accent1" accent2="accent2" '
        'accent3="accent3" accent4="accent4" accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/>'
        '</p:clrMapOvr>'))
    old = s._element.find("{http://schemas.openxmlformats.org/presentationml/2006/main}clrMapOvr")
    s._element.remove(old)                                    # python-pptx wrote masterClrMapping first
    csld = s._element[0]
    csld.insert(0, etree.fromstring(
        f'<p:bg xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="{NS_A}"><p:bgPr>'
        '<a:solidFill><a:schemeClr val="bg1"/></a:solidFill><a:effectLst/></p:bgPr></p:bg>'))
    box = _text(s, "Navy on black", y=5.5)
    run = box._element.iter(f"{{{NS_A}}}r").__next__()
    rpr = etree.SubElement(run, f"{{{NS_A}}}rPr")
    run.insert(0, rpr)
    rpr.append(etree.fromstring(f'<a:solidFill xmlns:a="{NS_A}"><a:schemeClr val="dk2"><a:lumMod val="75000"/>'
                                '</a:schemeClr></a:solidFill>'))


def test_contrast_resolves_scheme_colours_through_the_theme_and_the_colour_map(tmp_path):
    deck = clean_deck(tmp_path / "dark.pptx", _dark_slide)
    found, _ = _findings(deck, "contrast")
    # the title and body (tx1 -> lt1: white on bg1 -> dk1, black) pass; dk2 #1F497D darkened to 75% fails
    assert [(f["slide"], f["shape"]) for f in found] == [(3, "TextBox 3")], found
    assert found[0]["message"].startswith("text “Navy on black” is #17375E on #000000: contrast 1.")


def test_contrast_over_a_picture_or_gradient_is_not_checked_rather_than_guessed(tmp_path):
    def over_picture(prs, slides):
        _picture(slides[2], 9, x=0.5, y=4.0)
        _text(slides[2], "Caption over the photo", x=0.6, y=4.2, w=1.2, colour="FFFFFF", size=12)
        slides[1].background.fill.gradient()
    deck = clean_deck(tmp_path / "photo.pptx", over_picture)
    found, unchecked = _findings(deck, "contrast")
    assert found == []
    assert {(u["slide"], u["message"]) for u in unchecked} >= {
        (3, "contrast not checked: a picture behind the text"),
        (2, "contrast not checked: a gradient slide background behind the text")}


def test_text_on_its_own_dark_fill_passes_and_on_a_shape_below_is_judged_against_it(tmp_path):
    def shapes(prs, slides):
        s = slides[2]
        dark = s.shapes.add_shape(1, Inches(0.5), Inches(4), Inches(4), Inches(2))
        dark.fill.solid()
        dark.fill.fore_color.rgb = __import__("pptx.dml.color", fromlist=["RGBColor"]).RGBColor(0x20, 0x20, 0x20)
        dark.text_frame.text = "White on its own dark fill"     # the shape style's font colour: lt1
        _text(s, "Black text box over the dark shape", x=0.7, y=4.6, w=3.5, colour="000000", size=12)
    found, _ = _findings(clean_deck(tmp_path / "below.pptx", shapes), "contrast")
    assert [f["shape"] for f in found] == ["TextBox 4"]
    assert "#000000 on #202020" in found[0]["message"]


# -- altdeck check: exit codes, strictness, check.rules, waivers, JSON -------------------------------

def _course_of(tmp_path, *rules, config="describer:\n  backend: offline\n"):
    c = course(tmp_path / "c", config)
    for rule in rules:
        BREAKS[rule](c / f"{rule}.pptx")
    assert altdeck(c).returncode == 0
    return c


def test_check_fails_on_errors_passes_on_warnings_and_strict_fails_on_warnings(tmp_path):
    c = _course_of(tmp_path, "contrast", "title-duplicate")
    r = altdeck(c, "check")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert "contrast.pptx:3: TextBox 3 — warning contrast: text “Grey note” is #999999 on #FFFFFF: contrast " \
           "2.84:1, under 4.5:1 for 12 pt text; fix: darken the text" in r.stdout
    assert any(line.startswith("title-duplicate.pptx:3: (slide) — tip title-duplicate:") for line in lines)
    assert lines[-1].startswith("check: all 2 deck(s) pass (alt text on every object, no errors): "
                                "1 warning(s), 1 tip(s); course score ")
    r = altdeck(c, "check", "--strict")
    assert r.returncode == 1
    assert r.stderr.strip().startswith("FAILED check: 0 error(s) and 1 warning(s) in 1 of 2 deck(s)")

    BREAKS["alt-missing"](c / "alt-missing.pptx")
    altdeck(c)
    r = altdeck(c, "check")
    assert r.returncode == 1
    assert "alt-missing.pptx:3: Picture 3 — error alt-missing: picture has no alt text" in r.stdout
    assert "FAILED check: 1 error(s) in 1 of 3 deck(s)" in r.stderr


def test_check_rules_change_severities_and_turn_rules_off_and_rebuild_the_decks(tmp_path):
    c = _course_of(tmp_path, "contrast", "lang-missing")
    assert altdeck(c).stdout.count("built ") == 0                         # a no-op run stays a no-op
    (c / "config.yaml").write_text("describer:\n  backend: offline\ncheck:\n  rules:\n    contrast: error\n"
                                   "    lang-missing: off\n")
    r = altdeck(c)
    assert r.stdout.count("built ") == 2, r.stdout                        # findings are in the reports
    assert [f["severity"] for f in report(c, "contrast.pptx")["findings"]] == ["error"]
    assert report(c, "lang-missing.pptx")["findings"] == [] and "lang-missing" not in \
        report(c, "lang-missing.pptx")["checks"]
    assert altdeck(c, "check").returncode == 1
    (c / "config.yaml").write_text((c / "config.yaml").read_text() + "  strict: true\n")
    assert altdeck(c).stdout.count("built ") == 0                         # check.strict changes no output
    r = altdeck(c, "check")
    assert r.returncode == 1 and "error(s) and" in r.stderr               # check.strict = --strict

    (c / "config.yaml").write_text("check:\n  rules:\n    contrst: off\n")
    r = altdeck(c, "check")
    assert r.returncode == 3 and "unknown key 'check.rules.contrst'" in r.stderr and "Traceback" not in r.stderr
    (c / "config.yaml").write_text("check:\n  rules:\n    contrast: fatal\n")
    r = altdeck(c, "check")
    assert r.returncode == 3 and "'check.rules.contrast' must be one of error, warning, tip, off" in r.stderr


def test_a_slide_finding_is_waived_per_deck_and_the_waiver_rebuilds_nothing(tmp_path):
    c = _course_of(tmp_path, "title-missing")
    assert altdeck(c, "check").returncode == 1
    r = altdeck(c, "waive", "--rule", "title-missing", "--deck", "title-missing.pptx", "--slide", "4",
                "--reason", "a full-screen photo slide")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "title-missing.pptx: title-missing on slide 4" in r.stdout
    data = yaml.safe_load((c / "alt-text.yaml").read_text())
    assert data["waivers"] == {"title-missing.pptx": [{"rule": "title-missing", "slide": 4,
                                                      "reason": "a full-screen photo slide"}]}
    assert altdeck(c).stdout.count("built ") == 0
    r = altdeck(c, "check")
    assert r.returncode == 0 and "1 waived" in r.stdout and "— error" not in r.stdout

    rewrite(c / "title-missing.pptx", lambda name, data: data)           # same slides, new bytes: still waived
    altdeck(c)
    assert altdeck(c, "check").returncode == 0
    r = altdeck(c, "waive", "--rule", "title-mising", "--deck", "title-missing.pptx")
    assert r.returncode != 0 and "unknown rule 'title-mising'" in r.stdout + r.stderr


def test_an_object_finding_is_waived_on_its_entry_while_the_object_is_unchanged(tmp_path):
    c = course(tmp_path / "c")
    prs = Presentation()
    s = _slide(prs, "Leaves")
    _picture(s, 11, descr=None)
    prs.save(c / "leaf.pptx")
    altdeck(c)
    key = report(c, "leaf.pptx")["objects"][0]["key"]
    assert altdeck(c, "alt", "--key", key[:12], "--text", "Picture of a leaf in the sun.").returncode == 0
    altdeck(c)
    r = altdeck(c, "check", "--strict")
    assert r.returncode == 1 and "leaf.pptx:1: Picture 2 — warning alt-image-of" in r.stdout
    r = altdeck(c, "waive", "--rule", "alt-image-of", "--key", key[:12])
    assert r.returncode == 0 and f"object {key[:12]}" in r.stdout
    assert altfile.read(c / "alt-text.yaml")[key].waive == ("alt-image-of",)
    r = altdeck(c, "check", "--strict")
    assert r.returncode == 0 and "1 waived" in r.stdout, r.stdout + r.stderr

    prs = Presentation()                                     # another picture in its place: a new object
    s = _slide(prs, "Leaves")
    _picture(s, 12, descr="Picture of a leaf in the sun.")
    prs.save(c / "leaf.pptx")
    altdeck(c)
    r = altdeck(c, "check", "--strict")
    assert r.returncode == 1 and "warning alt-image-of" in r.stdout
    assert f"object {key[:12]} waives alt-image-of" not in r.stdout      # the old picture is in no report now


def test_a_waiver_that_matches_nothing_is_noted(tmp_path):
    c = _course_of(tmp_path, "contrast")
    altfile.write(c / "alt-text.yaml", {}, waivers={"contrast.pptx": [altfile.Waiver("contrast", 2)]})
    r = altdeck(c, "check")
    assert "contrast.pptx: (waiver) — note: waiver contrast on slide 2 matches no finding; remove it from " \
           "`waivers:`" in r.stdout
    assert r.returncode == 0


def test_a_fold_keeps_the_deck_waivers(tmp_path):
    from altdeck import config
    from altdeck.store.journal import Store
    c = course(tmp_path / "c")
    altfile.write(c / "alt-text.yaml", {}, waivers={"a.pptx": [altfile.Waiver("contrast", 2, "TextBox 3", "brand")]})
    store = Store.for_course(config.load(c))
    store.put("f" * 64, altfile.Entry("A leaf.", "ollama:llava", "abc"))
    store.close()
    entries, waivers = altfile.read_all(c / "alt-text.yaml")
    assert "f" * 64 in entries and waivers == {"a.pptx": [altfile.Waiver("contrast", 2, "TextBox 3", "brand")]}


def test_waivers_that_are_not_waivers_are_one_line(tmp_path):
    c = _course_of(tmp_path, "contrast")
    (c / "alt-text.yaml").write_text("version: 2\nobjects: {}\nwaivers:\n  contrast.pptx:\n  - {rule: contrast, "
                                     "slide: three}\n")
    r = altdeck(c, "check")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "alt-text.yaml: a waiver of contrast.pptx must have `rule:`" in r.stderr


def test_check_json_is_the_course_summary(tmp_path):
    c = _course_of(tmp_path, "contrast", "alt-missing")
    clean_deck(c / "clean.pptx")
    altdeck(c)
    r = altdeck(c, "check", "--json")
    assert r.returncode == 1
    summary = json.loads(r.stdout)                           # stdout is the JSON alone
    assert summary["passed"] is False and summary["error"] == 1 and summary["warning"] == 1
    assert summary["band"] in ("Low", "Medium", "High") and 0 < summary["score"] < 100
    assert summary["checks"] == sum(d["checks"] for d in summary["decks"])
    decks = {d["deck"]: d for d in summary["decks"]}
    assert decks["clean.pptx"]["score"] == 100 and decks["clean.pptx"]["band"] == "Perfect"
    assert decks["alt-missing.pptx"]["error"] == 1
    assert summary["rules"]["contrast"]["findings"] == 1


def test_check_prints_deck_text_without_obeying_it(tmp_path):
    c = course(tmp_path / "c")
    prs = Presentation()
    for _ in range(2):
        _slide(prs, "Results \u202etxt.exe")              # a right-to-left override in a title
    prs.save(c / "bidi.pptx")
    altdeck(c)
    r = altdeck(c, "check")
    line = next(line for line in r.stdout.splitlines() if "title-duplicate" in line)
    assert "\u202e" not in line and "\\u202e" in line


def test_the_review_page_shows_scores_and_findings_escaped_and_leaves_waived_ones_out(tmp_path):
    c = course(tmp_path / "c")
    prs = Presentation()
    for _ in range(2):
        _slide(prs, "<script>alert(1)</script>")
    prs.save(c / "evil.pptx")
    clean_deck(c / "clean.pptx")
    BREAKS["contrast"](c / "grey.pptx")
    altdeck(c)
    assert altdeck(c, "waive", "--rule", "contrast", "--deck", "grey.pptx").returncode == 0
    assert altdeck(c, "review").returncode == 0
    page = (c / "build/review/index.html").read_text()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page    # the finding
    assert "<code>title-duplicate</code>" in page and "Grey note" not in page                 # waived: not shown
    scores = page[page.index('aria-labelledby="a11y-h"'):page.index("</section>", page.index("a11y-h"))]
    assert "Accessibility: course score" in scores
    assert scores.index("evil.pptx") < min(scores.index("clean.pptx"), scores.index("grey.pptx"))   # lowest first
    grey = re.search(r'<th scope="row">grey.pptx</th>(.*?)</tr>', scores)[1]
    assert '<span class="score score-perfect">100% Perfect</span>' in grey
    assert [int(n) for n in re.findall(r"<td>(\d+)</td>", grey)] == [0, 0, 0, 1, 0]    # errors ... waived, not checked


# -- model text keeps the alt rules: cleaned, or asked again ---------------------------------------

def test_model_text_repeating_the_slide_title_is_asked_again_once(tmp_path):
    from modelserver import ModelServer

    def answer(rec):
        return "A green leaf with its veins lit from behind." if "previous answer" in rec["prompt"] else "Leaves"
    with ModelServer(answer=answer) as srv:
        c = course(tmp_path / "c", f"describer:\n  backend: ollama\n  url: {srv.url}\n  model: llava\n")
        prs = Presentation()
        _picture(_slide(prs, "Leaves"), 13, descr=None)
        prs.save(c / "leaf.pptx")
        assert altdeck(c).returncode == 0
        chats = srv.chats()
    assert len(chats) == 2 and "That answer repeats the slide title" in chats[1]["prompt"]
    obj = report(c, "leaf.pptx")["objects"][0]
    assert obj["text"] == "A green leaf with its veins lit from behind."
    assert report(c, "leaf.pptx")["findings"] == []


def test_model_text_that_keeps_breaking_a_rule_leaves_the_picture_pending(tmp_path):
    from modelserver import ModelServer
    with ModelServer(answer="Leaves.") as srv:
        c = course(tmp_path / "c", f"describer:\n  backend: ollama\n  url: {srv.url}\n  model: llava\n")
        prs = Presentation()
        _picture(_slide(prs, "Leaves"), 14, descr=None)
        prs.save(c / "leaf.pptx")
        assert altdeck(c).returncode == 0
        assert len(srv.chats()) == 2                         # asked again once, then given up
    obj = report(c, "leaf.pptx")["objects"][0]
    assert obj["decision"] == "pending" and obj["reason"] == "the model's text 'Leaves.' repeats the slide title"
    assert [f["rule"] for f in report(c, "leaf.pptx")["findings"]] == ["alt-missing"]


def test_german_french_and_spanish_image_of_openers_are_cleaned_from_model_text():
    from altdeck.describe.clean import clean
    assert clean("Bild von einer Zelle unter dem Mikroskop.", 150) == "Einer Zelle unter dem Mikroskop."
    assert clean("Image d'une cellule au microscope.", 150) == "Une cellule au microscope."
    assert clean("Imagen de una célula al microscopio.", 150) == "Una célula al microscopio."
    assert clean("Graphique des ventes par région.", 150) == "Graphique des ventes par région."   # a chart type


def test_the_rules_parse_no_part_a_second_time(tmp_path):
    """The rules run on the trees the scan parsed: every part is read from the zip at most once."""
    import collections
    reads = collections.Counter()

    class Counting(Package):
        def read(self, part):
            reads[part] += 1
            return super().read(part)
    with Counting(clean_deck(tmp_path / "d.pptx", _dark_slide)) as pkg:
        report = scan(pkg, RuleSet()).checker.report()
    assert report["checks"]["contrast"] >= 5 and reads["ppt/slides/slide3.xml"] == 1
    assert max(reads.values()) == 1, reads


def test_the_ci_example_keeps_the_summary_of_every_commit(tmp_path):
    """The CI example's summary step, run by bash as GitHub would, on two commits of a course."""
    import os
    from runs import REPO
    steps = yaml.safe_load((REPO / "examples/ci/altdeck.yml").read_text())["jobs"]["altdeck"]["steps"]
    script = next(s["run"] for s in steps if s.get("name", "").startswith("accessibility summary"))
    c = _course_of(tmp_path, "contrast")
    env = dict(os.environ, PATH=f"{os.path.dirname(ALTDECK)}:{os.environ['PATH']}", GIT_AUTHOR_NAME="t",
               GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "decks"]):
        subprocess.run(cmd, cwd=c, env=env, check=True)
    for sha in ("a" * 40, "b" * 40):
        r = subprocess.run(["bash", "-e", "-c", script], cwd=c, env=dict(env, GITHUB_SHA=sha),
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert json.loads((c / "build/accessibility" / f"{sha}.json").read_text())["warning"] == 1
    history = [json.loads(line) for line in (c / ".altdeck/score-history.jsonl").read_text().splitlines()]
    assert [h["commit"] for h in history] == ["a" * 40, "b" * 40]
    assert history[0]["score"] == history[1]["score"] < 100 and history[0]["band"] in ("High", "Perfect")


def test_a_deck_with_a_damaged_theme_or_layout_still_builds_and_is_checked(tmp_path):
    """The rules read layouts, masters and the theme, which the build never needed: damaged ones are
    judged as absent, never a reason for a deck that built before to fail."""
    c = course(tmp_path / "c")
    deck = clean_deck(c / "d.pptx")
    rewrite(deck, lambda name, data: b"<not xml" if name in ("ppt/theme/theme1.xml",
                                                              "ppt/slideLayouts/slideLayout2.xml") else data)
    r = run_doit(c)
    assert r.returncode == 0 and "built  d.pptx" in r.stdout, r.stderr
    rep = report(c, "d.pptx")
    assert rep["checks"]["contrast"] >= 5 and rep["findings"] == []


def test_waiving_an_object_without_an_entry_waives_it_where_it_is(tmp_path):
    """The deck's own text has no entry in alt-text.yaml: the waiver goes to the slides showing the object."""
    c = _course_of(tmp_path, "alt-image-of")
    key = next(o["key"] for o in report(c, "alt-image-of.pptx")["objects"] if o["text"].startswith("Picture of"))
    r = altdeck(c, "waive", "--rule", "alt-image-of", "--key", key[:12])
    assert r.returncode == 0 and "alt-image-of.pptx: alt-image-of on slide 3 shape 4" in r.stdout, r.stdout
    assert altfile.read_all(c / "alt-text.yaml") == ({}, {"alt-image-of.pptx": [altfile.Waiver("alt-image-of", 3, "4")]})
    r = altdeck(c, "check", "--strict")
    assert r.returncode == 0 and "1 waived" in r.stdout, r.stdout + r.stderr


def test_an_unknown_rule_in_an_entrys_waive_is_one_line(tmp_path):
    c = _course_of(tmp_path, "contrast")
    (c / "alt-text.yaml").write_text("version: 2\nobjects:\n  " + "ab" * 32 + ":\n    text: A lion\n"
                                     "    source: human\n    waive: [alt-lnog]\n")
    r = altdeck(c, "check")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "names unknown rule 'alt-lnog' (rules: alt-filename, alt-image-of" in r.stderr


def test_with_every_rule_off_the_report_has_no_findings_and_no_checks(tmp_path):
    off = "describer:\n  backend: offline\ncheck:\n  rules:\n" + "".join(f"    {r.value}: off\n" for r in Rule)
    c = course(tmp_path / "c", off)
    BREAKS["title-missing"](c / "d.pptx")
    assert run_doit(c).returncode == 0
    rep = report(c, "d.pptx")
    assert (rep["findings"], rep["checks"], rep["unchecked"]) == ([], {}, [])
    r = altdeck(c, "check", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["score"] == 100
