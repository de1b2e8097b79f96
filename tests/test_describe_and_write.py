"""What gets described, how often, and where the text is written."""

from altdeck import config
from altdeck.build import build_deck
from altdeck.describe.base import Chain
from altdeck.describe.offline import Offline
from altdeck.store.journal import Store
from decks import cnvprs, copy_corpus, full_deck, png, slide_xml
from runs import CountingDescriber


def _cfg(folder, extra=""):
    (folder / "config.yaml").write_text("describer:\n  backend: offline\n" + extra)
    return config.load(folder)


def test_every_picture_kind_is_described_once_per_image_and_written_to_both_branches(tmp_path):
    ids = full_deck(tmp_path / "deck.pptx")
    vision = CountingDescriber()
    summary = build_deck(_cfg(tmp_path), "deck.pptx", Chain(Offline(), vision))
    out = tmp_path / "build/accessible/deck.pptx"
    got = {key: cnvprs(out, key[0])[str(key[1])] for key in ids}
    for key, what in ids.items():
        descr = got[key].get("descr")
        if what == "good":
            assert descr == "Chloroplast under a light microscope, green ovals in a cell."
        elif what == "decorative":
            assert descr == ""
        else:
            assert descr and descr.startswith(("Described picture", "Column chart", "Table with")), (what, descr)
    # the same image (nested group and beside it) was sent once and got one text
    assert got[(2, 5)].get("descr") == got[(2, 7)].get("descr")
    images = vision.images
    assert len(images) == len(set(images)) == 10
    # SVG: the PNG fallback is what gets described
    assert all(s.image_type == "image/png" for s in vision.seen)
    # mc:AlternateContent: Choice and Fallback carry the same text
    xml = slide_xml(out, 5)
    assert xml.count(b'descr="Described picture') == 2
    # the title-only picture keeps its (real) title and gains descr
    title_only = next(k for k, w in ids.items() if w == "title-only")
    assert got[title_only].get("title") == "Leaf cross-section"
    assert summary["described"] == 13 and summary["pending"] == 0
    # context: slide title and notes reach the describer
    assert vision.seen[0].slide_title == "Photosynthesis"
    assert "light into sugar" in vision.seen[0].notes


def test_placeholder_title_is_removed_when_descr_is_written(tmp_path):
    from pptx import Presentation
    import io
    prs = Presentation()
    s = prs.slides.add_slide(prs.slide_layouts[6])
    pic = s.shapes.add_picture(io.BytesIO(png(1)), 0, 0, 914400 * 3)     # 3 inches: not an icon (decorative)
    pic._element.xpath("./*[1]/p:cNvPr")[0].set("title", "IMG_0001.JPG")
    prs.save(tmp_path / "t.pptx")
    build_deck(_cfg(tmp_path), "t.pptx", Chain(Offline(), CountingDescriber()))
    el = cnvprs(tmp_path / "build/accessible/t.pptx", 1)[str(pic.shape_id)]
    assert el.get("title") is None and el.get("descr").startswith("Described picture 1")


def test_stored_results_are_reused_across_decks_and_runs(tmp_path):
    cfg = _cfg(tmp_path)
    full_deck(tmp_path / "a.pptx")
    full_deck(tmp_path / "b.pptx", title="Other")
    store = Store(tmp_path / ".altdeck/alt-text.sqlite")
    first = CountingDescriber()
    build_deck(cfg, "a.pptx", Chain(Offline(), first), store)
    second = CountingDescriber()
    build_deck(cfg, "b.pptx", Chain(Offline(), second), store)
    assert len(first.seen) == 10 and second.seen == []
    a = cnvprs(tmp_path / "build/accessible/a.pptx", 2)["5"].get("descr")
    b = cnvprs(tmp_path / "build/accessible/b.pptx", 2)["5"].get("descr")
    assert a == b


def test_existing_good_text_is_reused_for_the_same_image_elsewhere_in_the_deck(tmp_path):
    from pptx import Presentation
    import io
    prs = Presentation()
    s = prs.slides.add_slide(prs.slide_layouts[6])
    a = s.shapes.add_picture(io.BytesIO(png(3)), 0, 0)
    a._element.xpath("./*[1]/p:cNvPr")[0].set("descr", "Campus map with the library marked")
    b = prs.slides.add_slide(prs.slide_layouts[6]).shapes.add_picture(io.BytesIO(png(3)), 0, 0)
    prs.save(tmp_path / "t.pptx")
    vision = CountingDescriber()
    build_deck(_cfg(tmp_path), "t.pptx", Chain(Offline(), vision))
    assert vision.seen == []
    assert cnvprs(tmp_path / "build/accessible/t.pptx", 2)[str(b.shape_id)].get("descr") == \
        "Campus map with the library marked"


def test_replace_all_redescribes_good_text_but_not_decorative(tmp_path):
    ids = full_deck(tmp_path / "deck.pptx")
    build_deck(_cfg(tmp_path, "existing_alt: replace_all\n"), "deck.pptx", Chain(Offline(), CountingDescriber()))
    out = tmp_path / "build/accessible/deck.pptx"
    good = next(k for k, w in ids.items() if w == "good")
    dec = next(k for k, w in ids.items() if w == "decorative")
    assert cnvprs(out, 1)[str(good[1])].get("descr").startswith("Described picture")
    assert cnvprs(out, 1)[str(dec[1])].get("descr") == ""


def test_offline_chart_descriptions_from_corpus_decks(tmp_path):
    cfg = _cfg(tmp_path)
    for name in ("bar-chart.pptx", "line-chart.pptx", "scatter-chart.pptx"):
        copy_corpus(name, tmp_path / name)
        build_deck(cfg, name, Chain(Offline(), None))
    texts = {name: [e for e in cnvprs(tmp_path / "build/accessible" / name, 1).values() if e.get("descr")]
             for name in ("bar-chart.pptx", "line-chart.pptx", "scatter-chart.pptx")}
    assert texts["bar-chart.pptx"][0].get("descr").startswith("Bar chart")
    assert texts["line-chart.pptx"][0].get("descr").startswith("Line chart")
    assert texts["scatter-chart.pptx"][0].get("descr").startswith("Scatter chart")
    for items in texts.values():
        assert all(len(e.get("descr")) <= 150 for e in items)


def test_the_tasks_signature_matches_the_describer_that_builds(tmp_path):
    """Tasks compute the describer's signature without importing it; the two must agree."""
    from altdeck.describe.base import make_describer
    from altdeck.describe.signature import describer_signature
    cfg = _cfg(tmp_path, "")
    for backend in ("offline", "ollama", "openai"):
        d = make_describer(cfg, backend)
        try:
            assert describer_signature(cfg, backend) == d.signature()
        finally:
            d.close()
