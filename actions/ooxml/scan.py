"""Walk a deck's slide XML and list every object that can carry alt text.

python-pptx's shape list skips `mc:AlternateContent`, so the walk is done on
the XML: pictures (also in placeholders, groups at any depth and picture
fills), charts, SmartArt, tables, OLE previews and media.  An object written
twice inside `mc:AlternateContent` (Choice and Fallback) is one target with
two `cNvPr` slots that get the same text.
"""
from collections import Counter
from dataclasses import dataclass, field

from lxml import etree

from ..vocab import Kind
from .ns import EXT_DECORATIVE, EXT_SVG, NS, URI_CHART, URI_CHARTEX, URI_DIAGRAM, URI_OLE, URI_TABLE, qn, xp
from .package import Package

MAX_TITLE, MAX_TEXT, MAX_NOTES = 200, 1500, 1500

_T = qn("a:t")
_CNVPR_ANY = "{*}cNvPr"
_DECORATIVE = xp(f"a:extLst/a:ext[@uri='{EXT_DECORATIVE}']/adec:decorative/@val")
_TITLE_SP = xp("p:cSld/p:spTree//p:sp[p:nvSpPr/p:nvPr/p:ph[@type='title' or @type='ctrTitle']]")
_BODY_SP = xp(".//p:sp[p:nvSpPr/p:nvPr/p:ph[@type='body']]")
_TEXT_SP = xp("p:cSld/p:spTree//p:sp[not(p:nvSpPr/p:nvPr/p:ph[@type='title' or @type='ctrTitle' "
              "or @type='sldNum' or @type='dt' or @type='ftr'])]")
_LANG = xp(".//a:rPr/@lang | .//a:endParaRPr/@lang")
_BG_BLIP = xp("p:cSld/p:bg/p:bgPr/a:blipFill/a:blip")
_SP_BLIP = xp("p:spPr/a:blipFill/a:blip")
_PIC_BLIP = xp("p:blipFill/a:blip")
_MEDIA = xp("p:nvPicPr/p:nvPr/a:videoFile | p:nvPicPr/p:nvPr/a:quickTimeFile | p:nvPicPr/p:nvPr/a:audioFile"
            " | p:nvPicPr/p:nvPr/a:wavAudioFile | p:nvPicPr/p:nvPr/p:extLst/p:ext/p14:media")
_PH = xp("*[1]/p:nvPr/p:ph")
_SVG = xp(f"a:extLst/a:ext[@uri='{EXT_SVG}']/asvg:svgBlip")
_GRAPHIC_DATA = xp("a:graphic/a:graphicData")
_ANY_BLIP = xp(".//a:blip")


@dataclass
class Target:
    """One object that can carry alt text, and where its text lives."""
    slide: int
    part: str
    kind: str                     # picture, chart, smartart, table, ole, video, audio
    shape_id: str
    name: str
    descr: str
    title: str
    decorative: bool
    cnvpr: list = field(default_factory=list)   # document-order indexes of its cNvPr elements
    image: str | None = None      # image part to describe (PNG fallback for SVG)
    flags: list = field(default_factory=list)   # placeholder, group, fill, alternate-content, svg, linked, missing-image
    chart: str | None = None      # chart part
    diagram: str | None = None    # SmartArt data part
    layout: str | None = None     # SmartArt layout part
    table: list | None = None     # rows of cell texts


@dataclass
class Slide:
    number: int
    part: str
    title: str
    text: str
    notes: str
    targets: list
    backgrounds: list             # image parts used as slide backgrounds (decorative)
    cnvpr_count: int
    a_prefix: str | None          # prefix bound to DrawingML at the root, for the writer


@dataclass
class Deck:
    slides: list
    language: str


def text_of(el, limit=None) -> str:
    """Paragraph texts of an element, joined by spaces."""
    paras = []
    for p in el.iter(qn("a:p")):
        t = "".join(x.text or "" for x in p.iter(_T)).strip()
        if t:
            paras.append(t)
    out = " ".join(" ".join(paras).split())
    return out[:limit] if limit else out


def scan(pkg: Package) -> Deck:
    slides, langs = [], Counter()
    for number, part in enumerate(pkg.slide_parts(), start=1):
        root = pkg.xml(part)
        langs.update(l for l in _LANG(root) if l and l.lower() != "x-none")
        slides.append(_scan_slide(pkg, number, part, root))
    language = langs.most_common(1)[0][0] if langs else ""
    return Deck(slides, language)


def _scan_slide(pkg, number, part, root) -> Slide:
    paths = {}
    tree = root.getroottree()
    for i, el in enumerate(root.iter(_CNVPR_ANY)):
        paths[tree.getpath(el)] = i
    found = []                                       # (element, cNvPr, alternate-content element)
    tree_el = root.find("p:cSld/p:spTree", NS)
    if tree_el is not None:
        _walk(tree_el, None, False, found)
    targets, by_ac = [], {}
    for el, cnvpr, ac, in_group in found:
        t = _target(pkg, number, part, el, cnvpr, in_group)
        if t is None:
            continue
        t.cnvpr = [paths[tree.getpath(cnvpr)]]
        if ac is None:
            targets.append(t)
            continue
        t.flags.append("alternate-content")
        key = (tree.getpath(ac), t.shape_id)
        if key in by_ac:
            _merge(by_ac[key], t)
        else:
            by_ac[key] = t
            targets.append(t)
    title_sp = _TITLE_SP(root)
    text = " ".join(filter(None, (text_of(sp) for sp in _TEXT_SP(root))))
    a_prefix = next((p for p, uri in root.nsmap.items() if uri == NS["a"] and p), None)
    return Slide(number, part, text_of(title_sp[0], MAX_TITLE) if title_sp else "", text[:MAX_TEXT],
                 _notes(pkg, part), targets, [_image(pkg, part, b) for b in _BG_BLIP(root)],
                 len(paths), a_prefix)


def _walk(container, ac, in_group, found):
    for child in container:
        tag = child.tag
        if tag == qn("p:grpSp"):
            _walk(child, ac, True, found)
        elif tag == qn("mc:AlternateContent"):
            for branch in child:
                if branch.tag in (qn("mc:Choice"), qn("mc:Fallback")):
                    _walk(branch, child, in_group, found)
        elif tag in (qn("p:pic"), qn("p:sp"), qn("p:graphicFrame")):
            cnvpr = child.find("*/p:cNvPr", NS)
            if cnvpr is not None:
                found.append((child, cnvpr, ac, in_group))


def _target(pkg, number, part, el, cnvpr, in_group) -> Target | None:
    t = Target(number, part, "", cnvpr.get("id", ""), cnvpr.get("name", ""), cnvpr.get("descr", ""),
               cnvpr.get("title", ""), any(v in ("1", "true") for v in _DECORATIVE(cnvpr)))
    if in_group:
        t.flags.append("group")
    if _PH(el):
        t.flags.append("placeholder")
    if el.tag == qn("p:pic"):
        media = _MEDIA(el)
        t.kind = (Kind.AUDIO if any("udio" in etree.QName(m).localname for m in media) else
                  Kind.VIDEO if media else Kind.PICTURE)
        _set_image(pkg, part, _PIC_BLIP(el), t)
    elif el.tag == qn("p:sp"):
        blips = _SP_BLIP(el)
        if not blips:
            return None
        t.kind = Kind.PICTURE
        t.flags.append("fill")
        _set_image(pkg, part, blips, t)
    else:
        data = _GRAPHIC_DATA(el)
        uri = data[0].get("uri", "") if data else ""
        if uri == URI_CHART:
            t.kind = Kind.CHART
            chart = data[0].find("c:chart", NS)
            t.chart = pkg.related(part, chart.get(qn("r:id"))) if chart is not None else None
        elif uri == URI_CHARTEX:
            t.kind = Kind.CHART
        elif uri == URI_DIAGRAM:
            t.kind = Kind.SMARTART
            ids = data[0].find("dgm:relIds", NS)
            if ids is not None:
                t.diagram = pkg.related(part, ids.get(qn("r:dm")))
                t.layout = pkg.related(part, ids.get(qn("r:lo")))
        elif uri == URI_TABLE:
            t.kind = Kind.TABLE
            t.table = [[text_of(tc) for tc in tr.iterfind("a:tc", NS)]
                       for tr in data[0].iterfind("a:tbl/a:tr", NS)]
        elif uri == URI_OLE:
            t.kind = Kind.OLE
            _set_image(pkg, part, _ANY_BLIP(data[0])[:1], t)
        else:
            return None
    return t


def _set_image(pkg, part, blips, t):
    if not blips:
        return
    blip = blips[0]
    if _SVG(blip):
        t.flags.append("svg")
    embed = blip.get(qn("r:embed"))
    if embed:
        t.image = pkg.related(part, embed)
        if t.image is None:
            t.flags.append("missing-image")     # dangling relationship or part not in the zip
    elif blip.get(qn("r:link")):
        t.flags.append("linked")


def _image(pkg, part, blip):
    return pkg.related(part, blip.get(qn("r:embed")) or "")


_RANK = {Kind.CHART: 0, Kind.SMARTART: 0, Kind.TABLE: 0, Kind.PICTURE: 1, Kind.VIDEO: 1, Kind.AUDIO: 1, Kind.OLE: 2}


def _merge(into: Target, other: Target):
    """Fold the other branch of an mc:AlternateContent into one target."""
    into.cnvpr += other.cnvpr
    if _RANK.get(other.kind, 3) < _RANK.get(into.kind, 3) and not into.chart:
        into.kind, into.chart, into.diagram, into.layout, into.table = (
            other.kind, other.chart, other.diagram, other.layout, other.table)
    into.image = into.image or other.image
    into.descr = into.descr or other.descr
    into.title = into.title or other.title
    into.decorative = into.decorative or other.decorative
    into.flags = list(dict.fromkeys(into.flags + other.flags))


def _notes(pkg, part) -> str:
    for rel in pkg.rels(part).values():
        if rel.type == "notesSlide" and not rel.external and pkg.has(rel.target):
            body = _BODY_SP(pkg.xml(rel.target))
            return " ".join(text_of(sp) for sp in body)[:MAX_NOTES]
    return ""
