"""The contrast rule: each text shape's runs against what is behind them.

Text colour: the run's own fill, else the list styles it inherits (the shape's, its layout and
master placeholder's, the master's title/body/other style or the deck's default text style), else
the shape style's font colour, else tx1; hyperlinks use the theme's hlink colour.  Background:
the shape's fill (or its style's), else the topmost shape drawn under the text's centre (on the
slide, then the layout and master), else the slide, layout or master background, else white.
Where that is a picture, gradient or pattern the shape is "not checked": altdeck does not guess.
Thresholds (WCAG 1.4.3): 4.5:1, or 3:1 for large text (18 pt, or 14 pt bold).
"""
import math

from ...vocab import Rule
from ..ns import NS, qn
from .colour import COLOUR_TAGS, FILL_TAGS, contrast, hex_of, over
from .layers import SHAPE_TAGS, cnvpr, fill_el, shapes

WHITE = (1.0, 1.0, 1.0, 1.0)
_FIX = ("darken the text or lighten its background (or the reverse) until the contrast reaches {need}:1; "
        "Home > Font Color, or Shape Format > Shape Fill")


class Unknown(Exception):
    """What is behind the text cannot be judged (a picture, gradient, pattern, chart)."""


def check_shape(sp, path, layers, below, slide_size, findings, number):
    """Judge one text shape.  `path`: [(container, index in it, shape or group there)], the slide's
    spTree first; a shape inside mc:AlternateContent is at its wrapper's index.  `below`: the
    slide's Below."""
    body = sp.find("p:txBody", NS)
    if body is None:
        return
    runs = [r for r in body.iter(qn("a:r"), qn("a:fld")) if _text(r).strip()]
    if not runs:
        return
    c = cnvpr(sp)
    sid, name = (c.get("id", ""), c.get("name", "")) if c is not None else ("", "")
    box = layers.box(path[0][2])
    if box and slide_size and (box[0] >= slide_size[0] or box[1] >= slide_size[1] or box[0] + box[2] <= 0
                               or box[1] + box[3] <= 0):
        return                                 # off the slide (a hidden title): nobody sees its colours
    try:
        background = _behind(sp, path, layers, below)
    except Unknown as e:
        findings.not_checked(Rule.CONTRAST, number, sid, name, f"contrast not checked: {e} behind the text")
        return
    own, inherited = _style_chain(sp, layers)
    scale = _font_scale(body)
    worst, judged = None, 0
    for r in runs:
        try:
            colour, size, bold = _run_style(r, own, inherited, sp, layers)
        except Unknown:
            continue
        judged += 1
        if colour is None:
            continue                           # noFill: invisible text
        seen = over(colour, background)
        size = size * scale
        need = 3.0 if size >= 1800 or (bold and size >= 1400) else 4.5
        ratio = contrast(seen, background)
        if ratio < need and (worst is None or ratio / need < worst[0] / worst[1]):
            worst = (ratio, need, seen, size, bold, _text(r).strip())
    if not judged:
        findings.not_checked(Rule.CONTRAST, number, sid, name, "contrast not checked: the text has a gradient "
                                                               "or picture fill")
        return
    findings.checked(Rule.CONTRAST)
    if worst:
        ratio, need, seen, size, bold, text = worst
        snippet = text if len(text) <= 40 else text[:39] + "…"
        findings.add(Rule.CONTRAST, number, sid, name,
                     f"text “{snippet}” is {hex_of(seen)} on {hex_of(background)}: contrast "
                     f"{math.floor(ratio * 100) / 100:.2f}:1, under {need:g}:1 for {size / 100:g} pt"
                     f"{' bold' if bold else ''} text", _FIX.format(need=f"{need:g}"))


def _text(run):
    return "".join(t.text or "" for t in run.iter(qn("a:t")))


def _font_scale(body) -> float:
    fit = body.find("a:bodyPr/a:normAutofit", NS)
    v = fit.get("fontScale") if fit is not None else None
    if not v:
        return 1.0
    try:
        return float(v[:-1]) / 100 if v.endswith("%") else int(v) / 100000
    except ValueError:
        return 1.0


def _style_chain(sp, layers):
    """-> (the shape's own list style, the list styles it inherits nearest first): None left out."""
    own = sp.find("p:txBody/a:lstStyle", NS)
    inherited = [p.find("p:txBody/a:lstStyle", NS) for p in layers.inherited(sp) if p is not None]
    inherited.append(layers.text_style(sp))
    return [own] if own is not None else [], [c for c in inherited if c is not None]


def _run_style(run, own, inherited, sp, layers):
    """(rgba, or None when the text is unfilled; size in 100ths of a point; bold) of a run; raises Unknown.

    Colour: the run, its paragraph's defaults, its shape's list style, the shape style's font colour,
    inherited list styles, tx1 (LibreOffice and Apache POI read the paragraph's defaults too).
    """
    p = run.getparent()
    ppr = p.find("a:pPr", NS) if p is not None else None
    try:
        level = min(max(int(ppr.get("lvl", "0")), 0), 8) + 1 if ppr is not None else 1
    except ValueError:
        level = 1

    def defaults(styles):
        return [d for c in styles for d in (c.find(f"a:lvl{level}pPr/a:defRPr", NS), c.find("a:defPPr/a:defRPr", NS))
                if d is not None]
    rpr = run.find("a:rPr", NS)
    pdef = ppr.find("a:defRPr", NS) if ppr is not None else None     # Keynote writes run styles here
    near = [d for d in (rpr, pdef) if d is not None] + defaults(own)
    far = defaults(inherited)
    props = near + far
    size = next((_int(d.get("sz")) for d in props if _int(d.get("sz"))), 1800)
    bold = next((d.get("b") in ("1", "true") for d in props if d.get("b") is not None), False)
    if rpr is not None and rpr.find("a:hlinkClick", NS) is not None:
        return layers.palette.scheme_colour("hlink"), size, bold
    for group in (near, "font", far):
        if group == "font":
            font = _font_ref_colour(sp, layers)
            if font is not None:
                return font, size, bold
            continue
        for d in group:
            f = next((x for x in d if x.tag in FILL_TAGS), None)
            if f is None:
                continue
            kind, colour = layers.palette.fill(f)
            if kind == "none":
                return None, size, bold
            if kind != "solid":
                raise Unknown(f"a {kind} text fill")
            return colour, size, bold
    return layers.palette.scheme_colour("tx1") or (0.0, 0.0, 0.0, 1.0), size, bold


def _font_ref_colour(sp, layers):
    ref = sp.find("p:style/a:fontRef", NS)
    el = next((c for c in ref if c.tag in COLOUR_TAGS), None) if ref is not None else None
    return layers.palette.rgba(el) if el is not None else None


def _int(v):
    try:
        return int(v) if v is not None else 0
    except ValueError:
        return 0


# --- what is behind the text --------------------------------------------------------------------

def _behind(sp, path, layers, below):
    """The opaque colour behind a text shape's centre; raises Unknown."""
    stack = []                                    # fills from the text down, top first
    own = _own_fill(sp, layers)
    if own is not None and own[0] != "none":
        stack.append(own)
        if _opaque(own):
            return _flatten(stack)
    centre = _centre(layers.box(sp))             # slide EMU, through the groups (ooxml/geometry.py)
    for depth in range(len(path) - 1, -1, -1):
        container, index, _ = path[depth]
        for hit in below.under(container, index, centre) if centre else ():
            stack.append(hit)
            if _opaque(hit):
                return _flatten(stack)
        if depth > 0:                             # leave the group: its own fill, then its siblings
            f = fill_el(path[depth - 1][2])
            gf = _fill(f, layers) if f is not None else None
            if gf is not None and gf[0] != "none":
                stack.append(gf)
                if _opaque(gf):
                    return _flatten(stack)
    for hit in below.under_layers(centre) if centre else ():
        stack.append(hit)
        if _opaque(hit):
            return _flatten(stack)
    stack.append(("solid", _slide_background(layers)))
    return _flatten(stack)


def _opaque(fill):
    return fill[0] != "solid" or fill[1][3] >= 1       # a picture or gradient ends the search too


def _flatten(stack):
    """Paint a stack of fills (top first, an opaque one last) into one colour; raises Unknown."""
    colour = None
    for kind, rgba in reversed(stack):
        if kind == "none":
            continue
        if kind != "solid":
            raise Unknown(f"a {kind}")
        colour = rgba if colour is None or rgba[3] >= 1 else over(rgba, colour)
    return colour or WHITE


def _fill(el, layers, ph=None):
    kind, colour = layers.palette.fill(el, ph)
    if kind == "group":
        return None
    if kind == "unknown":
        raise Unknown("a fill of unknown colour")
    return kind, colour


def _own_fill(sp, layers):
    """The shape's fill: its spPr, else its style's fill reference, else its placeholder parents' (in turn)."""
    for el in [sp] + [p for p in layers.inherited(sp) if p is not None]:
        f = fill_el(el)
        if f is not None:
            return _fill(f, layers)
        ref = _style_fill(el, layers)
        if ref is not None:
            return ref
    return None


def _style_fill(sp, layers):
    ref = sp.find("p:style/a:fillRef", NS)
    if ref is None:
        return None
    idx = _int(ref.get("idx"))
    if idx == 0:
        return ("none", None)
    ph = layers.palette.rgba(next((c for c in ref if c.tag in COLOUR_TAGS), None))
    style = _theme_style(layers, "a:fillStyleLst", idx - 1)
    return _fill(style, layers, ph) if style is not None else None


def _theme_style(layers, lst, i):
    styles = layers.theme.find(f"a:themeElements/a:fmtScheme/{lst}", NS) if layers.theme is not None else None
    items = [c for c in styles if isinstance(c.tag, str)] if styles is not None else []
    return items[i] if 0 <= i < len(items) else None


def _centre(box):
    return (box[0] + box[2] / 2, box[1] + box[3] / 2) if box else None


def _contains(box, point):
    return box is not None and box[0] <= point[0] <= box[0] + box[2] and box[1] <= point[1] <= box[1] + box[3]


class Below:
    """What the shapes of one slide show under text drawn over them: boxes and fills worked out once
    per slide, so a slide of many text boxes costs a look at the few shapes that have a fill."""

    def __init__(self, layers):
        self.layers, self._lists, self._drawn = layers, {}, None

    def under(self, container, index, centre):
        """Fills under `centre` from the shapes before child `index` of `container`, top first."""
        for i, el, box, what in reversed(self._candidates(container)):
            if i < index and _contains(box, centre):
                hit = self._resolve(el, what, centre)
                if hit is not None:
                    yield hit

    def under_layers(self, centre):
        """Fills under `centre` from the layout's and master's own shapes, top first."""
        if self._drawn is None:
            self._drawn = [(el, box, what) for el in self.layers.drawn_below()
                           if (what := self._shows(el)) is not None and (box := self.layers.box(el))]
        for el, box, what in self._drawn:
            if _contains(box, centre):
                hit = self._resolve(el, what, centre)
                if hit is not None:
                    yield hit

    def _candidates(self, container):
        key = container
        if key not in self._lists:
            out = []
            for i, child in enumerate(container):
                if child.tag in SHAPE_TAGS:
                    els = [child]
                elif child.tag == qn("mc:AlternateContent"):
                    els = list(shapes([child]))
                else:
                    continue
                for el in els:
                    what = self._shows(el)
                    box = self.layers.box(el) if what is not None else None
                    if box is not None:
                        out.append((i, el, box, what))
            self._lists[key] = out
        return self._lists[key]

    def _shows(self, el):
        """What a shape shows under others: None (nothing), a fill, ("raise", why) or ("group", None)."""
        if el.tag in (qn("p:cxnSp"), qn("p:contentPart")):
            return None
        c = cnvpr(el)
        if c is not None and c.get("hidden") in ("1", "true"):
            return None
        if el.tag == qn("p:pic"):
            return ("picture", None)
        if el.tag == qn("p:graphicFrame"):
            uri = el.find("a:graphic/a:graphicData", NS)
            uri = uri.get("uri", "") if uri is not None else ""
            return ("raise", "a table" if uri.endswith("/table") else "a chart" if "chart" in uri else
                    "a SmartArt diagram" if uri.endswith("/diagram") else "an embedded object")
        if el.tag == qn("p:grpSp"):
            return ("group", None)
        try:
            f = _own_fill(el, self.layers)     # a shape below: only its fill shows (its text is small)
        except Unknown as e:
            return ("raise", str(e))
        return f if f is not None and f[0] != "none" else None

    def _resolve(self, el, what, centre):
        if what[0] == "raise":
            raise Unknown(what[1])
        if what[0] != "group":
            return what
        for hit in self.under(el, len(el), centre):
            return hit
        f = fill_el(el)
        gf = _fill(f, self.layers) if f is not None else None
        return gf if gf is not None and gf[0] != "none" else None


def _slide_background(layers):
    """The slide's background colour (slide, then layout, then master p:bg), white when none; raises Unknown."""
    for bg in layers.backgrounds():
        pr = bg.find("p:bgPr", NS)
        if pr is not None:
            f = next((c for c in pr if c.tag in FILL_TAGS), None)
            if f is None:
                continue
            kind, colour = _fill(f, layers) or ("none", None)
            if kind == "none":
                return WHITE
            if kind != "solid":
                raise Unknown(f"a {kind} slide background")
            return over(colour, WHITE)
        ref = bg.find("p:bgRef", NS)
        if ref is not None:
            idx = _int(ref.get("idx"))
            ph = layers.palette.rgba(next((c for c in ref if c.tag in COLOUR_TAGS), None))
            style = (_theme_style(layers, "a:bgFillStyleLst", idx - 1001) if idx >= 1001 else
                     _theme_style(layers, "a:fillStyleLst", idx - 1) if idx > 0 else None)
            if style is None:
                if ph is not None and idx in (0, 1001):
                    return over(ph, WHITE)
                continue
            kind, colour = _fill(style, layers, ph) or ("none", None)
            if kind == "none":
                return WHITE
            if kind != "solid":
                raise Unknown(f"a {kind} slide background")
            return over(colour, WHITE)
    return WHITE
