"""Walk a deck's slide XML and list every object that can carry alt text.

python-pptx's shape list skips `mc:AlternateContent`, so the walk is done on
the XML: pictures (also in placeholders, groups at any depth and picture
fills), charts, SmartArt, tables, OLE objects, media, diagrams drawn with
shapes and ink.  An object written twice inside `mc:AlternateContent` (Choice
and Fallback) is one target with two `cNvPr` slots that get the same text.

The rules for groups (README "What counts as an object"):
- a group, not a placeholder, holding only ink strokes is one `ink` object;
- any other such group holding two or more shapes or connectors that carry no
  text of their own (ink strokes count as such) is a `diagram`: a figure
  drawn with shapes, whose alt text goes on the group's `cNvPr`;
- groups inside such a group are part of it, and so are its ink strokes
  (they get no entries); pictures, charts, tables... inside it keep their own;
- an ink stroke in no such group is an `ink` object of its own.
Shapes that carry their own text need no alt text.

Each target also says whether text is drawn above it (a shape with text later in
the slide's drawing order), and the deck its slide size: with the target's box
that is what decorative recognition looks at (describe/decorative.py).
"""
from collections import Counter
from dataclasses import dataclass, field

from lxml import etree

from ..errors import DeckError
from ..vocab import Kind
from .geometry import element_box, slide_size
from .keys import PartDigests, content_digest
from .ns import (EXT_DECORATIVE, EXT_SVG, NS, REL_VML, URI_CHART, URI_CHARTEX, URI_DIAGRAM, URI_OLE, URI_TABLE,
                 qn, xp)
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
# a picture's image; PowerPoint for Mac puts a pasted PDF in mc:Choice and a PNG in mc:Fallback
_PIC_BLIP = xp("p:blipFill/a:blip | mc:AlternateContent/mc:Choice/p:blipFill/a:blip"
               " | mc:AlternateContent/mc:Fallback/p:blipFill/a:blip")
_MEDIA = xp("p:nvPicPr/p:nvPr/a:videoFile | p:nvPicPr/p:nvPr/a:quickTimeFile | p:nvPicPr/p:nvPr/a:audioFile"
            " | p:nvPicPr/p:nvPr/a:wavAudioFile | p:nvPicPr/p:nvPr/p:extLst/p:ext/p14:media")
_PH = xp("*[1]/p:nvPr/p:ph")
_SVG = xp(f"a:extLst/a:ext[@uri='{EXT_SVG}']/asvg:svgBlip")
_GRAPHIC_DATA = xp("a:graphic/a:graphicData")
_ANY_BLIP = xp(".//a:blip")
_OLE_SPID = xp("a:graphic/a:graphicData//p:oleObj/@spid")
_VML_IMAGE = xp("//v:shape[@id=$spid or @o:spid=$spid]/v:imagedata")
_INK_CHOICE = xp("mc:Choice[p14:contentPart or p:contentPart]")
_GROUP, _AC, _PIC, _SP, _FRAME, _CXN = (qn("p:grpSp"), qn("mc:AlternateContent"), qn("p:pic"), qn("p:sp"),
                                       qn("p:graphicFrame"), qn("p:cxnSp"))
_CONTENT_PARTS = (qn("p14:contentPart"), qn("p:contentPart"))
_BRANCHES = (qn("mc:Choice"), qn("mc:Fallback"))
_RASTER_TYPES = {"image/png", "image/x-png", "image/jpeg", "image/jpg", "image/pjpeg", "image/gif", "image/bmp",
                 "image/x-bmp", "image/tiff", "image/webp"}
_METAFILE_TYPES = {"image/x-emf", "image/emf", "image/x-wmf", "image/wmf", "image/svg+xml"}


@dataclass
class Target:
    """One object that can carry alt text, and where its text lives."""
    slide: int
    part: str
    kind: str                     # picture, chart, smartart, table, ole, video, audio, diagram, ink
    shape_id: str
    name: str
    descr: str
    title: str
    decorative: bool
    cnvpr: list = field(default_factory=list)   # document-order indexes of its cNvPr elements
    image: str | None = None      # image part to describe (PNG fallback for SVG)
    flags: list = field(default_factory=list)   # placeholder, group, fill, alternate-content, svg, vml, linked, missing-image
    chart: str | None = None      # chart part
    diagram: str | None = None    # SmartArt data part
    layout: str | None = None     # SmartArt layout part
    table: list | None = None     # rows of cell texts
    box: tuple | None = None      # (x, y, w, h) on the slide in EMU, through its groups (None: unknown)
    digest: str = ""              # content digest (keys.py): the key of an object that is not an image
    text_above: bool = False      # a shape with text is drawn after it (on top of it)


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
    size: tuple = (9144000, 6858000)     # slide width and height in EMU (geometry.slide_size)
    checker: object = None        # rules.checker.DeckChecker when the scan also checked the rules


def text_of(el, limit=None) -> str:
    """Paragraph texts of an element, joined by spaces."""
    paras = []
    for p in el.iter(qn("a:p")):
        t = "".join(x.text or "" for x in p.iter(_T)).strip()
        if t:
            paras.append(t)
    out = " ".join(" ".join(paras).split())
    return out[:limit] if limit else out


def scan(pkg: Package, rules=None) -> Deck:
    """The deck's objects; with `rules` (a rules.RuleSet) the slide rules are checked on the same trees."""
    checker = None
    if rules is not None:
        from .rules.checker import DeckChecker
        checker = DeckChecker(pkg, rules)
    slides, langs = [], Counter()
    parts = PartDigests(pkg)
    for number, part in enumerate(pkg.slide_parts(), start=1):
        root = pkg.xml(part)
        langs.update(l for l in _LANG(root) if l and l.lower() != "x-none")
        slides.append(_scan_slide(pkg, parts, number, part, root))
        if checker:
            checker.slide(number, part, root, slides[-1].title)
    if checker:
        checker.finish()
    language = langs.most_common(1)[0][0] if langs else ""
    return Deck(slides, language, slide_size(pkg), checker)


def _scan_slide(pkg, parts, number, part, root) -> Slide:
    paths = {}
    tree = root.getroottree()
    for i, el in enumerate(root.iter(_CNVPR_ANY)):
        paths[tree.getpath(el)] = i
    found = []                                       # (element, cNvPr elements, alternate-content, in group, kind)
    tree_el = root.find("p:cSld/p:spTree", NS)
    if tree_el is not None:
        _walk(tree_el, None, False, False, found)
    title_sp = _TITLE_SP(root)
    texts = [(sp, text_of(sp)) for sp in _TEXT_SP(root)]
    with_text = [sp for sp, text in texts if text] + [sp for sp in title_sp if text_of(sp)]
    order = {el: i for i, el in enumerate(root.iter())} if found and with_text else {}
    last_text = max((order[sp] for sp in with_text), default=-1)
    targets, by_ac = [], {}
    for el, cnvprs, ac, in_group, kind in found:
        t = _target(pkg, number, part, el, cnvprs[0], in_group, kind)
        if t is None:
            continue
        t.cnvpr = [paths[tree.getpath(c)] for c in cnvprs]
        t.box = element_box(pkg, part, el if el.tag != _AC else el.find("mc:Choice/*", NS))   # an ink stroke
        t.text_above = last_text > order.get(el, last_text)
        if t.kind not in (Kind.PICTURE, Kind.VIDEO, Kind.AUDIO) or not t.image:
            t.digest = content_digest(parts, part, el)
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
    text = " ".join(text for _, text in texts if text)
    a_prefix = next((p for p, uri in root.nsmap.items() if uri == NS["a"] and p), None)
    return Slide(number, part, text_of(title_sp[0], MAX_TITLE) if title_sp else "", text[:MAX_TEXT],
                 _notes(pkg, part), targets, [_image(pkg, part, b) for b in _BG_BLIP(root)],
                 len(paths), a_prefix)


def _walk(container, ac, in_group, covered, found):
    """Collect the objects under `container`; `covered`: inside a diagram or ink group (part of it)."""
    for child in container:
        tag = child.tag
        if tag == _GROUP:
            kind = None if covered else group_kind(child)
            cnvpr = child.find("p:nvGrpSpPr/p:cNvPr", NS)
            if kind and cnvpr is not None:
                found.append((child, [cnvpr], ac, in_group, kind))
            _walk(child, ac, True, covered or bool(kind and cnvpr is not None), found)
        elif tag == _AC:
            if is_ink(child):
                cnvprs = list(child.iter(_CNVPR_ANY))      # the stroke's p14:cNvPr and its fallback picture's
                if not covered and cnvprs:
                    found.append((child, cnvprs, None, in_group, Kind.INK))
                continue
            for branch in child:
                if branch.tag in _BRANCHES:
                    _walk(branch, child, in_group, covered, found)
        elif tag in _CONTENT_PARTS:
            cnvpr = child.find("*/p14:cNvPr", NS)
            if not covered and cnvpr is not None:
                found.append((child, [cnvpr], ac, in_group, Kind.INK))
        elif tag in (_PIC, _SP, _FRAME):
            cnvpr = child.find("*/p:cNvPr", NS)
            if cnvpr is not None:
                found.append((child, [cnvpr], ac, in_group, None))


def is_ink(ac) -> bool:
    """Whether an mc:AlternateContent is an ink stroke (a content part, with a picture as fallback)."""
    return bool(_INK_CHOICE(ac))


def has_own_text(sp) -> bool:
    return any((t.text or "").strip() for t in sp.iterfind("p:txBody//a:t", NS))


def group_kind(group) -> str | None:
    """Kind.INK, Kind.DIAGRAM or None for a group (the rules are in the module docstring)."""
    if _PH(group):
        return None
    tally = Counter()
    _tally(group, tally)
    if tally["ink"] and not (tally["drawn"] or tally["text"] or tally["other"]):
        return Kind.INK
    return Kind.DIAGRAM if tally["drawn"] + tally["ink"] >= 2 else None


def _tally(container, tally):
    for child in container:
        tag = child.tag
        if tag == _GROUP:
            _tally(child, tally)
        elif tag == _AC:
            if is_ink(child):
                tally["ink"] += 1
                continue
            branches = [b for b in child if b.tag in _BRANCHES]     # one branch: the same object twice
            if branches:
                _tally(next((b for b in branches if b.tag == qn("mc:Fallback")), branches[0]), tally)
        elif tag in _CONTENT_PARTS:
            tally["ink"] += 1
        elif tag == _CXN:
            tally["drawn"] += 1
        elif tag == _SP:
            tally["other" if _SP_BLIP(child) else "text" if has_own_text(child) else "drawn"] += 1
        elif tag in (_PIC, _FRAME):
            tally["other"] += 1


def _target(pkg, number, part, el, cnvpr, in_group, kind) -> Target | None:
    t = Target(number, part, "", cnvpr.get("id", ""), cnvpr.get("name", ""), cnvpr.get("descr", ""),
               cnvpr.get("title", ""), any(v in ("1", "true") for v in _DECORATIVE(cnvpr)))
    if in_group:
        t.flags.append("group")
    if kind:                                         # a diagram or ink group, or an ink stroke
        t.kind = kind
        return t
    if _PH(el):
        t.flags.append("placeholder")
    if el.tag == _PIC:
        media = _MEDIA(el)
        t.kind = (Kind.AUDIO if any("udio" in etree.QName(m).localname for m in media) else
                  Kind.VIDEO if media else Kind.PICTURE)
        _set_image(pkg, part, _PIC_BLIP(el), t)
    elif el.tag == _SP:
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
            if not t.image:
                _set_vml_image(pkg, part, el, t)
        else:
            return None
    return t


def _rank(pkg, part, blip) -> int:
    """Which of a picture's images to describe: a raster first, then a metafile or SVG, then anything."""
    target = pkg.related(part, blip.get(qn("r:embed")) or "")
    ctype = pkg.content_type(target) if target else ""
    return 0 if ctype in _RASTER_TYPES else 1 if ctype in _METAFILE_TYPES else 2 if target else 3


def _set_image(pkg, part, blips, t):
    if not blips:
        return
    blip = min(blips, key=lambda b: _rank(pkg, part, b)) if len(blips) > 1 else blips[0]
    if blip.getparent().getparent().tag in _BRANCHES and "alternate-content" not in t.flags:
        t.flags.append("alternate-content")
    if _SVG(blip):
        t.flags.append("svg")
    embed = blip.get(qn("r:embed"))
    if embed:
        t.image = pkg.related(part, embed)
        if t.image is None:
            t.flags.append("missing-image")     # dangling relationship or part not in the zip
    elif blip.get(qn("r:link")):
        t.flags.append("linked")


def _set_vml_image(pkg, part, frame, t):
    """An OLE object's preview drawn by a legacy VML shape (`vmlDrawing` part, `v:imagedata`)."""
    spids = _OLE_SPID(frame)
    if not spids:
        return
    for rel in pkg.rels(part).values():
        if rel.type != REL_VML or rel.external or not pkg.has(rel.target):
            continue
        try:
            images = _VML_IMAGE(pkg.xml(rel.target), spid=spids[0])
        except DeckError:                    # legacy VML that is not XML: no preview, the slide render shows it
            continue
        for img in images:
            target = pkg.related(rel.target, img.get(qn("o:relid")) or img.get(qn("r:id")) or "")
            if target:
                t.image = target
                t.flags.append("vml")
                return


def _image(pkg, part, blip):
    return pkg.related(part, blip.get(qn("r:embed")) or "")


_RANK = {Kind.CHART: 0, Kind.SMARTART: 0, Kind.TABLE: 0, Kind.DIAGRAM: 0, Kind.INK: 0, Kind.PICTURE: 1,
         Kind.VIDEO: 1, Kind.AUDIO: 1, Kind.OLE: 2}


def _merge(into: Target, other: Target):
    """Fold the other branch of an mc:AlternateContent into one target."""
    into.cnvpr += other.cnvpr
    if _RANK.get(other.kind, 3) < _RANK.get(into.kind, 3) and not into.chart:
        into.kind, into.chart, into.diagram, into.layout, into.table, into.digest = (
            other.kind, other.chart, other.diagram, other.layout, other.table, other.digest)
    into.image = into.image or other.image
    into.descr = into.descr or other.descr
    into.title = into.title or other.title
    into.decorative = into.decorative or other.decorative
    into.box = into.box or other.box
    into.text_above = into.text_above or other.text_above
    into.digest = into.digest or other.digest
    into.flags = list(dict.fromkeys(into.flags + other.flags))


def _notes(pkg, part) -> str:
    for rel in pkg.rels(part).values():
        if rel.type == "notesSlide" and not rel.external and pkg.has(rel.target):
            body = _BODY_SP(pkg.xml(rel.target))
            return " ".join(text_of(sp) for sp in body)[:MAX_NOTES]
    return ""
