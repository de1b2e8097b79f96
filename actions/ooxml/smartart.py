"""A SmartArt diagram's data: what kind of diagram its layout draws, and its node texts in order."""
import re

from .ns import NS
from .scan import text_of

_KINDS = [("process", "process"), ("chevron", "process"), ("arrow", "process"), ("cycle", "cycle"),
          ("hierarchy", "hierarchy"), ("orgchart", "organization chart"), ("venn", "Venn"),
          ("pyramid", "pyramid"), ("matrix", "matrix"), ("radial", "radial"), ("funnel", "funnel"),
          ("gear", "gear"), ("target", "target"), ("balance", "balance"), ("timeline", "timeline")]


def read_smartart(data_root, layout_id: str = "") -> tuple:
    """-> (kind, texts): kind from the layout id ("process", "cycle", "list", or ""), node texts in order."""
    texts = []
    if data_root is not None:
        for pt in data_root.iterfind("dgm:ptLst/dgm:pt", NS):
            if pt.get("type", "node") not in ("node", "asst"):
                continue
            t_el = pt.find("dgm:t", NS)
            t = text_of(t_el) if t_el is not None else ""
            if t:
                texts.append(t)
    layout = re.sub(r"[\d_]+$", "", (layout_id or "").rsplit("/", 1)[-1]).lower()
    kind = next((name for key, name in _KINDS if key in layout), "list" if "list" in layout else "")
    return kind, texts
