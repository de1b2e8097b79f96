"""Decks for tests, built with python-pptx (plus raw XML for what it cannot make).

`full_deck` holds every kind of object altdeck handles, each with a known
shape id, so tests can assert on the XML written for each one.
"""
import io
import re
import shutil
import zipfile
from pathlib import Path

from lxml import etree
from PIL import Image, ImageDraw
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.opc.package import Part
from pptx.opc.packuri import PackURI
from pptx.util import Inches

CORPUS = Path(__file__).resolve().parent / "corpus"          # real decks, in the repository (see its README)

NS_P = "http://schemas.openxmlformats.org/presentationml/2006/main"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DECORATIVE_EXT = ('<a:extLst><a:ext uri="{C183D7F6-B498-43B3-948B-1728B52AA6E4}">'
                  '<adec:decorative xmlns:adec="http://schemas.microsoft.com/office/drawing/2017/decorative" '
                  'val="1"/></a:ext></a:extLst>')


def png(seed: int, size=(64, 48), mode="RGB") -> bytes:
    """A small distinct PNG: same seed, same bytes."""
    img = Image.new(mode, size, ((seed * 53) % 256, (seed * 97) % 256, (seed * 31) % 256))
    ImageDraw.Draw(img).rectangle([seed % 20, 5, seed % 20 + 20, 30], fill=(255 - seed % 256, 10, 10))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _cnvpr(shape):
    return shape._element.xpath("./*[1]/p:cNvPr")[0]


def set_alt(shape, descr=None, title=None, decorative=False):
    c = _cnvpr(shape)
    for k, v in (("descr", descr), ("title", title)):
        if v is None:
            c.attrib.pop(k, None)
        else:
            c.set(k, v)
    if decorative:
        c.append(etree.fromstring(f'<root xmlns:a="{NS_A}">{DECORATIVE_EXT}</root>')[0])


def add_picture(slide, blob, x=0.5, descr=None, **kw):
    pic = slide.shapes.add_picture(io.BytesIO(blob), Inches(x), Inches(1.5), Inches(1.5))
    set_alt(pic, descr=descr, **kw)
    return pic


def full_deck(path, title="Photosynthesis", notes="Explain how leaves turn light into sugar."):
    """A deck with every kind of object; returns {(slide number, shape id): what it is}."""
    prs = Presentation()
    ids = {}
    n = 1
    # 1: pictures with missing, placeholder, good, decorative and title-only alt text
    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = title
    s.notes_slide.notes_text_frame.text = notes
    ids[(n, add_picture(s, png(1), 0.2, descr=None).shape_id)] = "missing"
    ids[(n, add_picture(s, png(2), 2.0, descr="IMG_1234.JPG").shape_id)] = "filename"
    ids[(n, add_picture(s, png(3), 4.0, descr="Chloroplast under a light microscope, green ovals in a cell.").shape_id)] = "good"
    ids[(n, add_picture(s, png(4), 6.0, descr="", decorative=True).shape_id)] = "decorative"
    ids[(n, add_picture(s, png(5), 8.0, descr="", title="Leaf cross-section").shape_id)] = "title-only"
    auto = "A close up of a leaf\n\nDescription automatically generated"
    ids[(n, add_picture(s, png(6), 8.0, descr=auto).shape_id)] = "auto-caption"
    n += 1
    # 2: a group inside a group, a picture fill, the same image twice
    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = "Groups and fills"
    outer = s.shapes.add_group_shape()
    inner = outer.shapes.add_group_shape()
    ids[(n, add_picture(inner, png(7), descr="Picture 9").shape_id)] = "nested-group"
    ids[(n, add_picture(outer, png(8), 2.0).shape_id)] = "group"
    ids[(n, add_picture(s, png(7), 4.0).shape_id)] = "same-image-as-nested"
    fill = s.shapes.add_shape(1, Inches(6), Inches(2), Inches(2), Inches(2))
    _, rid = s.part.get_or_add_image_part(io.BytesIO(png(9)))
    sppr = fill._element.spPr
    for old in sppr.xpath("a:solidFill|a:noFill|a:gradFill"):
        sppr.remove(old)
    blip_fill = etree.fromstring(f'<a:blipFill xmlns:a="{NS_A}" xmlns:r="{NS_R}"><a:blip r:embed="{rid}"/>'
                                 '<a:stretch><a:fillRect/></a:stretch></a:blipFill>')
    sppr.insert(sppr.index(sppr.xpath("a:prstGeom")[0]) + 1, blip_fill)
    ids[(n, fill.shape_id)] = "fill"
    n += 1
    # 3: chart and table
    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = "Results"
    data = CategoryChartData()
    data.categories = ["North", "South", "East", "West"]
    data.add_series("Sales 2024", (10, 42, 35, 95))
    gf = s.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(0.5), Inches(1.5), Inches(5), Inches(4), data)
    gf.chart.has_title = True
    gf.chart.chart_title.text_frame.text = "Sales by region"
    ids[(n, gf.shape_id)] = "chart"
    tbl = s.shapes.add_table(3, 2, Inches(6), Inches(1.5), Inches(3), Inches(2))
    for c, text in enumerate(["Region", "Sales"]):
        tbl.table.cell(0, c).text = text
    tbl.table.cell(1, 0).text = "North"
    ids[(n, tbl.shape_id)] = "table"
    n += 1
    # 4: picture placeholder, SVG picture with PNG fallback
    s = prs.slides.add_slide(prs.slide_layouts[8])
    s.shapes.title.text = "Placeholders"
    ph = next(p for p in s.placeholders if p.placeholder_format.type == 18)   # PICTURE
    pic = ph.insert_picture(io.BytesIO(png(10)))
    ids[(n, pic.shape_id)] = "placeholder"
    svg = add_picture(s, png(11), 6.0)
    svg_part = Part(PackURI("/ppt/media/figure11.svg"), "image/svg+xml", prs.part.package,
                    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    svg_rid = s.part.relate_to(svg_part, RT.IMAGE)
    blip = svg._element.xpath(".//a:blip")[0]
    blip.append(etree.fromstring(
        f'<a:extLst xmlns:a="{NS_A}" xmlns:r="{NS_R}"><a:ext uri="{{96DAC541-7B7A-43D3-8B79-37D633B846F1}}">'
        f'<asvg:svgBlip xmlns:asvg="http://schemas.microsoft.com/office/drawing/2016/SVG/main" r:embed="{svg_rid}"/>'
        '</a:ext></a:extLst>'))
    ids[(n, svg.shape_id)] = "svg"
    n += 1
    # 5: a picture inside mc:AlternateContent (Choice and Fallback)
    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = "Alternate content"
    alt = add_picture(s, png(12), 1.0, descr="Picture 4")
    xml = etree.tostring(alt._element).decode()
    choice = xml
    wrapper = (f'<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
               f'<mc:Choice xmlns:a14="http://schemas.microsoft.com/office/drawing/2010/main" Requires="a14">'
               f'{choice}</mc:Choice><mc:Fallback>{xml}</mc:Fallback></mc:AlternateContent>')
    tree = alt._element.getparent()
    tree.replace(alt._element, etree.fromstring(wrapper))
    ids[(n, alt.shape_id)] = "alternate-content"
    prs.save(path)
    return ids


def corpus_deck(name) -> Path:
    """A deck of tests/corpus by file name; a missing one is an error naming it (not StopIteration)."""
    found = sorted(CORPUS.glob(f"*/{name}"))
    if not found:
        raise FileNotFoundError(f"{name} is not in {CORPUS}; the corpus is part of the repository")
    return found[0]


def copy_corpus(name, dest):
    """Copy a corpus deck (never written there) into a test folder, writable."""
    src = corpus_deck(name)
    dest = Path(dest)
    shutil.copyfile(src, dest)
    return dest


def slide_xml(path, n=1) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(f"ppt/slides/slide{n}.xml")


def cnvprs(path, n=1) -> dict:
    """{shape id: cNvPr element} of slide n (last one wins for alternate content)."""
    root = etree.fromstring(slide_xml(path, n))
    return {el.get("id"): el for el in root.iter("{*}cNvPr")}


_ALT_ATTR = re.compile(rb'\s(descr|title)="[^"]*"')
_DEC_EXT = re.compile(rb'<(\w+:)?ext uri="\{C183D7F6-B498-43B3-948B-1728B52AA6E4\}">.*?</(\w+:)?ext>', re.S)


def without_alt(xml: bytes) -> bytes:
    """Slide XML with alt-text attributes and decorative flags removed (and emptied extLsts)."""
    xml = _ALT_ATTR.sub(b"", xml)
    xml = _DEC_EXT.sub(b"", xml)
    return re.sub(rb"<(\w+:)?extLst></(\w+:)?extLst>", b"", xml)
