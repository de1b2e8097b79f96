"""Useful without a server: pictures of text transcribed offline by OCR, decorative pictures recognised.

Real runs of the `altdeck` command on decks made here (pictures rendered by textpics.py, a real
photo from the corpus), a real model server on 127.0.0.1 for the prompt, real Chromium for the
review page.  Needs the OCR engine (pip install -e '.[test,ocr]', as CI does).
"""
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
from lxml import etree
from pptx import Presentation
from pptx.util import Inches

import textpics
from altdeck.describe import ocr
from altdeck.store import altfile
from decks import corpus_deck, slide_xml
from modelserver import ModelServer
from runs import ALTDECK, OFFLINE, alt_only_diff, course, deck_costs

pytestmark = pytest.mark.skipif(ocr.installed_engine() is None,
                                reason="needs the OCR engine: pip install -e '.[test,ocr]'")

DEC = "{http://schemas.microsoft.com/office/drawing/2017/decorative}decorative"
CODE, ENGLISH, GERMAN = textpics.CODE[0], textpics.ENGLISH[0], textpics.GERMAN[0]


def altdeck(folder, *args, env=None, timeout=600):
    r = subprocess.run([ALTDECK, *args], cwd=folder, capture_output=True, text=True, timeout=timeout,
                       env=None if env is None else {**os.environ, **env})
    return r


def built(r):
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def picture(img) -> bytes:
    return textpics.png(img)


def a_photo() -> bytes:
    """A real photograph (hydrangea blossoms) from Apache POI's test data in tests/corpus."""
    with zipfile.ZipFile(corpus_deck("chart-picture-bg.pptx")) as z:
        return z.read("ppt/media/image1.jpg")


def deck(path, slides, lang="en-US", size=(Inches(10), Inches(7.5))):
    """slides: [(title, [(blob, left, top, width, height or None[, "behind"]), ...])]; returns
    {(slide, n): shape id}.  A picture is drawn above the title unless marked "behind"."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = size
    ids = {}
    for number, (title, pictures) in enumerate(slides, 1):
        s = prs.slides.add_slide(prs.slide_layouts[5])
        s.shapes.title.text = title
        for run in s.shapes.title.text_frame.paragraphs[0].runs:
            run._r.get_or_add_rPr().set("lang", lang)
        for n, (blob, left, top, width, height, *how) in enumerate(pictures):
            pic = s.shapes.add_picture(io.BytesIO(blob), left, top, width, height)
            if how == ["behind"]:
                tree = pic._element.getparent()
                tree.remove(pic._element)
                tree.insert(2, pic._element)             # first after the tree's own properties: at the back
            ids[(number, n)] = pic.shape_id
    prs.save(path)
    return ids


def cnvpr(path, slide, shape_id):
    root = etree.fromstring(slide_xml(path, slide))
    return next(el for el in root.iter("{*}cNvPr") if el.get("id") == str(shape_id))


def words(text):
    return re.findall(r"\w+", text.lower())


def held(reference, alt) -> float:
    """Share of the reference's words that the alt text holds."""
    got = words(alt)
    return sum(w in got for w in words(reference)) / len(words(reference))


def report(folder, name):
    return json.loads((folder / "build/reports" / f"{name}.json").read_text())


TEXT_DECK_PICTURES = 4          # three pictures of text and a photo: OCR reads each to tell


def text_deck(path):
    """The issue's deck: code, an English and a German paragraph, and a photo."""
    return deck(path, [
        ("Computing the mean", [(picture(textpics.text_image(CODE, "DejaVu Sans Mono", 20)),
                                 Inches(1), Inches(2), Inches(6), None)]),
        ("Photosynthesis", [(picture(textpics.text_image(ENGLISH, "DejaVu Sans", 20)),
                             Inches(1), Inches(2), Inches(8), None)]),
        ("Stichproben", [(picture(textpics.text_image(GERMAN, "Nimbus Sans (Helvetica)", 20, (10, 10, 40),
                                                      (250, 250, 245))), Inches(1), Inches(2), Inches(8), None)]),
        ("In the garden", [(a_photo(), Inches(2), Inches(1.5), Inches(6), None)]),
    ])


# ---- pictures of text, offline --------------------------------------------------------------------

def test_offline_the_text_pictures_are_transcribed_and_the_photo_stays_pending(tmp_path):
    c = course(tmp_path / "c")
    ids = text_deck(c / "lecture.pptx")
    r = built(altdeck(c))
    assert "built  lecture.pptx" in r.stdout
    out = c / "build/accessible/lecture.pptx"
    texts = {n: cnvpr(out, n, ids[(n, 0)]).get("descr") or "" for n in (1, 2, 3, 4)}
    assert held(CODE, texts[1]) >= 0.9 and texts[1].startswith("Code: def mean(xs)"), texts[1]
    assert "sum(xs) / len(xs)" in texts[1]                        # code keeps its symbols
    assert held(ENGLISH, texts[2]) >= 0.9, texts[2]
    assert held(GERMAN, texts[3]) >= 0.9 and "Größe" in texts[3] and "Ausreißer" in texts[3], texts[3]
    assert texts[4] == cnvpr(c / "lecture.pptx", 4, ids[(4, 0)]).get("descr")   # the photo: nothing written
    assert alt_only_diff(c / "lecture.pptx", out) == []
    objects = {o["slide"]: o for o in report(c, "lecture.pptx")["objects"]}
    assert [objects[n]["source"] for n in (1, 2, 3)] == ["ocr"] * 3
    assert objects[4]["decision"] == "pending"
    assert "not a picture of text" in objects[4]["reason"] or "no text found" in objects[4]["reason"]
    assert "no vision model configured" in objects[4]["reason"]
    assert objects[1]["transcription"].splitlines()[0] == "def mean(xs):"
    entries = altfile.read(c / "alt-text.yaml")                    # reviewable, like a model's text
    assert entries[objects[2]["key"]].source == "ocr" and entries[objects[2]["key"]].text == texts[2]
    check = altdeck(c, "check")
    gaps = [line for line in check.stdout.splitlines() if line.startswith("lecture.pptx")]
    assert len(gaps) == 1 and gaps[0].startswith("lecture.pptx:4: Picture"), check.stdout
    strict = altdeck(c, "check", "--strict").stdout
    assert f"text by ocr not reviewed (altdeck alt --key {objects[1]['key'][:12]} --reviewed)" in strict


def test_a_rebuild_reads_no_picture_again(tmp_path):
    """Readings are kept by image hash: rebuilding (or another deck with the same pictures) starts no OCR.

    A `rapidocr` that cannot be imported stands in front of the real one: any OCR would fail the deck."""
    c = course(tmp_path / "c")
    text_deck(c / "lecture.pptx")
    built(altdeck(c))
    [costs] = deck_costs(c).values()           # the log says what OCR cost
    assert costs["ocr_pictures"] == TEXT_DECK_PICTURES and costs["ocr_s"] > 0
    before = (c / "build/accessible/lecture.pptx").read_bytes()
    broken = tmp_path / "broken"
    (broken / "rapidocr").mkdir(parents=True)
    (broken / "rapidocr" / "__init__.py").write_text("raise ImportError('this OCR must not run')\n")
    env = {"PYTHONPATH": str(broken)}
    r = built(altdeck(c, env=env))
    assert "built  " not in r.stdout                               # a no-op run: nothing at all
    shutil.copyfile(c / "lecture.pptx", c / "copy.pptx")
    built(altdeck(c, "forget", "build:lecture.pptx", env=env))
    r = built(altdeck(c, env=env))
    assert "built  lecture.pptx" in r.stdout and "built  copy.pptx" in r.stdout
    assert (c / "build/accessible/lecture.pptx").read_bytes() == before
    assert (c / "build/accessible/copy.pptx").read_bytes() == before
    assert report(c, "copy.pptx")["objects"][0]["transcription"].startswith("def mean(xs):")
    assert {d: (k["ocr_pictures"], k["ocr_s"]) for d, k in deck_costs(c).items()} == \
        {"lecture.pptx": (0, 0), "copy.pptx": (0, 0)}



def test_an_ocr_engine_that_cannot_start_fails_the_deck_with_one_line(tmp_path):
    c = course(tmp_path / "c")
    text_deck(c / "lecture.pptx")
    broken = tmp_path / "broken"
    (broken / "rapidocr").mkdir(parents=True)
    (broken / "rapidocr" / "__init__.py").write_text("raise ImportError('libonnxruntime.so: cannot open')\n")
    r = altdeck(c, env={"PYTHONPATH": str(broken)})
    assert r.returncode == 1 and "Traceback" not in r.stderr
    [line] = [x for x in r.stderr.splitlines() if x.startswith("FAILED")]
    assert line.startswith("FAILED lecture.pptx: the OCR engine rapidocr is installed but cannot start "
                           "(ImportError: libonnxruntime.so: cannot open)"), line
    assert "pip install --force-reinstall 'altdeck[ocr]'" in line
    assert not (c / "build/accessible/lecture.pptx").exists()
    built(altdeck(c))                                              # fixed: the next run builds it


def test_the_engine_failing_on_a_picture_leaves_that_picture_pending_and_the_deck_builds(tmp_path):
    c = course(tmp_path / "c")
    text_deck(c / "lecture.pptx")
    failing = tmp_path / "failing"
    (failing / "rapidocr").mkdir(parents=True)
    (failing / "rapidocr" / "__init__.py").write_text(
        "class RapidOCR:\n    def __init__(self, params):\n        pass\n"
        "    def __call__(self, image, **flags):\n        raise RuntimeError('onnx: bad input shape')\n")
    r = built(altdeck(c, env={"PYTHONPATH": str(failing)}))
    assert "built  lecture.pptx (4 pending; 4 errors)" in r.stdout           # alt-missing, each
    objects = report(c, "lecture.pptx")["objects"]
    assert all("OCR failed on this picture (RuntimeError: onnx: bad input shape)" in o["reason"] for o in objects)
    assert not (c / "alt-text.yaml").exists()
    r = built(altdeck(c, "forget", "build:lecture.pptx"))
    built(altdeck(c))                                              # nothing kept of the failure: read now
    assert [o["source"] for o in report(c, "lecture.pptx")["objects"]][:3] == ["ocr"] * 3


def test_a_long_text_is_named_and_begun_and_its_whole_transcription_is_in_report_and_review(tmp_path):
    c = course(tmp_path / "c")
    long_code = ("def parse(line):\n    if line.startswith('<'):\n        return '<tag>'\n"
                 "    key, value = line.split('=', 1)\n    return {key.strip(): value.strip()}\n"
                 "for line in open('config.ini'):\n    print(parse(line))")
    ids = deck(c / "long.pptx", [("Parsing", [(picture(textpics.text_image(long_code, "DejaVu Sans Mono", 18)),
                                                Inches(1), Inches(1.5), Inches(8), None)])])
    built(altdeck(c))
    descr = cnvpr(c / "build/accessible/long.pptx", 1, ids[(1, 0)]).get("descr")
    assert len(descr) <= 150 and descr.startswith("Code, 7 lines: def parse(line): if line.startswith") \
        and descr.endswith(" …"), descr
    [o] = report(c, "long.pptx")["objects"]
    assert [line.replace(" ", "") for line in o["transcription"].splitlines()] == \
        [line.replace(" ", "") for line in long_code.splitlines()]
    built(altdeck(c, "review"))
    page = (c / "build/review/index.html").read_text()
    whole = re.search(r'<details class="transcription"><summary>Whole text in the picture \(7 lines, read by OCR\)'
                      r'<span class="vh"> for \w{12}</span></summary><pre>(.*?)</pre></details>', page, re.S)
    assert whole and "&#x27;&lt;tag&gt;&#x27;" in whole.group(1)             # escaped, never markup
    assert "<tag>" not in page


def test_the_ocr_language_follows_the_deck(tmp_path):
    c = course(tmp_path / "c")
    shell = "$ ls -la\n-rw-r--r-- 1 user user 220 .bashrc\n$ python3 --version"
    shot = picture(textpics.text_image(shell, "DejaVu Sans Mono", 20, (220, 220, 220), (30, 30, 30)))
    de = deck(c / "de.pptx", [("Die Shell", [(shot, Inches(1), Inches(2), Inches(7), None)])], lang="de-DE")
    other = picture(textpics.text_image(shell + "\nPython 3.11.7", "DejaVu Sans Mono", 20, (220, 220, 220),
                                        (30, 30, 30)))          # another picture: one text per picture
    ru = deck(c / "ru.pptx", [("Оболочка", [(other, Inches(1), Inches(2), Inches(7), None)])], lang="ru-RU")
    built(altdeck(c))
    assert cnvpr(c / "build/accessible/de.pptx", 1, de[(1, 0)]).get("descr").startswith(
        "Terminalausgabe: $ ls -la")
    [o] = report(c, "ru.pptx")["objects"]                          # no Cyrillic in the model: never guessed
    assert o["decision"] == "pending" and "the installed OCR model does not read ru-RU text" in o["reason"]
    assert cnvpr(c / "build/accessible/ru.pptx", 1, ru[(1, 0)]).get("descr") == "image.png"   # untouched


def test_ocr_off_in_config_reads_nothing(tmp_path):
    c = course(tmp_path / "c", OFFLINE + "  ocr: false\n")
    text_deck(c / "lecture.pptx")
    built(altdeck(c))
    objects = report(c, "lecture.pptx")["objects"]
    assert {o["decision"] for o in objects} == {"pending"}
    assert all("OCR is off (describer.ocr: false)" in o["reason"] for o in objects)


def test_ocr_reads_offline_and_writes_nothing_outside_the_course(tmp_path):
    """The models are inside the wheel: no download, no cache in the home folder.  The run is denied every
    network connection (an audit hook) and, where the kernel allows it, has no network at all."""
    img = tmp_path / "code.png"
    img.write_bytes(picture(textpics.text_image(CODE, "DejaVu Sans Mono", 16)))
    home = tmp_path / "home"
    home.mkdir()
    code = f"""
import sys
def deny(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"):
        raise SystemExit(f"network use: {{event}} {{args}}")
sys.addaudithook(deny)
from altdeck.describe import ocr
reader = ocr.TextReader("en")
reading, why = reader.attempt("k", lambda: open({str(img)!r}, "rb").read())
found, why = ocr.text_picture(reading)
print(ocr.alt_text(found, "en", 150))
"""
    cmd = [sys.executable, "-c", code]
    if subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0:
        cmd = ["unshare", "-rn"] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path,
                       env={**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")})
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "Code: def mean(xs): return sum(xs) / len(xs) print(mean([1, 2, 3]))"
    assert list(home.iterdir()) == []
    assert r.stderr == ""                                          # no log lines from the engine either


# ---- with a vision model --------------------------------------------------------------------------

def test_with_a_model_server_the_prompt_of_a_text_picture_holds_its_ocr_text(tmp_path):
    with ModelServer(models=["llava:latest"]) as srv:
        c = course(tmp_path / "c", f"describer:\n  backend: ollama\n  url: {srv.url}\n  model: llava\n")
        text_deck(c / "lecture.pptx")
        built(altdeck(c))
        chats = srv.chats()
    assert len(chats) == 4
    prompt = {title: next(c["prompt"] for c in chats if f"Slide title: {title}\n" in c["prompt"])
              for title in ("Computing the mean", "Stichproben", "In the garden")}
    assert ("Text found in the picture (read by OCR, line by line; quote it exactly where it matters):\n"
            "def mean(xs):\nreturn sum(xs) / len(xs)\nprint(mean([1, 2, 3]))") in prompt["Computing the mean"]
    assert "Die Größe der Stichprobe beeinflusst die Genauigkeit." in prompt["Stichproben"]
    assert "Text found in the picture" not in prompt["In the garden"]          # the photo has none
    objects = report(c, "lecture.pptx")["objects"]
    assert [o["source"] for o in objects] == ["ollama:llava"] * 4           # the model writes the text
    assert objects[0]["transcription"].startswith("def mean(xs):")


# ---- decorative pictures ------------------------------------------------------------------------

def logo() -> bytes:
    img = textpics.shapes(7, size=(300, 300))
    return picture(img)


def logo_deck(path, slides=5, big_on_first=False):
    """The same logo in the top-right corner of every slide, and one content picture per slide."""
    content = [picture(textpics.photo(40 + i, size=(400, 300))) for i in range(slides)]
    spec = []
    for i in range(slides):
        pics = [(logo(), Inches(8.9), Inches(0.2), Inches(0.9), Inches(0.9)),
                (content[i], Inches(1), Inches(2), Inches(5), None)]
        if big_on_first and i == 0:
            pics.append((logo(), Inches(3), Inches(2), Inches(4), Inches(4)))
        spec.append((f"Topic {i + 1}", pics))
    return deck(path, spec)


def test_a_logo_on_every_slide_is_decorative_with_its_reason_until_a_person_says_otherwise(tmp_path):
    c = course(tmp_path / "c")
    ids = logo_deck(c / "week1.pptx")
    built(altdeck(c))
    out = c / "build/accessible/week1.pptx"
    for n in range(1, 6):
        el = cnvpr(out, n, ids[(n, 0)])
        assert [d.get("val") for d in el.iter(DEC)] == ["1"], n          # PowerPoint's decorative flag
        assert el.get("descr") == "image.png"                      # only the flag is written
        assert not list(cnvpr(out, n, ids[(n, 1)]).iter(DEC))           # the content picture is not
    assert alt_only_diff(c / "week1.pptx", out) == []
    objects = report(c, "week1.pptx")["objects"]
    logos = [o for o in objects if o["decision"] == "decorative"]
    assert [(o["slide"], o["id"]) for o in logos] == [(n, str(ids[(n, 0)])) for n in range(1, 6)]
    assert {o["source"] for o in logos} == {"auto"}
    reason = "the same picture at the same place on 5 of 5 slides (a logo or an ornament)"
    assert {o["reason"] for o in logos} == {reason}
    key = logos[0]["key"]
    entry = altfile.read(c / "alt-text.yaml")[key]
    assert (entry.text, entry.decorative, entry.source, entry.reason) == ("", True, "auto", reason)
    assert f"  {key}:\n    decorative: true\n    reason: {reason}\n    source: auto\n" in \
        (c / "alt-text.yaml").read_text()
    check = altdeck(c, "check").stdout                            # decorative is not a gap: the photos are
    assert [line.split(":")[1] for line in check.splitlines() if line.startswith("week1.pptx")] == \
        ["1", "2", "3", "4", "5"] and "no text found" in check
    assert f"decorative by altdeck's rules ({reason}) not reviewed (altdeck alt --key {key[:12]} --reviewed)" \
        in altdeck(c, "check", "--strict").stdout
    built(altdeck(c, "review"))
    page = (c / "build/review/index.html").read_text()
    [logo_row] = re.findall(rf'<li class="row s-decorative" id="r-{key}".*?</li></ul></div></div></li>', page, re.S)
    assert f"Why decorative: decided automatically: {reason}" in logo_row and "source: <span class=\"source\">auto" \
        in logo_row and logo_row.count("<li>week1.pptx, slide ") == 5            # one row, its five places
    assert f"altdeck alt --key {key[:12]} --reviewed" in logo_row and f"altdeck alt --key {key[:12]} --text" in logo_row
    # a person's text overrules it
    r = built(altdeck(c, "alt", "--key", key[:12], "--text", "ACME University crest"))
    assert "ACME University crest" in r.stdout
    r = built(altdeck(c))
    assert "built  week1.pptx" in r.stdout
    for n in range(1, 6):
        el = cnvpr(out, n, ids[(n, 0)])
        assert el.get("descr") == "ACME University crest" and not list(el.iter(DEC))
    assert altfile.read(c / "alt-text.yaml")[key].source == "human"
    built(altdeck(c))                                              # and it stays so
    assert altfile.read(c / "alt-text.yaml")[key].text == "ACME University crest"


def test_accepting_an_automatic_decision_keeps_it_even_with_the_rules_off(tmp_path):
    c = course(tmp_path / "c")
    logo_deck(c / "week1.pptx")
    built(altdeck(c))
    key = next(o["key"] for o in report(c, "week1.pptx")["objects"] if o["decision"] == "decorative")
    built(altdeck(c, "alt", "--key", key[:12], "--reviewed"))
    assert altdeck(c, "check", "--strict").stdout.count("decorative by altdeck's rules") == 0
    (c / "config.yaml").write_text(OFFLINE + "decorative:\n  auto: false\n")
    built(altdeck(c))
    assert sum(o["decision"] == "decorative" for o in report(c, "week1.pptx")["objects"]) == 5


def test_with_decorative_auto_false_nothing_is_decided_and_stored_decisions_are_not_used(tmp_path):
    c = course(tmp_path / "c")
    logo_deck(c / "week1.pptx")
    built(altdeck(c))
    assert sum(o["decision"] == "decorative" for o in report(c, "week1.pptx")["objects"]) == 5
    (c / "config.yaml").write_text(OFFLINE + "decorative:\n  auto: false\n")
    r = built(altdeck(c))
    assert "built  week1.pptx" in r.stdout                         # the setting changes every deck's output
    objects = report(c, "week1.pptx")["objects"]
    assert not any(o["decision"] == "decorative" for o in objects) and report(c, "week1.pptx")["decorative"] is None
    assert not list(cnvpr(c / "build/accessible/week1.pptx", 1, 2).iter(DEC))
    r = built(altdeck(c))
    assert "built  " not in r.stdout                               # and then stays up to date


def test_changing_a_threshold_decides_again(tmp_path):
    """Decisions are signed by the rules that made them: under other rules a stored one is not used."""
    c = course(tmp_path / "c")
    logo_deck(c / "week1.pptx")
    built(altdeck(c))
    key = next(o["key"] for o in report(c, "week1.pptx")["objects"] if o["decision"] == "decorative")
    (c / "config.yaml").write_text(OFFLINE + "decorative:\n  repeated_min_slides: 6\n")
    built(altdeck(c))
    r = report(c, "week1.pptx")
    assert r["decorative"]["repeated_min_slides"] == 6
    assert {o["decision"] for o in r["objects"] if o["key"] == key} == {"pending"}
    assert "built  " not in built(altdeck(c)).stdout
    assert altdeck(c, "check").stdout.count(f"--key {key[:12]}") == 5      # a gap again, to be decided


def test_a_logo_also_shown_large_is_not_decorative(tmp_path):
    c = course(tmp_path / "c")
    logo_deck(c / "week1.pptx", big_on_first=True)
    built(altdeck(c))
    assert not any(o["decision"] == "decorative" for o in report(c, "week1.pptx")["objects"])


def test_repeated_on_too_few_slides_is_not_decorative(tmp_path):
    c = course(tmp_path / "c")
    corner = (Inches(8.9), Inches(0.2), Inches(0.9), Inches(0.9))
    spec = [(f"Topic {i}", [(logo(), *corner)] if i < 2 else []) for i in range(6)]    # 2 of 6 slides
    deck(c / "week1.pptx", spec)
    built(altdeck(c))
    assert {o["decision"] for o in report(c, "week1.pptx")["objects"]} == {"pending"}


def gradient(size=(1280, 720)) -> bytes:
    from PIL import Image
    return picture(Image.linear_gradient("L").resize(size).convert("RGB"))


def test_icons_dividers_and_plain_backgrounds_are_decorative_content_is_not(tmp_path):
    c = course(tmp_path / "c")
    badge = picture(textpics.text_image("NEW", "DejaVu Sans Bold", 28, (255, 255, 255), (200, 30, 30)))
    line = picture(textpics.shapes(3, size=(950, 10)))
    ids = deck(c / "d.pptx", [
        ("Icons", [(picture(textpics.shapes(1, size=(64, 64))), Inches(1), Inches(2), Inches(0.5), Inches(0.5)),
                   (badge, Inches(3), Inches(2), Inches(0.8), Inches(0.35))]),
        ("A divider", [(line, Inches(0.25), Inches(3), Inches(9.5), Inches(0.1))]),
        ("Background", [(gradient(), 0, 0, Inches(10), Inches(7.5), "behind")]),
        ("A photo behind the title", [(a_photo(), 0, 0, Inches(10), Inches(7.5), "behind")]),
        ("A plain picture over the title", [(gradient((1000, 750)), 0, 0, Inches(10), Inches(7.5))]),
    ])
    r = built(altdeck(c))
    assert "built  d.pptx" in r.stdout
    got = {(o["slide"], o["id"]): o for o in report(c, "d.pptx")["objects"]}
    icon, text_badge = got[(1, str(ids[(1, 0)]))], got[(1, str(ids[(1, 1)]))]
    assert icon["decision"] == "decorative" and icon["reason"].startswith("a small picture (0.33% of the slide")
    assert text_badge["decision"] == "pending"                    # OCR reads "NEW" in it: not an ornament
    divider = got[(2, str(ids[(2, 0)]))]
    assert divider["decision"] == "decorative" and divider["reason"].startswith("a thin line or divider (95 times")
    background = got[(3, str(ids[(3, 0)]))]
    assert background["decision"] == "decorative" and \
        background["reason"].startswith("a full-slide picture with little detail behind the slide's text")
    assert got[(4, str(ids[(4, 0)]))]["decision"] == "pending"     # a photo has detail
    assert got[(5, str(ids[(5, 0)]))]["decision"] == "pending"     # nothing is behind it: it hides the title
    out = c / "build/accessible/d.pptx"
    assert [d.get("val") for d in cnvpr(out, 3, ids[(3, 0)]).iter(DEC)] == ["1"]
    assert alt_only_diff(c / "d.pptx", out) == []


def test_a_picture_scaled_up_by_its_group_is_measured_on_the_slide(tmp_path):
    """A group's transform applies: a 0.5-inch picture in a group drawn four times larger is not an icon."""
    c = course(tmp_path / "c")
    prs = Presentation()
    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = "Grouped"
    group = s.shapes.add_group_shape()
    pic = group.shapes.add_picture(io.BytesIO(picture(textpics.shapes(2, size=(64, 64)))),
                                   Inches(1), Inches(1), Inches(0.5), Inches(0.5))
    xfrm = group._element.grpSpPr.get_or_add_xfrm()
    xfrm.off.x, xfrm.off.y = Inches(2), Inches(2)
    xfrm.ext.cx, xfrm.ext.cy = Inches(2), Inches(2)
    ch_off, ch_ext = xfrm.get_or_add_chOff(), xfrm.get_or_add_chExt()
    ch_off.x, ch_off.y, ch_ext.cx, ch_ext.cy = Inches(1), Inches(1), Inches(0.5), Inches(0.5)
    prs.save(c / "g.pptx")
    built(altdeck(c))
    [o] = [o for o in report(c, "g.pptx")["objects"] if o["id"] == str(pic.shape_id)]
    assert o["decision"] == "pending"
    from altdeck.ooxml.package import Package
    from altdeck.ooxml.scan import scan
    with Package(c / "g.pptx") as pkg:
        [t] = scan(pkg).slides[0].targets
    assert t.box == (Inches(2), Inches(2), Inches(2), Inches(2))


def test_decorative_thresholds_are_checked_settings(tmp_path):
    c = course(tmp_path / "c", OFFLINE + "decorative:\n  small_area: 2\n")
    logo_deck(c / "week1.pptx", slides=1)
    r = altdeck(c)
    assert r.returncode == 3 and "Traceback" not in r.stderr
    assert "config.yaml: 'decorative.small_area' must be a number from 0 to 1, got 2" in r.stderr


def test_the_review_page_in_a_browser_shows_decisions_with_reasons_and_whole_transcriptions(page, tmp_path):
    from selenium.webdriver.common.by import By

    from browser import axe_violations, format_violations
    from test_review_app import ready
    c = course(tmp_path / "c")
    long_text = ("Photosynthesis converts light energy into chemical energy.\nIn the chloroplasts, water is split "
                 "and carbon\ndioxide is fixed into sugars, releasing oxygen\nas a by-product of the reaction.")
    text_page = picture(textpics.text_image(long_text, "DejaVu Sans", 20))
    corner = (Inches(8.9), Inches(0.2), Inches(0.9), Inches(0.9))
    deck(c / "week1.pptx", [("Leaves", [(logo(), *corner), (text_page, Inches(1), Inches(2), Inches(8), None)]),
                            ("Roots", [(logo(), *corner)]), ("Stems", [(logo(), *corner)])])
    built(altdeck(c))
    objects = report(c, "week1.pptx")["objects"]
    logo_key = next(o["key"] for o in objects if o["decision"] == "decorative")
    text_key = next(o["key"] for o in objects if o["source"] == "ocr")
    built(altdeck(c, "review"))
    ready(page, (c / "build/review/index.html").as_uri())
    decorative = page.find_element(By.ID, f"r-{logo_key}")
    assert decorative.get_attribute("data-status") == "decorative"
    assert "(decorative: screen readers skip it)" in decorative.text
    assert ("Why decorative: decided automatically: the same picture at the same place on 3 of 3 slides (a logo or "
            "an ornament)") in decorative.text
    text_row = page.find_element(By.ID, f"r-{text_key}")
    assert re.search(r"Text, 4 lines: Photosynthesis converts light energy .*…", text_row.text)
    whole = text_row.find_element(By.CSS_SELECTOR, "details.transcription")
    assert not whole.find_element(By.TAG_NAME, "pre").is_displayed()
    whole.find_element(By.TAG_NAME, "summary").click()                 # opens like any <details>
    shown = whole.find_element(By.TAG_NAME, "pre")
    assert shown.is_displayed() and held(long_text, shown.text) >= 0.95 and shown.text.count("\n") == 3
    assert "Whole text in the picture (4 lines, read by OCR)" in whole.text
    assert axe_violations(page) == [], format_violations(axe_violations(page))


def test_a_persons_decorative_entry_flags_the_picture_and_a_persons_text_beats_the_rules(tmp_path):
    """Stored decisions are applied in one place (build._describe, then _edits), whoever made them."""
    c = course(tmp_path / "c")
    photo = picture(textpics.photo(77, size=(400, 300)))
    ids = deck(c / "d.pptx", [("Decor", [(photo, Inches(1), Inches(2), Inches(5), None)])])
    logo_deck(c / "week1.pptx")
    built(altdeck(c))
    photo_key = report(c, "d.pptx")["objects"][0]["key"]
    logo_key = next(o["key"] for o in report(c, "week1.pptx")["objects"] if o["decision"] == "decorative")
    entries = altfile.read(c / "alt-text.yaml")
    entries[photo_key] = altfile.Entry("", "human", decorative=True)
    entries[logo_key] = altfile.Entry("Crest of ACME University", "human")
    altfile.write(c / "alt-text.yaml", entries)
    r = built(altdeck(c))
    assert "built  d.pptx" in r.stdout and "built  week1.pptx" in r.stdout
    el = cnvpr(c / "build/accessible/d.pptx", 1, ids[(1, 0)])
    assert [d.get("val") for d in el.iter(DEC)] == ["1"]
    [o] = report(c, "d.pptx")["objects"]
    assert (o["decision"], o["source"]) == ("decorative", "human")
    assert {o["text"] for o in report(c, "week1.pptx")["objects"] if o["key"] == logo_key} == \
        {"Crest of ACME University"}
    assert "built  " not in built(altdeck(c)).stdout


def test_the_quick_start_on_the_bundled_examples_transcribes_and_flags_without_a_server(tmp_path):
    from runs import REPO
    examples = tmp_path / "examples"
    shutil.copytree(REPO / "examples", examples, ignore=shutil.ignore_patterns("build", ".altdeck", "*.pyc"))
    r = altdeck(tmp_path, "-d", str(examples))              # no config: backend auto, no server here
    assert r.returncode == 0, r.stdout + r.stderr
    assert "built  lecture-03-python-basics.pptx (3 described, 1 pending, 4 decorative; 1 error)" in r.stdout
    objects = report(examples, "lecture-03-python-basics.pptx")["objects"]
    texts = [o["text"] for o in objects if o["source"] == "ocr"]
    assert texts == ["Code: def mean(xs): return sum(xs) / len(xs) print(mean([4, 8, 15]))",
                     "Terminal output: $ python3 mean.py 9.0 $ python3 --version Python 3.11.2",
                     "Quote: “Beautiful is better than ugly.” — The Zen of Python"]


def test_the_engines_versions_come_from_their_wheels_folders_as_importlib_metadata_says():
    """The OCR signature is part of every no-op run's settings: the versions are read from the
    `<name>-<version>.dist-info` folder beside the modules (importlib.metadata parsed each
    distribution's metadata, ~1 ms apiece), and must be what importlib.metadata says."""
    import importlib.metadata
    from altdeck.describe import signature
    sig = ocr.signature()
    assert sig["versions"] == {d: importlib.metadata.version(d)
                               for d in signature.OCR_ENGINES[ocr.installed_engine().name][1]}
    assert signature._version("PyYAML", ("yaml",)) == importlib.metadata.version("PyYAML")      # other spelling
    assert signature._version("pillow", ("PIL",)) == importlib.metadata.version("pillow")
    assert signature._version("no-such-distribution", ("yaml",)) == ""
