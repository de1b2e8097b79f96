"""The one place for OOXML namespaces, relationship types and compiled XPaths.

python-pptx's prefix map lacks `mc`, `p14`, `a14`, `asvg`, `adec`, `v`, `inkml`, and its
`xpath()` takes no namespace map, so altdeck keeps its own here.
"""
NS = {
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "dgm": "http://schemas.openxmlformats.org/drawingml/2006/diagram",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "p14": "http://schemas.microsoft.com/office/powerpoint/2010/main",
    "a14": "http://schemas.microsoft.com/office/drawing/2010/main",
    "asvg": "http://schemas.microsoft.com/office/drawing/2016/SVG/main",
    "adec": "http://schemas.microsoft.com/office/drawing/2017/decorative",
    "cx": "http://schemas.microsoft.com/office/drawing/2014/chartex",
    "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
    # legacy VML drawings (OLE previews) and InkML (ink strokes' parts)
    "v": "urn:schemas-microsoft-com:vml",
    "o": "urn:schemas-microsoft-com:office:office",
    "inkml": "http://www.w3.org/2003/InkML",
}

# a:graphicData/@uri values that say what a p:graphicFrame holds.
URI_CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
URI_TABLE = "http://schemas.openxmlformats.org/drawingml/2006/table"
URI_DIAGRAM = "http://schemas.openxmlformats.org/drawingml/2006/diagram"
URI_OLE = "http://schemas.openxmlformats.org/presentationml/2006/ole"
URI_CHARTEX = "http://schemas.microsoft.com/office/drawing/2014/chartex"

# a:ext/@uri values.
EXT_DECORATIVE = "{C183D7F6-B498-43B3-948B-1728B52AA6E4}"
EXT_SVG = "{96DAC541-7B7A-43D3-8B79-37D633B846F1}"


# Relationship types (last path segment) altdeck follows.
REL_VML = "vmlDrawing"
REL_LAYOUT = "slideLayout"
REL_MASTER = "slideMaster"
REL_IMAGE = "image"


def qn(tag: str) -> str:
    """'p:pic' -> '{http://...}pic' (Clark notation for lxml)."""
    prefix, local = tag.split(":")
    return "{%s}%s" % (NS[prefix], local)


def xp(path: str):
    """Compile an XPath with altdeck's namespace map (lxml is imported by whoever walks XML)."""
    from lxml import etree
    return etree.XPath(path, namespaces=NS)
