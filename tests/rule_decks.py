"""Decks for the accessibility rules: a clean deck, one deck per rule that breaks it once, and near misses.

Built with python-pptx on its default template (black on white, en-US as the deck's language), plus
raw XML for what it cannot make (sections, hidden titles, languages).  `BREAKS[rule](path)` writes
a deck whose only finding is one of `rule`; `NEAR_MISSES[rule](path)` one that comes close and
must have no finding of `rule`.
"""
import io
import re
import zipfile

from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Inches, Pt

from decks import NS_A, NS_P, png, set_alt

GOOD_ALT = "Chloroplasts, the green ovals inside a leaf cell, seen under a light microscope."


def _slide(prs, title, layout=5):
    s = prs.slides.add_slide(prs.slide_layouts[layout])
    if title is not None:
        s.shapes.title.text = title
    return s


def _picture(slide, seed, descr=GOOD_ALT, x=1.0, y=3.0):
    pic = slide.shapes.add_picture(io.BytesIO(png(seed)), Inches(x), Inches(y), Inches(1.5))
    set_alt(pic, descr=descr)
    return pic


def _text(slide, text, x=1.0, y=1.6, w=8.0, h=0.8, colour=None, size=None, bold=None):
    box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    run = box.text_frame.paragraphs[0].add_run()
    run.text = text
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour)
    if size:
        run.font.size = Pt(size)
    if bold is not None:
        run.font.bold = bold
    return box


def _link(slide, text, url, y=5.5):
    box = slide.shapes.add_textbox(Inches(1), Inches(y), Inches(8), Inches(0.6))
    p = box.text_frame.paragraphs[0]
    p.add_run().text = "Read "
    run = p.add_run()
    run.text = text
    run.hyperlink.address = url
    p.add_run().text = " before the lab."
    return box


def clean_deck(path, edit=None):
    """Three slides that break no rule; `edit(prs, slides)` changes one thing before saving."""
    prs = Presentation()
    s1 = _slide(prs, "Photosynthesis", layout=1)
    s1.placeholders[1].text = "Plants turn light, water and carbon dioxide into sugar."
    _picture(s1, 1, y=4.5)
    s2 = _slide(prs, "Results")
    table = s2.shapes.add_table(3, 2, Inches(1), Inches(1.8), Inches(6), Inches(1.5)).table
    for r, row in enumerate([("Region", "Sugar (g)"), ("North", "12"), ("South", "9")]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    _link(s2, "the lab safety guide", "https://example.org/lab-safety")
    s3 = _slide(prs, "Summary", layout=1)
    s3.placeholders[1].text = "Light drives the making of sugar in chloroplasts."
    if edit:
        edit(prs, [s1, s2, s3])
    prs.save(path)
    return path


def rewrite(path, fn):
    """Apply fn(part name, bytes) -> bytes to every XML part of a saved deck."""
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            z.writestr(info, fn(info.filename, data) if info.filename.endswith(".xml") else data)


def _sections(prs, *names):
    ids = [s.slide_id for s in prs.slides]
    xml = (f'<p:extLst xmlns:p="{NS_P}"><p:ext uri="{{521415D9-36F7-43E2-AB2F-B90AF26B5E84}}">'
           '<p14:sectionLst xmlns:p14="http://schemas.microsoft.com/office/powerpoint/2010/main">')
    for i, name in enumerate(names):
        xml += (f'<p14:section name="{name}" id="{{00000000-0000-0000-0000-00000000000{i}}}"><p14:sldIdLst>'
                f'<p14:sldId id="{ids[i]}"/></p14:sldIdLst></p14:section>')
    xml += "</p14:sectionLst></p:ext></p:extLst>"
    prs.part._element.append(etree.fromstring(xml))


def _move_title_last(slide):
    sp = slide.shapes.title._element
    tree = sp.getparent()
    tree.remove(sp)
    tree.append(sp)


def _no_language(path, keep_runs=False):
    """Remove every language from the deck (runs too unless keep_runs); python-pptx's runs have none."""
    def fn(name, data):
        if keep_runs and name.startswith("ppt/slides/"):
            return data
        return re.sub(rb'\s(?:lang|altLang)="[^"]*"', b"", data)
    rewrite(path, fn)


def _runs_with_language(prs, slides):
    for s in slides:
        for shape in s.shapes:
            for el in shape._element.iter(f"{{{NS_A}}}r"):
                rpr = el.find(f"{{{NS_A}}}rPr")
                if rpr is None:
                    rpr = etree.SubElement(el, f"{{{NS_A}}}rPr")
                    el.insert(0, rpr)
                rpr.set("lang", "en-GB")


def _merge(prs, slides):
    table = next(sh for sh in slides[1].shapes if sh.has_table).table
    table.cell(1, 0).merge(table.cell(1, 1))


def _no_header(prs, slides):
    next(sh for sh in slides[1].shapes if sh.has_table).table.first_row = False


def _one_row_table(prs, slides):
    table = slides[2].shapes.add_table(1, 3, Inches(1), Inches(5), Inches(6), Inches(0.5)).table
    table.first_row = False
    for c, text in enumerate(("Light", "Water", "Carbon dioxide")):
        table.cell(0, c).text = text


def _hidden_and_off_slide_titles(prs, slides):
    """Titles PowerPoint counts though nobody sees them: hidden (slide 3), dragged off the slide (slide 2)."""
    slides[2].shapes.title._element.xpath("./p:nvSpPr/p:cNvPr")[0].set("hidden", "1")
    t = slides[1].shapes.title
    t.left, t.top, t.width, t.height = Inches(-12), Inches(1), Inches(8), Inches(1)


def _no_title(prs, slides):
    s = _slide(prs, None, layout=6)
    _text(s, "A slide of text without a title.")


def _decorative_first(prs, slides):
    pic = _picture(slides[2], 5, descr="", x=0.2, y=0.2)
    set_alt(pic, descr="", decorative=True)
    el = pic._element
    tree = el.getparent()
    tree.remove(el)
    tree.insert(2, el)


def _columns_right_first(prs, slides):
    s = slides[2]
    _text(s, "Right column: what the results mean.", x=5.2, y=3.0, w=4.0)
    _text(s, "Left column: what was measured.", x=0.5, y=3.2, w=4.0)


def _bottom_first(prs, slides):
    s = slides[2]
    _text(s, "Second point, at the bottom.", y=5.5)
    _text(s, "First point, at the top.", y=3.5)


BREAKS = {
    "alt-missing": lambda p: clean_deck(p, lambda prs, s: _picture(s[2], 2, descr=None, y=5)),
    "title-missing": lambda p: clean_deck(p, lambda prs, s: _no_title(prs, s)),
    "title-duplicate": lambda p: clean_deck(p, lambda prs, s: setattr(s[2].shapes.title, "text", "  results ")),
    "table-header": lambda p: clean_deck(p, _no_header),
    "table-merged": lambda p: clean_deck(p, _merge),
    "reading-order": lambda p: clean_deck(p, lambda prs, s: _move_title_last(s[2])),
    "link-text": lambda p: clean_deck(p, lambda prs, s: _link(s[2], "click here", "https://example.org/x", y=6.2)),
    "contrast": lambda p: clean_deck(p, lambda prs, s: _text(s[2], "Grey note", y=5.5, colour="999999", size=12)),
    "section-name": lambda p: clean_deck(p, lambda prs, s: _sections(prs, "Introduction", "Default Section")),
    "lang-missing": lambda p: _no_language(clean_deck(p, lambda prs, s: _runs_with_language(prs, s[:2])),
                                           keep_runs=True),
    "alt-long": lambda p: clean_deck(p, lambda prs, s: _picture(s[2], 3, descr="A long description. " * 10, y=5)),
    "alt-filename": None,           # needs existing_alt: keep (the default policy calls a file name missing)
    "alt-image-of": lambda p: clean_deck(p, lambda prs, s: _picture(s[2], 4, descr="Picture of a leaf in the sun.",
                                                                   y=5)),
    "alt-redundant": lambda p: clean_deck(p, lambda prs, s: _picture(s[2], 6, descr="Summary", y=5)),
}

NEAR_MISSES = {
    "alt-missing": lambda p: clean_deck(p, _decorative_first),
    "title-missing": lambda p: clean_deck(p, _hidden_and_off_slide_titles),
    "title-duplicate": lambda p: clean_deck(p, lambda prs, s: setattr(s[2].shapes.title, "text", "Results (2)")),
    "table-header": lambda p: clean_deck(p, _one_row_table),
    "table-merged": lambda p: clean_deck(p),
    "reading-order": lambda p: clean_deck(p, lambda prs, s: (_decorative_first(prs, s), _columns_right_first(prs, s))),
    "link-text": lambda p: clean_deck(p, lambda prs, s: _text(s[2], "Click here on the lab computer to log in.",
                                                             y=5.5)),
    "contrast": lambda p: clean_deck(p, lambda prs, s: (
        _text(s[2], "Grey just dark enough", y=4.2, colour="767676", size=12),        # 4.54:1
        _text(s[2], "Large light grey", y=5.0, colour="949494", size=18),              # 3.03:1, large
        _text(s[2], "Bold light grey", y=5.8, colour="949494", size=14, bold=True))),  # 3.03:1, large bold
    "section-name": lambda p: clean_deck(p, lambda prs, s: _sections(prs, "Introduction", "Methods")),
    "lang-missing": lambda p: _no_language(clean_deck(p, _runs_with_language), keep_runs=True),
    "alt-long": lambda p: clean_deck(p, lambda prs, s: _picture(s[2], 3, descr="x" * 149 + ".", y=5)),
    "alt-filename": lambda p: clean_deck(p, lambda prs, s: _picture(s[2], 3, descr="A chart of file sizes in MB.",
                                                                  y=5)),
    "alt-image-of": lambda p: clean_deck(p, lambda prs, s: _picture(s[2], 4, descr="Imagery of the Amazon from "
                                                                  "a satellite, with cleared land in brown.", y=5)),
    "alt-redundant": lambda p: clean_deck(p, lambda prs, s: _picture(s[2], 6, descr="Summary of the process: light "
                                                                   "enters the chloroplast and sugar leaves it.", y=5)),
}


def filename_deck(path):
    """With existing_alt: keep, a file name kept as alt text breaks alt-filename (and nothing else)."""
    return clean_deck(path, lambda prs, s: _picture(s[2], 7, descr="C:\\Users\\me\\Pictures\\leaf_final.png", y=5))
