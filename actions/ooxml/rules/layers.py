"""What a slide inherits: its layout and master (placeholders, backgrounds, shapes drawn under the
slide's own), the theme's colours through the colour map, and the deck's default text style.

Each part comes from Package.xml (parsed once per deck, cached), and each layout or master is
read once however many slides use it.
"""
from ...errors import DeckError
from .. import geometry
from ..ns import NS, qn
from .colour import FILL_TAGS, Palette

SHAPE_TAGS = {qn(f"p:{t}") for t in ("sp", "pic", "graphicFrame", "grpSp", "cxnSp", "contentPart")}
TITLE_TYPES = ("title", "ctrTitle")
_BODY = {"subTitle", "obj", "body", "pic", "tbl", "chart", "dgm", "media", "clipArt"}   # text in the body style


def shapes(container):
    """The shapes of a spTree or group in document (reading) order; mc:AlternateContent as its first branch."""
    for child in container:
        if child.tag in SHAPE_TAGS:
            yield child
        elif child.tag == qn("mc:AlternateContent"):
            branch = next((b for b in child if b.tag in (qn("mc:Choice"), qn("mc:Fallback"))), None)
            if branch is not None:
                yield from shapes(branch)


def cnvpr(el):
    return el.find("*/p:cNvPr", NS)


def ph_of(el):
    """(type, idx) of a placeholder shape, or None.  A placeholder without a type is an object placeholder."""
    ph = el.find("*/p:nvPr/p:ph", NS)
    if ph is None:
        return None
    return ph.get("type", "obj"), ph.get("idx", "")


def fill_el(el):
    """The fill element of a shape's spPr (or a background's bgPr), or None when it names none."""
    sppr = el.find("p:spPr", NS)
    if sppr is None:
        sppr = el.find("p:grpSpPr", NS)
    if sppr is None:
        return None
    return next((c for c in sppr if c.tag in FILL_TAGS), None)


class Layer:
    """A layout or master: its placeholders, background, colour map override and drawn shapes."""

    def __init__(self, pkg, part):
        self.part = part
        self.root = pkg.xml(part) if part else None
        self.drawn = []
        tree = self.root.find("p:cSld/p:spTree", NS) if self.root is not None else None
        if tree is not None:
            self.drawn = [el for el in shapes(tree) if ph_of(el) is None]   # shown under every slide using it
        self.bg = self.root.find("p:cSld/p:bg", NS) if self.root is not None else None
        self.show_master = self.root is None or self.root.get("showMasterSp") not in ("0", "false")

    def match(self, kind, idx, by_index=True):
        """The placeholder a slide's (or layout's) placeholder inherits from here, or None (geometry's rule)."""
        return geometry.placeholder(self.root, idx or None, kind, by_idx=by_index) if self.root is not None else None


class SlideLayers:
    """One slide's inheritance: layout, master, theme palette, default text style."""

    def __init__(self, deck, pkg, part, root):
        self.root = root
        self.layout = deck.layer(_rel(pkg, part, "slideLayout"))
        self.master = deck.layer(_rel(pkg, self.layout.part, "slideMaster") if self.layout.part else None)
        self.theme = deck.theme(_rel(pkg, self.master.part, "theme") if self.master.part else None)
        clr_map = dict(self.master.root.find("p:clrMap", NS).attrib) \
            if self.master.root is not None and self.master.root.find("p:clrMap", NS) is not None else {}
        for layer_root in (self.layout.root, root):
            over = layer_root.find("p:clrMapOvr/a:overrideClrMapping", NS) if layer_root is not None else None
            if over is not None:
                clr_map = dict(over.attrib)
        scheme = self.theme.find("a:themeElements/a:clrScheme", NS) if self.theme is not None else None
        self.palette = Palette(scheme, clr_map)
        self.default_style = deck.default_style
        self.hide_layers = root.get("showMasterSp") in ("0", "false")

    def inherited(self, el):
        """[layout placeholder, master placeholder] a slide placeholder inherits from (None where none)."""
        ph = ph_of(el)
        if ph is None:
            return []
        kind, idx = ph
        on_layout = self.layout.match(kind, idx)
        if on_layout is not None:
            lk, li = ph_of(on_layout)
            on_master = self.master.match(lk, li, by_index=False)
        else:
            on_master = self.master.match(kind, idx, by_index=False)
        return [on_layout, on_master]

    def box(self, el):
        """The shape's box in slide EMU (through its groups), a placeholder's inherited when it has none."""
        b = geometry.box(el)
        if b is None:
            for parent in self.inherited(el):
                if parent is not None and (own := geometry.box(parent)) is not None:
                    return geometry.box(el, own)
        return b

    def text_style(self, el):
        """The master's txStyles entry a shape's text falls back to (title, body or other)."""
        ph = ph_of(el)
        styles = self.master.root.find("p:txStyles", NS) if self.master.root is not None else None
        if ph is None:
            return self.default_style
        if styles is None:
            return None
        name = "p:titleStyle" if ph[0] in TITLE_TYPES else "p:bodyStyle" if ph[0] in _BODY else "p:otherStyle"
        return styles.find(name, NS)

    def backgrounds(self):
        """The p:bg elements in force, slide first: the first one that says something wins."""
        bg = self.root.find("p:cSld/p:bg", NS)
        return [b for b in (bg, self.layout.bg, self.master.bg) if b is not None]

    def drawn_below(self):
        """Non-placeholder shapes of the layout and master drawn under the slide's own, top first."""
        if self.hide_layers:
            return []
        out = list(reversed(self.layout.drawn))
        if self.layout.show_master:
            out += list(reversed(self.master.drawn))
        return out


def _rel(pkg, part, rel_type):
    if not part:
        return None
    try:
        rels = pkg.rels(part)
    except DeckError:                 # a damaged relationships part: judged as if the link were absent
        return None
    for rel in rels.values():
        if rel.type == rel_type and not rel.external and pkg.has(rel.target):
            return rel.target
    return None
