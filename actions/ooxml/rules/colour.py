"""DrawingML colours as sRGB: theme scheme colours through the colour map, their modifiers, and WCAG contrast.

A colour element (`a:srgbClr`, `a:schemeClr`, `a:sysClr`, `a:prstClr`, `a:hslClr`, `a:scrgbClr`)
resolves to (r, g, b, alpha) in 0..1, or None when it cannot be known here.  Scheme colours go
through the colour map (bg1 -> lt1, tx1 -> dk1, ...) to the theme's `a:clrScheme`; `phClr` is the
colour a style reference (`a:fillRef`, `a:bgRef`) passes in.  Modifiers follow ECMA-376 20.1.2.3:
lumMod/lumOff/satMod/hueOff in HSL, tint/shade in linear RGB, alpha kept for blending.
"""
import colorsys

from ..ns import qn

_PRESET = {   # the preset colours decks actually use (a:prstClr); others are "unknown"
    "black": "000000", "white": "FFFFFF", "red": "FF0000", "green": "008000", "blue": "0000FF",
    "yellow": "FFFF00", "gray": "808080", "grey": "808080", "darkGray": "A9A9A9", "ltGray": "D3D3D3",
    "lightGray": "D3D3D3", "dkGray": "A9A9A9", "orange": "FFA500", "purple": "800080", "navy": "000080",
    "silver": "C0C0C0", "maroon": "800000", "cyan": "00FFFF", "magenta": "FF00FF", "lime": "00FF00",
}
COLOUR_TAGS = {qn(f"a:{t}") for t in ("srgbClr", "schemeClr", "sysClr", "prstClr", "hslClr", "scrgbClr")}
_DEFAULT_MAP = {"bg1": "lt1", "tx1": "dk1", "bg2": "lt2", "tx2": "dk2"}


def _pct(v, default=0.0) -> float:
    """An ST_Percentage: 1000ths of a percent (transitional) or '50%' (strict) -> fraction."""
    if v is None:
        return default
    try:
        return float(v[:-1]) / 100 if v.endswith("%") else int(v) / 100000
    except ValueError:
        return default


def _hex(v):
    if not v or len(v) != 6:
        return None
    try:
        return tuple(int(v[i:i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return None


def _lin(c):
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _srgb(c):
    c = min(max(c, 0.0), 1.0)
    return c * 12.92 if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


class Palette:
    """A theme's colour scheme seen through one colour map."""

    def __init__(self, scheme, clr_map: dict):
        self.scheme = {}
        if scheme is not None:
            for child in scheme:
                if isinstance(child.tag, str):
                    self.scheme[child.tag.rsplit("}", 1)[-1]] = child
        self.map = dict(_DEFAULT_MAP, **clr_map)

    def rgba(self, el, ph=None, depth=0):
        """(r, g, b, alpha) of a colour element, or None when it cannot be known."""
        if el is None or depth > 4:
            return None
        tag = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
        rgb = None
        if tag == "srgbClr":
            rgb = _hex(el.get("val"))
        elif tag == "sysClr":
            rgb = _hex(el.get("lastClr")) or {"windowText": (0, 0, 0), "window": (1, 1, 1)}.get(el.get("val"))
        elif tag == "prstClr":
            rgb = _hex(_PRESET.get(el.get("val", "")))
        elif tag == "scrgbClr":
            rgb = tuple(_srgb(_pct(el.get(k))) for k in ("r", "g", "b"))
        elif tag == "hslClr":
            try:
                h = int(el.get("hue", "0")) / 21600000
            except ValueError:
                h = 0.0
            rgb = colorsys.hls_to_rgb(h % 1.0, _pct(el.get("lum")), _pct(el.get("sat")))
        elif tag == "schemeClr":
            name = el.get("val", "")
            if name == "phClr":
                base = ph
            else:
                slot = self.scheme.get(self.map.get(name, name))
                base = self.rgba(next((c for c in slot if c.tag in COLOUR_TAGS), None), None, depth + 1) \
                    if slot is not None else None
            if base is None:
                return None
            rgb, alpha = base[:3], base[3]
            return _modify(rgb, alpha, el)
        if rgb is None:
            return None
        return _modify(rgb, 1.0, el)

    def scheme_colour(self, name):
        """A scheme colour by its name in the colour map (tx1, hlink, ...), or None."""
        slot = self.scheme.get(self.map.get(name, name))
        return self.rgba(next((c for c in slot if c.tag in COLOUR_TAGS), None)) if slot is not None else None

    def fill(self, fill_el, ph=None):
        """('solid', rgba) | ('none', None) | ('picture'|'gradient'|'pattern'|'group'|'unknown', None)."""
        tag = fill_el.tag.rsplit("}", 1)[-1]
        if tag == "noFill":
            return "none", None
        if tag == "solidFill":
            colour = self.rgba(next((c for c in fill_el if c.tag in COLOUR_TAGS), None), ph)
            return ("solid", colour) if colour else ("unknown", None)
        return {"gradFill": "gradient", "blipFill": "picture", "pattFill": "pattern", "grpFill": "group"}.get(
            tag, "unknown"), None


FILL_TAGS = {qn(f"a:{t}") for t in ("noFill", "solidFill", "gradFill", "blipFill", "pattFill", "grpFill")}


def _modify(rgb, alpha, el):
    r, g, b = rgb
    for m in el:
        if not isinstance(m.tag, str):
            continue
        name, v = m.tag.rsplit("}", 1)[-1], _pct(m.get("val"), 1.0)
        if name in ("lumMod", "lumOff", "satMod", "satOff", "hueOff", "hueMod"):
            h, l, s = colorsys.rgb_to_hls(r, g, b)
            if name == "lumMod":
                l *= v
            elif name == "lumOff":
                l += _pct(m.get("val"))
            elif name == "satMod":
                s *= v
            elif name == "satOff":
                s += _pct(m.get("val"))
            elif name == "hueMod":
                h *= v
            else:
                try:
                    h += int(m.get("val", "0")) / 21600000
                except ValueError:
                    pass
            r, g, b = colorsys.hls_to_rgb(h % 1.0, min(max(l, 0.0), 1.0), min(max(s, 0.0), 1.0))
        elif name == "tint":
            r, g, b = (_srgb(_lin(c) * v + (1 - v)) for c in (r, g, b))
        elif name == "shade":
            r, g, b = (_srgb(_lin(c) * v) for c in (r, g, b))
        elif name == "alpha":
            alpha = v
        elif name == "inv":
            r, g, b = 1 - r, 1 - g, 1 - b
        elif name in ("gray", "grey"):
            r = g = b = 0.2126 * r + 0.7152 * g + 0.0722 * b
        elif name == "comp":
            h, l, s = colorsys.rgb_to_hls(r, g, b)
            r, g, b = colorsys.hls_to_rgb((h + 0.5) % 1.0, l, s)
    return (min(max(r, 0.0), 1.0), min(max(g, 0.0), 1.0), min(max(b, 0.0), 1.0), alpha)


def over(top, bottom):
    """`top` (r, g, b, alpha) painted over an opaque `bottom`: the colour one sees."""
    a = top[3]
    return tuple(top[i] * a + bottom[i] * (1 - a) for i in range(3)) + (1.0,)


def luminance(rgb) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    r, g, b = (_lin(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    """WCAG 2 contrast ratio of two opaque colours, 1..21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def hex_of(rgb) -> str:
    return "#" + "".join(f"{round(c * 255):02X}" for c in rgb[:3])
