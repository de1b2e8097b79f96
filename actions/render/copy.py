"""The render-only copy of a deck: what LibreOffice gets instead of the source.

LibreOffice 7.4 draws no ink (it takes the `p14:contentPart` branch and
ignores it), and drops SmartArt that sits inside a group.  In this copy, which
only LibreOffice ever reads, each ink stroke becomes a picture of its strokes
(ink.py; its own fallback picture when the InkML cannot be read), each
SmartArt frame in a group moves out of it with the group's transform baked
in, and external relationships other than hyperlinks point nowhere, so a
render fetches no linked file or URL.  Everything else is copied as it is.
"""
import copy
import zipfile

from lxml import etree

from ..errors import DeckError
from ..ooxml import geometry
from ..ooxml.ns import NS, REL_IMAGE, URI_DIAGRAM, qn
from ..ooxml.package import Package
from .ink import InkError, draw

INK_LONGEST_PX = 800
_REL_IMAGE_TYPE = f"{NS['r']}/{REL_IMAGE}"
_CONTENT_PARTS = (qn("p14:contentPart"), qn("p:contentPart"))


def write_render_copy(pkg: Package, dest):
    """Write the render-only copy of `pkg` to `dest` (a temporary file only LibreOffice reads)."""
    replaced, added = {}, {}
    for n, part in enumerate(pkg.slide_parts(), start=1):
        data = pkg.read(part)
        if b"contentPart" not in data and URI_DIAGRAM.encode() not in data:
            continue
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        rels = _Rels(pkg, part)
        changed = _draw_ink(pkg, part, root, rels, added, n) | _ungroup_smartart(root)
        if changed:
            replaced[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            if rels.new:
                replaced[rels.part] = rels.data()
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as out:
        for info in pkg.infos:
            name = info.filename
            if name in replaced:
                data = replaced[name]
            else:
                data = pkg.read(name)
                if name.endswith(".rels") and b"External" in data:
                    data = _unlink(data)
                elif name == "[Content_Types].xml" and added:
                    data = _with_png_type(data)
            out.writestr(name, data)
        for name, data in added.items():
            out.writestr(name, data)
        for name, data in replaced.items():
            if name not in pkg.names:                 # a slide that had no relationships part
                out.writestr(name, data)


class _Rels:
    """A slide's relationships part, with relationships to new image parts added."""

    def __init__(self, pkg, part):
        folder, name = part.rsplit("/", 1)
        self.folder, self.part, self.new = folder, f"{folder}/_rels/{name}.rels", []
        self.root = (etree.fromstring(pkg.read(self.part)) if pkg.has(self.part) else
                     etree.Element(qn("pr:Relationships"), nsmap={None: NS["pr"]}))
        self.ids = {el.get("Id") for el in self.root}

    def add_image(self, media_part) -> str:
        rid = next(f"rIdAltdeck{i}" for i in range(1, 10**6) if f"rIdAltdeck{i}" not in self.ids)
        self.ids.add(rid)
        etree.SubElement(self.root, qn("pr:Relationship"), Id=rid, Type=_REL_IMAGE_TYPE,
                         Target="/" + media_part)
        self.new.append(rid)
        return rid

    def data(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _draw_ink(pkg, part, root, rels, added, slide_no) -> bool:
    """Replace every ink stroke by a picture of it; True when something changed."""
    changed = False
    for cp in [el for el in root.iter(*_CONTENT_PARTS)]:
        holder = cp.getparent()
        ac = holder.getparent() if holder is not None and holder.tag == qn("mc:Choice") else None
        outer = ac if ac is not None else cp
        if outer.getparent() is None:
            continue
        pic = _ink_picture(pkg, part, cp, rels, added, f"ppt/media/altdeck-ink-{slide_no}-{len(added) + 1}.png")
        if pic is None and ac is not None:
            fallback = ac.find("mc:Fallback", NS)
            pic = copy.deepcopy(fallback[0]) if fallback is not None and len(fallback) else None
        if pic is None:
            outer.getparent().remove(outer)
        else:
            outer.getparent().replace(outer, pic)
        changed = True
    return changed


def _ink_picture(pkg, part, cp, rels, added, media_part):
    """A p:pic showing the strokes of a content part, placed where the part is; None when unreadable."""
    xfrm = cp.find("p14:xfrm", NS)
    rid = cp.get(qn("r:id"))
    target = pkg.related(part, rid) if rid else None
    if xfrm is None or target is None:
        return None
    off, ext = xfrm.find("a:off", NS), xfrm.find("a:ext", NS)
    try:
        w, h = int(ext.get("cx")), int(ext.get("cy"))
        int(off.get("x")), int(off.get("y"))
        ink = pkg.xml(target)
        scale = INK_LONGEST_PX / max(w, h, 1)
        png = draw(ink, (w / 360000, h / 360000), (max(1, round(w * scale)), max(1, round(h * scale))))
    except (AttributeError, TypeError, ValueError, OverflowError, InkError, DeckError):
        return None
    added[media_part] = png
    new_rid = rels.add_image(media_part)
    name = cp.find("*/p14:cNvPr", NS)
    pic = etree.fromstring(
        f'<p:pic xmlns:p="{NS["p"]}" xmlns:a="{NS["a"]}" xmlns:r="{NS["r"]}"><p:nvPicPr>'
        f'<p:cNvPr id="{name.get("id", "0") if name is not None else "0"}" name="ink"/><p:cNvPicPr/><p:nvPr/>'
        f'</p:nvPicPr><p:blipFill><a:blip r:embed="{new_rid}"/><a:stretch><a:fillRect/></a:stretch></p:blipFill>'
        f'<p:spPr><a:xfrm><a:off x="{off.get("x")}" y="{off.get("y")}"/><a:ext cx="{w}" cy="{h}"/></a:xfrm>'
        f'<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr></p:pic>')
    for attr in ("rot", "flipH", "flipV"):
        if xfrm.get(attr):
            pic.find("p:spPr/a:xfrm", NS).set(attr, xfrm.get(attr))
    return pic


def _ungroup_smartart(root) -> bool:
    """Move SmartArt frames out of groups (LibreOffice drops them there), keeping where they show."""
    tree = root.find("p:cSld/p:spTree", NS)
    if tree is None:
        return False
    moved = []
    for frame in tree.iterfind(".//p:grpSp//p:graphicFrame", NS):
        if frame.find(f"a:graphic/a:graphicData[@uri='{URI_DIAGRAM}']", NS) is None:
            continue
        where = geometry.box(frame)
        xfrm = frame.find("p:xfrm", NS)
        if where is None or xfrm is None:
            continue
        x, y, w, h = (str(round(v)) for v in where)
        for tag, attrs in (("a:off", {"x": x, "y": y}), ("a:ext", {"cx": w, "cy": h})):
            el = xfrm.find(tag, NS)
            if el is not None:
                el.attrib.update(attrs)
        for attr in ("rot", "flipH", "flipV"):
            xfrm.attrib.pop(attr, None)
        moved.append(frame)
    for frame in moved:
        tree.append(frame)
    return bool(moved)


def _unlink(data: bytes) -> bytes:
    """A relationships part whose external targets (but hyperlinks) point nowhere."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return data
    for rel in root:
        if rel.get("TargetMode") == "External" and not (rel.get("Type") or "").endswith("/hyperlink"):
            rel.set("Target", "")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _with_png_type(data: bytes) -> bytes:
    """[Content_Types].xml knowing the .png extension (for the ink pictures)."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    if not any(el.get("Extension", "").lower() == "png" for el in root.iter(qn("ct:Default"))):
        root.insert(0, etree.Element(qn("ct:Default"), Extension="png", ContentType="image/png"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

