"""What makes an object the same object: a digest of its content.

A picture is its image bytes (its sha256, build.py).  Every other object is
its XML without what is not content: shape ids and names, alt text and the
decorative flag (what altdeck writes must not change the key), PowerPoint's
creation ids, its own position and size on the slide; relationship ids are
replaced by the digest of the part they point at (a chart's part bytes, a
SmartArt's data, an embedded object, an ink stroke's part), so the key is
the same in every deck and run and changes when the object does.
"""
import copy
import hashlib

from lxml import etree

from .ns import NS, qn

DIGEST_CHARS = 32
_NOT_CONTENT = ("id", "name", "descr", "title")
_REL_NAMESPACES = (NS["r"], NS["o"])          # r:id, r:embed, r:link, r:dm ...; VML's o:relid
_OWN_XFRM = ("p:spPr/a:xfrm", "p:grpSpPr/a:xfrm", "p:xfrm", "p14:xfrm")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:DIGEST_CHARS]


class PartDigests:
    """Digests of a deck's parts, each computed once however many objects point at it."""

    def __init__(self, pkg):
        self.pkg, self._done = pkg, {}

    def of(self, part) -> str:
        if part not in self._done:
            self._done[part] = digest(self.pkg.read(part))
        return self._done[part]


def content_digest(parts: PartDigests, part: str, el) -> str:
    """The digest of an object's content (see the module docstring); `part` holds `el`."""
    el = copy.deepcopy(el)
    for path in _OWN_XFRM:
        own = el.find(path, NS)
        if own is not None:
            own.getparent().remove(own)
            break
    rels = parts.pkg.rels(part)
    for node in el.iter("{*}cNvPr"):
        for name in _NOT_CONTENT:
            node.attrib.pop(name, None)
    for node in list(el.iter("{*}cNvPr")):       # not while iterating: removing children ends the walk
        for child in list(node):                 # extLst: decorative flag, creation ids
            node.remove(child)
    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        node.attrib.pop("spid", None)
        node.attrib.pop(qn("p14:modId"), None)
        for name, value in list(node.attrib.items()):
            if etree.QName(name).namespace in _REL_NAMESPACES:
                rel = rels.get(value)
                node.set(name, "" if rel is None else rel.target if rel.external or not parts.pkg.has(rel.target)
                         else parts.of(rel.target))
    return digest(etree.tostring(el, method="c14n", exclusive=True))
