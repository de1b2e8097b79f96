"""Objects with no picture of their own (issue 13): diagrams drawn with shapes, ink, text-less tables and
SmartArt, pasted PDFs, OLE objects with VML previews.  Real LibreOffice renders their slides, a model
server on 127.0.0.1 receives the crops, and every object gets a key that `altdeck alt` can settle."""
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from altdeck.ooxml.package import Package
from altdeck.ooxml.scan import scan
from altdeck.render import ink
from altdeck.render.slides import SlideRenders, crop_box
from altdeck.render.soffice import RenderError, Soffice
from altdeck.store import altfile
from decks import EMU_IN, cnvprs, copy_corpus, figures_deck, textless_smartart
from modelserver import ModelServer
from runs import ALTDECK, alt_only_diff, course, deck_costs

SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="needs LibreOffice (apt-get install libreoffice-impress)")
SLIDE_W = 10 * EMU_IN          # python-pptx's default 4:3 slide: 10 x 7.5 inches


def altdeck(folder, *args, env=None, timeout=600):
    return subprocess.run([ALTDECK, *args], cwd=folder, capture_output=True, text=True, timeout=timeout,
                          env=None if env is None else {**os.environ, **env})


def counting_soffice(folder) -> tuple:
    """A `soffice` first on PATH that logs each start, then runs the real one: -> (env, log path)."""
    bin_dir, log = Path(folder) / "bin", Path(folder) / "soffice-starts.log"
    bin_dir.mkdir()
    (bin_dir / "soffice").write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{SOFFICE}" "$@"\n')
    (bin_dir / "soffice").chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}, log


def starts(log) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def report(folder, deck):
    return json.loads((folder / "build/reports" / f"{deck}.json").read_text())


def objects(folder, deck) -> dict:
    return {(o["slide"], int(o["id"] or 0)): o for o in report(folder, deck)["objects"]}


def share(img, test) -> float:
    """The share of an image's pixels for which test((r, g, b)) holds."""
    pixels = list(img.convert("RGB").get_flattened_data())
    return sum(map(test, pixels)) / len(pixels)


def received(srv, word) -> list:
    """The images (PIL) the model server received with prompts containing `word`."""
    return [Image.open(io.BytesIO(c["image_bytes"][0])) for c in srv.chats() if word in c["prompt"]]


def model_config(srv, model="llava"):
    return f"describer:\n  backend: ollama\n  url: {srv.url}\n  model: {model}\n"


def figures_course(folder):
    c = course(folder)
    ids = figures_deck(c / "figures.pptx")
    textless_smartart(c / "venn.pptx")
    copy_corpus("2411-Performance_Up.pptx", c / "pdf.pptx")       # slide 5: a pasted PDF, PNG as fallback
    copy_corpus("45541_Footer.pptx", c / "vml.pptx")              # OLE objects whose previews are VML shapes
    return c, ids


# -- end to end --------------------------------------------------------------------------------

@needs_soffice
def test_objects_without_a_picture_are_rendered_cropped_described_and_a_rerun_sends_nothing(tmp_path):
    c, ids = figures_course(tmp_path / "course")
    env, log = counting_soffice(tmp_path)
    with ModelServer(models=["llava:latest", "bakllava:latest"]) as srv:
        (c / "config.yaml").write_text(model_config(srv))
        r = altdeck(c, "-n", "2", env=env)
        assert r.returncode == 0, r.stdout + r.stderr

        # nothing is left pending: every object got text from the model
        for deck in ("figures.pptx", "venn.pptx", "pdf.pptx", "vml.pptx"):
            pending = [o for o in report(c, deck)["objects"] if o["decision"] == "pending"]
            assert pending == [], (deck, pending)

        # the crops are the objects' regions: the red diagram is red, about 4 x 2 inches at 1600 px a slide
        [diagram] = received(srv, "diagram drawn with shapes")
        assert share(diagram, lambda p: p[0] > 200 and p[1] < 80 and p[2] < 80) > 0.85
        assert abs(diagram.width - 4 / 10 * 1600) < 20 and abs(diagram.height - 2 / 10 * 1600) < 20
        inks = received(srv, "handwritten annotation")
        assert len(inks) == 2                          # the group of three strokes is one object, plus the lone one
        assert any(share(i, lambda p: p[2] > 180 and p[0] < 90 and p[1] < 90) > 0.01 for i in inks)   # blue strokes
        assert any(share(i, lambda p: p[1] > 120 and p[0] < 60 and p[2] < 60) > 0.01 for i in inks)   # green stroke
        [heatmap] = received(srv, "table shown as colours")
        assert len(set(heatmap.convert("RGB").get_flattened_data())) > 7 and \
            share(heatmap, lambda p: p[2] > 150 and p[0] < 120) > 0.1
        assert len(received(srv, "SmartArt graphic without text")) == 1
        assert "Slide title: How a request flows" in next(c["prompt"] for c in srv.chats()
                                                            if "diagram drawn" in c["prompt"])

        # the text lands on the group's cNvPr; the strokes inside it get no entry of their own
        figures = objects(c, "figures.pptx")
        assert sorted((o["kind"], "rendered" in o["flags"]) for o in figures.values()) == \
            [("diagram", True), ("ink", True), ("ink", True), ("table", True)]
        out = c / "build/accessible/figures.pptx"
        assert cnvprs(out, 1)[str(ids["diagram"][1])].get("descr").startswith("Canned description")
        slide2 = cnvprs(out, 2)
        assert slide2["30"].get("descr").startswith("Canned description")
        assert not any(slide2[str(i)].get("descr") for i in (20, 21, 22))
        assert alt_only_diff(c / "figures.pptx", out) == []

        # the pasted PDF is described from its PNG fallback, the OLE objects from their VML previews
        with zipfile.ZipFile(c / "pdf.pptx") as z:
            png_key = __import__("hashlib").sha256(z.read("ppt/media/image4.png")).hexdigest()
        picture5 = next(o for o in report(c, "pdf.pptx")["objects"] if o["slide"] == 5 and o["name"] == "Picture 5")
        assert (picture5["decision"], picture5["key"]) == ("described", png_key)
        assert "rendered" not in picture5["flags"] and "alternate-content" in picture5["flags"]
        vml = [o for o in report(c, "vml.pptx")["objects"] if o["kind"] == "ole"]
        assert len(vml) == 3 and all(o["decision"] == "described" and "vml" in o["flags"] for o in vml)

        # one LibreOffice per deck that needed renders, none for the others; the log says what each cost
        assert starts(log) == 2
        costs = deck_costs(c)
        assert {d: (k["rendered_slides"], k["soffice_launches"]) for d, k in costs.items()} == \
            {"figures.pptx": (4, 1), "venn.pptx": (1, 1), "pdf.pptx": (0, 0), "vml.pptx": (0, 0)}
        assert costs["figures.pptx"]["render_s"] > 0 and costs["pdf.pptx"]["render_s"] == 0
        assert all(k["scan_s"] >= 0 and k["describe_s"] > 0 and k["write_s"] > 0 for k in costs.values())
        entries = altfile.read(c / "alt-text.yaml")
        assert {k.split("-")[0] for k in entries if "-" in k} == {"diagram", "ink", "table", "smartart"}

        # another model describes again: the crops come from the render cache, LibreOffice stays off
        (c / "config.yaml").write_text(model_config(srv, "bakllava"))
        sent = len(srv.chats())
        r = altdeck(c, env=env)
        assert r.returncode == 0, r.stderr
        assert len(received(srv, "diagram drawn with shapes")) == 2 and len(srv.chats()) > sent
        assert starts(log) == 2

        # a rerun sends nothing and renders nothing, even when every deck is built again
        sent = len(srv.chats())
        shutil.rmtree(c / ".altdeck" / "renders")
        assert altdeck(c, "forget", env=env).returncode == 0
        r = altdeck(c, env=env)
        assert r.returncode == 0 and r.stdout.count("built  ") == 4, r.stdout
        assert len(srv.chats()) == sent and starts(log) == 2
        assert not (c / ".altdeck" / "renders").exists()
        assert all(k["rendered_slides"] == k["soffice_launches"] == 0 for k in deck_costs(c).values())



def figures_only(tmp_path, folder_name):
    """A course holding the figures deck, and an empty folder `folder_name` beside it."""
    c = course(tmp_path / "course")
    figures_deck(c / "figures.pptx")
    (tmp_path / folder_name).mkdir()
    return c, tmp_path / folder_name


@needs_soffice
def test_without_libreoffice_objects_that_need_a_render_stay_pending_with_the_reason(tmp_path):
    c, empty = figures_only(tmp_path, "no-programs")
    with ModelServer(models=["llava:latest"]) as srv:
        (c / "config.yaml").write_text(model_config(srv))
        r = altdeck(c, env={"PATH": str(empty)})
        assert r.returncode == 0, r.stderr
        reasons = {o["kind"]: o["reason"] for o in report(c, "figures.pptx")["objects"]}
        assert reasons["diagram"] == "install LibreOffice (soffice) to render this diagram drawn with shapes " \
                                     "for the vision model"
        assert reasons["ink"].startswith("install LibreOffice (soffice) to render this handwritten annotation")
        assert srv.chats() == []


@needs_soffice
def test_libreoffice_dies_with_a_deck_that_times_out(tmp_path):
    c, tmp = figures_only(tmp_path, "tmp")

    def ours():            # LibreOffice processes whose profile is under this test's TMPDIR
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"soffice" in cmd and str(tmp).encode() in cmd:
                found.append(pid)
        return found

    with ModelServer(models=["llava:latest"], hang=True) as srv:
        (c / "config.yaml").write_text(model_config(srv) + "batch:\n  deck_timeout_s: 15\n")
        proc = subprocess.Popen([ALTDECK], cwd=c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "TMPDIR": str(tmp)})
        seen = False
        while proc.poll() is None:
            seen = seen or bool(ours())
            time.sleep(0.2)
        out, err = proc.communicate()
        assert proc.returncode == 1 and "figures.pptx: timed out after 15 s" in err, err
        assert seen, "LibreOffice never ran: the test proves nothing"
        time.sleep(0.5)
        assert ours() == []


# -- offline: a key and a fix for every gap ------------------------------------------------------

@needs_soffice
def test_offline_every_gap_names_a_key_and_alt_decorative_or_text_closes_it(tmp_path):
    c, ids = figures_course(tmp_path / "course")
    # the corpus decks break other rules too (titles, link text, ...): this test is about alt text
    (c / "config.yaml").write_text((c / "config.yaml").read_text() + "check:\n  rules:\n" + "".join(
        f"    {rule}: off\n" for rule in ("title-missing", "table-header", "link-text", "reading-order",
                                          "table-merged", "contrast", "title-duplicate")))
    sources = {p.name: p.read_bytes() for p in c.glob("*.pptx")}
    assert altdeck(c).returncode == 0
    r = altdeck(c, "check")
    gaps = r.stdout.splitlines()
    assert r.returncode == 1 and gaps
    assert all("altdeck alt --key " in line and "--decorative" in line for line in gaps), r.stdout
    diagram_line = next(line for line in gaps if line.startswith("figures.pptx:1: Group"))
    assert "diagram drawn with shapes is described by a vision model" in diagram_line
    for line in gaps:
        where, key = line.split(" — ")[0], line.split("--key ")[1].split()[0]
        if where.startswith(("figures.pptx:1:", "figures.pptx:2:")):
            r = altdeck(c, "alt", "--key", key, "--decorative")
            assert r.returncode == 0 and "decorative" in r.stdout, r.stdout + r.stderr
        else:
            assert altdeck(c, "alt", "--key", key, "--text", f"Text for {where}").returncode == 0
    r = altdeck(c)
    assert r.returncode == 0
    r = altdeck(c, "check")
    assert r.returncode == 0, r.stdout

    # PowerPoint's decorative flag in the copy, the source untouched, the report says decorative
    out = c / "build/accessible/figures.pptx"
    xml = zipfile.ZipFile(out).read("ppt/slides/slide1.xml")
    group = etree.fromstring(xml).xpath("//*[local-name()='cNvPr'][@name='Group 2']")[0]
    assert group.xpath("*/*/*[local-name()='decorative']/@val") == ["1"]
    diagram = objects(c, "figures.pptx")[ids["diagram"]]
    assert (diagram["decision"], diagram["source"]) == ("decorative", "human")
    assert {p.name: p.read_bytes() for p in c.glob("*.pptx")} == sources
    assert alt_only_diff(c / "figures.pptx", out) == []
    heatmap = objects(c, "figures.pptx")[ids["heatmap"]]
    assert heatmap["decision"] == "described" and heatmap["text"] == "Text for figures.pptx:3: Table 2"

    # kept while the object is unchanged: moving the group keeps its key, recolouring it is a new object
    figures_deck(c / "figures.pptx")                    # the same deck, written again
    assert altdeck(c).returncode == 0 and altdeck(c, "check").returncode == 0
    figures_deck(c / "figures.pptx", fill=(0, 0, 255))
    assert altdeck(c).returncode == 0
    r = altdeck(c, "check")
    assert r.returncode == 1 and [line.split(" — ")[0] for line in r.stdout.splitlines()] == ["figures.pptx:1: Group 2"]


def test_a_stored_decorative_entry_of_any_source_flags_the_copy_unless_a_person_wrote_text(tmp_path):
    from test_store_file import make_deck, sha
    from altdeck import config
    from altdeck.describe import decorative, ocr
    from altdeck.store.journal import Store
    c = course(tmp_path / "course")
    make_deck(c / "a.pptx", [61, 62])
    cfg = config.load(c)          # altdeck's own decisions are signed by the decorative rules that made them
    rules = altfile.signature_digest(decorative.rules_json(decorative.rules(cfg, ocr.in_use(cfg))))
    altfile.write(c / "alt-text.yaml", {
        sha(61): altfile.Entry("", "auto", rules, decorative=True, reason="the same picture on 9 of 12 slides"),
        sha(62): altfile.Entry("A periodic table", "human")})
    store = Store.for_course(cfg)                       # a machine's decision arriving on top of a person's text
    store.put(sha(62), altfile.Entry("", "auto", rules, decorative=True, reason="looks like a border"))
    store.close(fold=False)
    assert altdeck(c).returncode == 0
    by_key = {o["key"]: o for o in report(c, "a.pptx")["objects"]}
    assert (by_key[sha(61)]["decision"], by_key[sha(61)]["source"], by_key[sha(61)]["reason"]) == \
        ("decorative", "auto", "the same picture on 9 of 12 slides")
    assert (by_key[sha(62)]["decision"], by_key[sha(62)]["text"]) == ("described", "A periodic table")
    pics = cnvprs(c / "build/accessible/a.pptx", 1)
    flagged = {i for i, el in pics.items() if el.xpath("*/*/*[local-name()='decorative']")}
    assert flagged == {by_key[sha(61)]["id"]}
    assert altdeck(c, "check").returncode == 0

    # a person takes the decision back: the deck is rebuilt and the flag is gone
    r = altdeck(c, "alt", "--key", sha(61)[:12], "--text", "School crest")
    assert r.returncode == 0
    r = altdeck(c)
    assert "built  a.pptx" in r.stdout
    pics = cnvprs(c / "build/accessible/a.pptx", 1)
    assert not any(el.xpath("*/*/*[local-name()='decorative']") for el in pics.values())
    assert pics[by_key[sha(61)]["id"]].get("descr") == "School crest"


# -- keys ----------------------------------------------------------------------------------------

def keys_of(path) -> dict:
    with Package(path) as pkg:
        return {(s.number, t.shape_id): t.digest for s in scan(pkg).slides for t in s.targets}


def test_content_keys_are_stable_across_decks_and_alt_text_and_change_with_the_object(tmp_path):
    a, b = tmp_path / "a.pptx", tmp_path / "b.pptx"
    figures_deck(a)
    figures_deck(b)
    assert keys_of(a) == keys_of(b) and all(keys_of(a).values())

    # the accessible copy, with alt text and a decorative flag written, holds the same objects
    c = course(tmp_path / "course")
    shutil.copy(a, c / "a.pptx")
    assert altdeck(c).returncode == 0
    pending = [o for o in report(c, "a.pptx")["objects"] if o["decision"] == "pending"]
    assert len(pending) == 4
    altdeck(c, "alt", "--key", pending[0]["key"], "--decorative")
    for o in pending[1:]:
        altdeck(c, "alt", "--key", o["key"], "--text", f"About {o['kind']}")
    assert altdeck(c).returncode == 0
    assert {o["decision"] for o in report(c, "a.pptx")["objects"]} == {"described", "decorative"}
    assert keys_of(c / "build/accessible/a.pptx") == keys_of(a)

    figures_deck(b, fill=(0, 0, 250))                      # only the diagram changed
    assert {k for k, v in keys_of(b).items() if keys_of(a)[k] != v} == {(1, "3")}


def test_ink_traces_in_difference_notation():
    assert ink.trace_points("0 0 0,'500'1000'0,500 -1000 0") == [(0, 0), (500, 1000), (1000, 0)]
    assert ink.trace_points("10 5,'2'0,\"0\"1,\"0\"0") == [(10, 5), (12, 5), (14, 6), (16, 7)]
    assert ink.trace_points("1 2, 3 4") == [(1, 2), (3, 4)]


def test_crop_boxes_round_outward_with_a_margin_inside_the_image():
    assert crop_box((EMU_IN, EMU_IN, 2 * EMU_IN, EMU_IN), (SLIDE_W, 7.5 * EMU_IN), (1600, 1200), margin=0) == \
        (160, 160, 480, 320)
    assert crop_box((-EMU_IN, 0, 2 * EMU_IN, EMU_IN), (SLIDE_W, 7.5 * EMU_IN), (1600, 1200)) == (0, 0, 166, 166)


# -- the renderer --------------------------------------------------------------------------------

@needs_soffice
@pytest.mark.parametrize("route", ["uno", "cli"])
def test_both_routes_render_the_slide_and_the_crop_is_the_object(tmp_path, route):
    deck = tmp_path / "f.pptx"
    ids = figures_deck(deck)
    soffice = Soffice(timeout_s=180, pythons=None if route == "uno" else [])
    try:
        with Package(deck) as pkg:
            target = {(s.number, t.shape_id): t for s in scan(pkg).slides for t in s.targets}
            renders = SlideRenders(pkg, tmp_path / "cache", soffice)
            renders.prepare([1, 3])
            assert soffice.route == route and renders.rendered == [1, 3]
            crop = Image.open(io.BytesIO(renders.crop(1, target[(1, str(ids["diagram"][1]))].box)))
            assert share(crop, lambda p: p[0] > 200 and p[1] < 80 and p[2] < 80) > 0.85
            assert sorted(os.listdir(tmp_path / "cache")) == sorted(f"{renders.digest(n)}.png" for n in (1, 3))
            renders.close()
    finally:
        soffice.close()


@needs_soffice
def test_a_render_that_takes_too_long_is_killed_with_its_group(tmp_path, monkeypatch):
    import tempfile
    deck = tmp_path / "f.pptx"
    figures_deck(deck)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    soffice = Soffice(timeout_s=0.05)
    with Package(deck) as pkg:
        renders = SlideRenders(pkg, tmp_path / "cache", soffice)
        with pytest.raises(RenderError, match="did not answer within|did not finish within"):
            renders.prepare([1])
        renders.close()
    soffice.close()
    assert not (tmp_path / "cache").exists() or os.listdir(tmp_path / "cache") == []
    time.sleep(0.3)
    assert [p for p in filter(str.isdigit, os.listdir("/proc"))
            if str(tmp).encode() in _cmdline(p)] == []


def _cmdline(pid) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


# -- geometry ------------------------------------------------------------------------------------

def _sp(x, y, w, h, rot=0):
    return f'<p:sp><p:spPr><a:xfrm rot="{rot}"><a:off x="{x}" y="{y}"/><a:ext cx="{w}" cy="{h}"/></a:xfrm></p:spPr></p:sp>'


def _grp(inner, off, ext, choff, chext, rot=0, flip=""):
    return (f'<p:grpSp><p:grpSpPr><a:xfrm rot="{rot}" {flip}><a:off x="{off[0]}" y="{off[1]}"/>'
            f'<a:ext cx="{ext[0]}" cy="{ext[1]}"/><a:chOff x="{choff[0]}" y="{choff[1]}"/>'
            f'<a:chExt cx="{chext[0]}" cy="{chext[1]}"/></a:xfrm></p:grpSpPr>{inner}</p:grpSp>')


def _box_of_sp(inner):
    from altdeck.ooxml.geometry import box
    from decks import NS_A, NS_P
    root = etree.fromstring(f'<p:sld xmlns:p="{NS_P}" xmlns:a="{NS_A}"><p:cSld><p:spTree>{inner}</p:spTree>'
                            '</p:cSld></p:sld>')
    return tuple(round(v) for v in box(root.find(f".//{{{NS_P}}}sp")))


@pytest.mark.parametrize("xml, expected", [
    (_sp(100, 200, 300, 400), (100, 200, 300, 400)),
    # off + (x - chOff) * ext / chExt, sizes scaled
    (_grp(_sp(3000000, 2000000, 2400000, 1600000), (4000000, 1500000), (4000000, 3000000), (1000000, 1000000),
          (8000000, 4000000)), (5000000, 2250000, 1200000, 1200000)),
    # a group turned 90 degrees about its centre
    (_grp(_sp(0, 0, 2000000, 1000000), (4000000, 2000000), (3000000, 2000000), (0, 0), (3000000, 2000000),
          rot=90 * 60000), (5500000, 1500000, 1000000, 2000000)),
    # flipH mirrors the child about the group's centre
    (_grp(_sp(0, 0, 1000, 1000), (0, 0), (4000, 1000), (0, 0), (4000, 1000), flip='flipH="1"'), (3000, 0, 1000, 1000)),
    # a shape turned 90 degrees: its bounding box swaps width and height about its centre
    (_sp(0, 0, 2000, 1000, rot=90 * 60000), (500, -500, 1000, 2000)),
    # nested groups: the inner maps into the outer's child space, the outer onto the slide
    (_grp(_grp(_sp(0, 0, 1000, 1000), (1000, 1000), (2000, 2000), (0, 0), (1000, 1000)),
          (0, 0), (1500, 1500), (0, 0), (3000, 3000)), (500, 500, 1000, 1000)),
])
def test_boxes_through_group_transforms(xml, expected):
    assert _box_of_sp(xml) == expected


# -- the render-only copy ------------------------------------------------------------------------

def test_the_render_only_copy_draws_ink_unlinks_files_and_keeps_the_source(tmp_path):
    from altdeck.render.copy import write_render_copy
    deck = tmp_path / "f.pptx"
    figures_deck(deck)
    with zipfile.ZipFile(deck) as z:               # the lone stroke's InkML unreadable: its fallback stands in
        parts = {n: z.read(n) for n in z.namelist()}
    lone = next(n for n in parts if n.startswith("ppt/ink/ink40"))
    parts[lone] = b"<not-inkml/>"
    rels = "ppt/slides/_rels/slide3.xml.rels"
    parts[rels] = parts[rels].replace(b"</Relationships>", b'<Relationship Id="rIdX" Type="http://schemas.'
                                      b'openxmlformats.org/officeDocument/2006/relationships/image" '
                                      b'Target="http://example.invalid/logo.png" TargetMode="External"/>'
                                      b'</Relationships>')
    with zipfile.ZipFile(deck, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    before = deck.read_bytes()
    with Package(deck) as pkg:
        write_render_copy(pkg, tmp_path / "copy.pptx")
    assert deck.read_bytes() == before
    with zipfile.ZipFile(tmp_path / "copy.pptx") as z:
        slide2, slide4 = z.read("ppt/slides/slide2.xml"), z.read("ppt/slides/slide4.xml")
        drawn = [n for n in z.namelist() if n.startswith("ppt/media/altdeck-ink-")]
        assert b"contentPart" not in slide2 and slide2.count(b"<p:pic>") == 3 and len(drawn) == 3
        strokes = Image.open(io.BytesIO(z.read(drawn[0])))
        assert share(strokes, lambda p: p[2] > 180 and p[0] < 90) > 0.01             # blue on transparent
        assert b"contentPart" not in slide4 and b'name="Ink 39"' in slide4          # the fallback picture
        assert b"example.invalid" not in z.read(rels)


@needs_soffice
def test_renders_reach_the_cache_when_the_temp_folder_is_another_file_system(tmp_path, monkeypatch):
    """LibreOffice draws into the system temp folder, often a tmpfs; the cache is in the course.
    A rename between them fails (EXDEV): the render must still land in the cache."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs a temp folder on another file system than the course (/dev/shm)")
    other = Path(tempfile.mkdtemp(dir=shm))
    monkeypatch.setattr(tempfile, "tempdir", str(other))
    deck = tmp_path / "f.pptx"
    figures_deck(deck)
    soffice = Soffice(timeout_s=180)
    try:
        with Package(deck) as pkg:
            renders = SlideRenders(pkg, tmp_path / "cache", soffice)
            renders.prepare([1])
            assert renders.rendered == [1]
            assert os.listdir(tmp_path / "cache") == [f"{renders.digest(1)}.png"]
            assert Image.open(tmp_path / "cache" / f"{renders.digest(1)}.png").size == (renders.width, renders.height)
            renders.close()
    finally:
        soffice.close()
        shutil.rmtree(other, ignore_errors=True)


@needs_soffice
def test_smartart_inside_a_group_is_rendered(tmp_path):
    """LibreOffice drops SmartArt inside a group; the render-only copy moves it out (60810, slide 22)."""
    deck = copy_corpus("60810.pptx", tmp_path / "sa.pptx")
    soffice = Soffice(timeout_s=180)
    try:
        with Package(deck) as pkg:
            frames = [t for s in scan(pkg).slides if s.number == 22 for t in s.targets if t.kind == "smartart"]
            assert len(frames) == 2 and all("group" in t.flags for t in frames)
            renders = SlideRenders(pkg, tmp_path / "cache", soffice)
            for t in frames:
                crop = Image.open(io.BytesIO(renders.crop(22, t.box)))
                assert share(crop, lambda p: min(p) < 200) > 0.1          # not an empty white box
            renders.close()
    finally:
        soffice.close()


@needs_soffice
def test_a_metafile_no_converter_can_draw_is_described_from_its_rendered_slide(tmp_path):
    """bug54570's OLE preview is an EMF: with emf2svg, rsvg and LibreOffice's own conversion all failing,
    the slide's render (where LibreOffice draws the EMF in place) is what the model receives."""
    c = course(tmp_path / "course")
    copy_corpus("bug54570.pptx", c / "emf.pptx")
    shims = tmp_path / "shims"
    shims.mkdir()
    for tool in ("emf2svg-conv", "rsvg-convert", "wmf2gd"):
        (shims / tool).write_text("#!/bin/sh\nexit 1\n")
    (shims / "soffice").write_text(f'#!/bin/sh\ncase "$*" in *--convert-to\\ png*) exit 0;; esac\nexec "{SOFFICE}" "$@"\n')
    for tool in shims.iterdir():
        tool.chmod(0o755)
    with ModelServer(models=["llava:latest"]) as srv:
        (c / "config.yaml").write_text(model_config(srv))
        r = altdeck(c, env={"PATH": f"{shims}{os.pathsep}{os.environ['PATH']}"})
        assert r.returncode == 0, r.stderr
        [ole] = [o for o in report(c, "emf.pptx")["objects"] if o["kind"] == "ole"]
        assert ole["decision"] == "described" and "rendered" in ole["flags"], ole
        [crop] = received(srv, "shows an embedded object")
        assert crop.width > 100 and share(crop, lambda p: min(p) < 200) > 0.02      # something drawn, not blank
