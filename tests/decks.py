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
    """Slide XML with alt-text attributes and decorative flags removed (and emptied extLsts and cNvPrs)."""
    xml = _ALT_ATTR.sub(b"", xml)
    xml = _DEC_EXT.sub(b"", xml)
    xml = re.sub(rb"<(\w+:)?extLst></(\w+:)?extLst>", b"", xml)
    return re.sub(rb"<((?:\w+:)?cNvPr\b[^>]*)></(?:\w+:)?cNvPr>", rb"<\1/>", xml)    # a flag opened <cNvPr/>


# -- objects with no picture of their own: diagrams drawn with shapes, ink, text-less tables --------

NS_P14 = "http://schemas.microsoft.com/office/powerpoint/2010/main"
NS_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
RT_INK = "http://schemas.microsoft.com/office/2011/relationships/ink"
EMU_IN = 914400
# Where the figures deck puts its objects (EMU): the crop a model receives must be these.
DIAGRAM_BOX = (1 * EMU_IN, 2 * EMU_IN, 4 * EMU_IN, 2 * EMU_IN)
INK_GROUP_BOX = (5 * EMU_IN, 1 * EMU_IN, 3 * EMU_IN, 2 * EMU_IN)
HEATMAP_BOX = (2 * EMU_IN, 2 * EMU_IN, 4 * EMU_IN, 2 * EMU_IN)


def inkml(traces, color="#0000FF", width_cm=0.1) -> bytes:
    """An InkML part as PowerPoint writes it: one brush, traces in its compact notation."""
    body = "".join(f'<inkml:trace contextRef="#ctx0" brushRef="#br0">{t}</inkml:trace>' for t in traces)
    return (
        '<inkml:ink xmlns:inkml="http://www.w3.org/2003/InkML"><inkml:definitions>'
        '<inkml:context xml:id="ctx0"><inkml:inkSource xml:id="inkSrc0"><inkml:traceFormat>'
        '<inkml:channel name="X" type="integer" max="32767" units="cm"/>'
        '<inkml:channel name="Y" type="integer" max="32767" units="cm"/>'
        '<inkml:channel name="F" type="integer" max="32767" units="dev"/>'
        '</inkml:traceFormat></inkml:inkSource></inkml:context>'
        f'<inkml:brush xml:id="br0"><inkml:brushProperty name="width" value="{width_cm}" units="cm"/>'
        f'<inkml:brushProperty name="height" value="{width_cm}" units="cm"/>'
        f'<inkml:brushProperty name="color" value="{color}"/></inkml:brush>'
        f'</inkml:definitions>{body}</inkml:ink>').encode()


def _empty_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (1, 1), (0, 0, 0, 0)).save(buf, "PNG")
    return buf.getvalue()


def ink_stroke_xml(slide, shape_id, box, ink_bytes, n) -> str:
    """A stroke as PowerPoint writes it: the content part in mc:Choice, an (empty) picture as mc:Fallback."""
    part = Part(PackURI(f"/ppt/ink/ink{shape_id}-{n}.xml"), "application/inkml+xml", slide.part.package, ink_bytes)
    ink_rid = slide.part.relate_to(part, RT_INK)
    _, png_rid = slide.part.get_or_add_image_part(io.BytesIO(_empty_png()))
    x, y, w, h = box
    xfrm = f'<a:off x="{x}" y="{y}"/><a:ext cx="{w}" cy="{h}"/>'
    return (f'<mc:AlternateContent xmlns:mc="{NS_MC}"><mc:Choice xmlns:p14="{NS_P14}" Requires="p14">'
            f'<p14:contentPart p14:bwMode="auto" r:id="{ink_rid}"><p14:nvContentPartPr>'
            f'<p14:cNvPr id="{shape_id}" name="Ink {shape_id - 1}"/><p14:cNvContentPartPr/><p14:nvPr/>'
            f'</p14:nvContentPartPr><p14:xfrm>{xfrm}</p14:xfrm></p14:contentPart></mc:Choice><mc:Fallback>'
            f'<p:pic><p:nvPicPr><p:cNvPr id="{shape_id}" name="Ink {shape_id - 1}"/><p:cNvPicPr/><p:nvPr/></p:nvPicPr>'
            f'<p:blipFill><a:blip r:embed="{png_rid}"/><a:stretch><a:fillRect/></a:stretch></p:blipFill>'
            f'<p:spPr><a:xfrm>{xfrm}</a:xfrm></p:spPr></p:pic></mc:Fallback></mc:AlternateContent>')


def _add_xml(slide, xml):
    """Append raw shape XML (may declare p14/mc itself) to a slide's shape tree."""
    wrapped = f'<root xmlns:p="{NS_P}" xmlns:a="{NS_A}" xmlns:r="{NS_R}">{xml}</root>'
    for el in etree.fromstring(wrapped):
        slide.shapes._spTree.append(el)


def figures_deck(path, fill=(255, 0, 0)):
    """A deck of objects that have no picture of their own; returns {what: (slide, shape id)}.

    1: a diagram drawn with shapes: a group of two rectangles and a connector, all `fill`, that
       covers DIAGRAM_BOX exactly, under a title;
    2: a group of three ink strokes (blue) covering INK_GROUP_BOX, with empty fallback pictures;
    3: a 4x4 table without text whose cell fills make a heat map, at HEATMAP_BOX;
    4: an ungrouped ink stroke (green).
    """
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_CONNECTOR, MSO_SHAPE
    from pptx.util import Emu
    prs = Presentation()
    ids = {}
    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = "How a request flows"
    group = s.shapes.add_group_shape()
    x, y, w, h = DIAGRAM_BOX
    for left in (x, x + w // 2):
        rect = group.shapes.add_shape(MSO_SHAPE.RECTANGLE, Emu(left), Emu(y), Emu(w // 2), Emu(h))
        rect.fill.solid()
        rect.fill.fore_color.rgb = RGBColor(*fill)
        rect.line.fill.background()
        rect.shadow.inherit = False
    line = group.shapes.add_connector(MSO_CONNECTOR.STRAIGHT, Emu(x + w // 4), Emu(y + h // 2),
                                      Emu(x + 3 * w // 4), Emu(y + h // 2))
    line.line.color.rgb = RGBColor(*fill)
    ids["diagram"] = (1, group.shape_id)

    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = "Annotated"
    x, y, w, h = INK_GROUP_BOX
    strokes = "".join(ink_stroke_xml(s, 20 + i, (x + i * w // 3, y, w // 3, h),
                                     inkml(["0 0 0,'500'1000'0,500 -1000 0", "0 500 0,'100'0'0,\"0\"0\"0,\"0\"0\"0"]), i)
                      for i in range(3))
    _add_xml(s, f'<p:grpSp><p:nvGrpSpPr><p:cNvPr id="30" name="Ink group 29"/><p:cNvGrpSpPr/><p:nvPr/>'
                f'</p:nvGrpSpPr><p:grpSpPr><a:xfrm><a:off x="{x}" y="{y}"/><a:ext cx="{w}" cy="{h}"/>'
                f'<a:chOff x="{x}" y="{y}"/><a:chExt cx="{w}" cy="{h}"/></a:xfrm></p:grpSpPr>{strokes}</p:grpSp>')
    ids["ink-group"] = (2, 30)

    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = "Where the load is"
    x, y, w, h = HEATMAP_BOX
    table = s.shapes.add_table(4, 4, Emu(x), Emu(y), Emu(w), Emu(h))
    for r in range(4):
        for c in range(4):
            cell = table.table.cell(r, c)
            cell.fill.solid()
            cell.fill.fore_color.rgb = RGBColor(60 * (r + c) % 256, 40, 255 - 60 * (r + c) % 256)
    ids["heatmap"] = (3, table.shape_id)

    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = "Remember this"
    _add_xml(s, ink_stroke_xml(s, 40, (EMU_IN, 3 * EMU_IN, 3 * EMU_IN, EMU_IN),
                               inkml(["0 0 0,'300'300'0,300 -300 0,300 300 0"], color="#00A000"), 9))
    ids["ink-stroke"] = (4, 40)
    prs.save(path)
    return ids


def textless_smartart(path):
    """The corpus' SmartArt deck (a Venn of three circles) with every node's text removed."""
    src = corpus_deck("smartart-simple.pptx")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("ppt/diagrams/"):
                data = re.sub(rb"<a:t>[^<]*</a:t>", b"<a:t></a:t>", data)
            zout.writestr(info, data)
    return path
