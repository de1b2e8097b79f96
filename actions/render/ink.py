"""Ink strokes (InkML) drawn into a PNG, because LibreOffice draws no ink.

PowerPoint keeps each stroke as an InkML part (`p14:contentPart`) whose box on
the slide is the stroke's bounding box, pen included.  A trace is a list of
points, "x y[ f], x y[ f], ..."; values may be written as first differences
(prefix ') or second differences (prefix "), and a prefix holds for the later
values of its channel until another one comes (InkML 1.0, 3.2.1).  The points
are mapped onto the box, drawn with the brush's colour and width.
"""
import io
import re
from dataclasses import dataclass

from ..ooxml.ns import NS

_TOKEN = re.compile(r"""[!'"]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[TF?*]""")
_CM = {"cm": 1.0, "mm": 0.1, "in": 2.54, "pt": 2.54 / 72, "himetric": 0.001}
DEFAULT_PEN_CM = 0.05


class InkError(ValueError):
    """The ink part cannot be drawn (not InkML, or no points)."""


@dataclass
class Stroke:
    points: list          # [(x, y)] in the trace's units
    color: tuple          # (r, g, b, a)
    width_cm: float


def trace_points(text: str) -> list:
    """[(x, y)] of one trace, first and second differences resolved."""
    points, modes, last, delta = [], [], [], []
    for raw in (text or "").split(","):
        values, mode_next, i = [], None, 0
        for tok in _TOKEN.findall(raw):
            if tok in "!'\"":
                mode_next = tok
                continue
            if tok in "TF?*":
                values.append(None)
                continue
            if len(modes) <= i:
                modes.append("!")
                last.append(0.0)
                delta.append(0.0)
            if mode_next:
                modes[i], mode_next = mode_next, None
            v = float(tok)
            if modes[i] == "'":
                delta[i] = v
                v = last[i] + v
            elif modes[i] == '"':
                delta[i] += v
                v = last[i] + delta[i]
            else:
                delta[i] = v - last[i] if points else 0.0
            last[i] = v
            values.append(v)
            i += 1
        if len(values) >= 2 and values[0] is not None and values[1] is not None:
            points.append((values[0], values[1]))
    return points


def strokes(root) -> list:
    """The strokes of an InkML document, with their brushes."""
    brushes = {}
    for brush in root.iter(f"{{{NS['inkml']}}}brush"):
        props = {p.get("name"): p for p in brush.iter(f"{{{NS['inkml']}}}brushProperty")}
        color = (props.get("color").get("value", "") if "color" in props else "").lstrip("#")
        rgb = tuple(int(color[i:i + 2], 16) for i in (0, 2, 4)) if re.fullmatch(r"[0-9A-Fa-f]{6}", color) else (0, 0, 0)
        alpha = 255
        if "transparency" in props:
            try:
                alpha = max(0, min(255, 255 - int(float(props["transparency"].get("value", "0")))))
            except ValueError:
                pass
        width = DEFAULT_PEN_CM
        if "width" in props:
            try:
                width = float(props["width"].get("value")) * _CM.get(props["width"].get("units", "cm"), 1.0)
            except (TypeError, ValueError):
                pass
        brushes["#" + (brush.get("{http://www.w3.org/XML/1998/namespace}id") or "")] = (rgb + (alpha,), width)
    out = []
    for trace in root.iter(f"{{{NS['inkml']}}}trace"):
        color, width = brushes.get(trace.get("brushRef") or "", ((0, 0, 0, 255), DEFAULT_PEN_CM))
        pts = trace_points(trace.text or "")
        if pts:
            out.append(Stroke(pts, color, width))
    return out


def draw(root, box_cm: tuple, size_px: tuple) -> bytes:
    """PNG (transparent background) of the strokes filling a box of `box_cm` (w, h) at `size_px` (w, h)."""
    from PIL import Image, ImageDraw
    found = strokes(root)
    if not found:
        raise InkError("no ink strokes in the part")
    w_px, h_px = size_px
    px_per_cm = w_px / box_cm[0] if box_cm[0] else h_px / max(box_cm[1], 1e-6)
    pen = max(2, round(max(s.width_cm for s in found) * px_per_cm))
    xs = [x for s in found for x, _ in s.points]
    ys = [y for s in found for _, y in s.points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)

    def axis(v, lo, hi, size):
        inner = max(size - pen, 1)
        return pen / 2 + ((v - lo) / (hi - lo) * inner if hi > lo else inner / 2)

    img = Image.new("RGBA", (w_px, h_px), (0, 0, 0, 0))
    pen_of = ImageDraw.Draw(img, "RGBA")
    for s in found:
        pts = [(axis(x, x0, x1, w_px), axis(y, y0, y1, h_px)) for x, y in s.points]
        width = max(2, round(s.width_cm * px_per_cm))
        if len(pts) == 1:
            (x, y), r = pts[0], width / 2
            pen_of.ellipse([x - r, y - r, x + r, y + r], fill=s.color)
        else:
            pen_of.line(pts, fill=s.color, width=width, joint="curve")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
