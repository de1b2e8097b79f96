"""Where an object sits on its slide: its box in slide EMU, through every enclosing group.

A shape inside groups is positioned in its group's child coordinates; each
group maps them to its own box (`off + (x - chOff) * ext / chExt`), may flip
and rotate, and may itself sit in another group.  The object is carried as
(centre, width, height, rotation), which is how LibreOffice draws a rotated
child of a non-uniformly scaled group (measured: edges within 1 px at 1600 px
wide, research/render), and the result is the axis-aligned bounding box.
A placeholder without a position of its own takes it from its layout, else
its master.
"""
import math

from .ns import NS, REL_LAYOUT, REL_MASTER, qn

_XFRM_PATHS = ("p:spPr/a:xfrm", "p:grpSpPr/a:xfrm", "p:xfrm", "p14:xfrm")
_SP_TREE = qn("p:spTree")
_GROUP = qn("p:grpSp")


def slide_size(pkg) -> tuple:
    """(cx, cy) of the deck's slides in EMU (PowerPoint's 4:3 default when it is not said)."""
    size = pkg.xml(pkg.main).find("p:sldSz", NS)
    try:
        return int(size.get("cx")), int(size.get("cy"))
    except (AttributeError, TypeError, ValueError):
        return 9144000, 6858000


def _xfrm(el):
    for path in _XFRM_PATHS:
        x = el.find(path, NS)
        if x is not None:
            return x
    return None


def _int(el, name):
    try:
        return int(el.get(name, 0))
    except (TypeError, ValueError):
        return 0


def _read(xfrm) -> dict | None:
    """off, ext, chOff, chExt, rot (degrees), flips of an xfrm; None without off and ext."""
    def pair(tag, a, b):
        e = xfrm.find(f"a:{tag}", NS)
        return (_int(e, a), _int(e, b)) if e is not None else None
    d = {"off": pair("off", "x", "y"), "ext": pair("ext", "cx", "cy"), "chOff": pair("chOff", "x", "y"),
         "chExt": pair("chExt", "cx", "cy"), "rot": _int(xfrm, "rot") / 60000.0,
         "flipH": xfrm.get("flipH") in ("1", "true"), "flipV": xfrm.get("flipV") in ("1", "true")}
    return d if d["off"] is not None and d["ext"] is not None else None


def _rotate(x, y, cx, cy, deg):
    t = math.radians(deg)
    c, s = math.cos(t), math.sin(t)
    dx, dy = x - cx, y - cy
    return cx + dx * c - dy * s, cy + dx * s + dy * c        # clockwise on screen (y down)


def box(el, own=None) -> tuple | None:
    """(x, y, w, h) in slide EMU of a drawing element; None when it has no position.

    `own`: (x, y, w, h) for an element without an xfrm (a placeholder's inherited box).
    """
    d = _read(x) if (x := _xfrm(el)) is not None else None
    if d is not None:
        (x, y), (w, h), rot = d["off"], d["ext"], d["rot"]
    elif own is not None:
        (x, y, w, h), rot = own, 0.0
    else:
        return None
    cx, cy = x + w / 2, y + h / 2
    anc = el.getparent()
    while anc is not None and anc.tag != _SP_TREE:      # mc:AlternateContent wrappers have no transform
        g = _read(gx) if anc.tag == _GROUP and (gx := anc.find("p:grpSpPr/a:xfrm", NS)) is not None else None
        if g:
            (ox, oy), (ew, eh) = g["off"], g["ext"]
            cox, coy = g["chOff"] or (ox, oy)
            cw, ch = g["chExt"] or (ew, eh)
            sx, sy = (ew / cw if cw else 1.0), (eh / ch if ch else 1.0)
            cx, cy, w, h = ox + (cx - cox) * sx, oy + (cy - coy) * sy, w * sx, h * sy
            gcx, gcy = ox + ew / 2, oy + eh / 2
            if g["flipH"]:
                cx, rot = 2 * gcx - cx, -rot
            if g["flipV"]:
                cy, rot = 2 * gcy - cy, -rot
            if g["rot"]:
                cx, cy = _rotate(cx, cy, gcx, gcy, g["rot"])
                rot += g["rot"]
        anc = anc.getparent()
    t = math.radians(rot)
    hw = (abs(w * math.cos(t)) + abs(h * math.sin(t))) / 2
    hh = (abs(w * math.sin(t)) + abs(h * math.cos(t))) / 2
    return (cx - hw, cy - hh, 2 * hw, 2 * hh)


def inherited_box(pkg, part, el) -> tuple | None:
    """The box a placeholder without an xfrm inherits: its layout's placeholder, else its master's."""
    ph = el.find("*[1]/p:nvPr/p:ph", NS)
    if ph is None:
        return None
    idx, kind = ph.get("idx"), ph.get("type", "obj")
    for rel_type in (REL_LAYOUT, REL_MASTER):
        part = next((r.target for r in pkg.rels(part).values()
                     if r.type == rel_type and not r.external and pkg.has(r.target)), None)
        if part is None:
            return None
        found = placeholder(pkg.xml(part), idx, kind, by_idx=rel_type == REL_LAYOUT)
        if found is not None and (x := _xfrm(found)) is not None and (d := _read(x)):
            return (*d["off"], *d["ext"])
    return None


def placeholder(root, idx, kind, by_idx):
    """The placeholder of a layout (matched by idx, else type) or master (by type; body stands for content)."""
    phs = [(el, el.find("*[1]/p:nvPr/p:ph", NS)) for el in root.iterfind("p:cSld/p:spTree/*", NS)]
    phs = [(el, ph) for el, ph in phs if ph is not None]
    if by_idx and idx is not None:
        hit = next((el for el, ph in phs if ph.get("idx") == idx), None)
        if hit is not None:
            return hit
    want = {kind} if by_idx else ({"body"} if kind in ("obj", "body", "pic", "tbl", "chart", "dgm", "media",
                                                         "clipArt", "subTitle") else {kind})
    if kind == "ctrTitle":
        want.add("title")
    return next((el for el, ph in phs if ph.get("type", "obj") in want), None)


def element_box(pkg, part, el) -> tuple | None:
    """box() of an element, with a placeholder's inherited position when it has none of its own."""
    return box(el) or box(el, inherited_box(pkg, part, el))
