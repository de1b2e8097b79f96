"""Decorative pictures, recognised from where and how they appear in a deck (config `decorative:`).

Screen readers should skip a logo repeated on every slide, a divider or a bullet icon; reading
"University logo" twenty times helps nobody.  A picture is decorative when one of these holds
(each threshold a documented setting, README "Decorative pictures"):

- repeated: the same image at the same place (within 1 % of the slide) on at least
  `repeated_share` of the deck's slides and on `repeated_min_slides` or more;
- small: under `small_area` of the slide's area (an icon, a bullet), unless OCR reads text in it;
- line: at most `line_thickness` of the slide's shorter side thick and `line_aspect` times as long;
- background: covering `background_area` of the slide, with text drawn above it and little detail
  (at most `background_detail` of a 256-pixel thumbnail's pixels on an edge: a gradient, a soft texture).

An image is decided once for the deck, like its text: decorative only when every place it appears
is (a logo repeated in the corner but also shown large on the title slide is not).  The decision is
machine-level (source `auto`, with the reason): a person's text or choice in alt-text.yaml wins.
"""
import json
import math
from dataclasses import dataclass

VERSION = 1
SAME_PLACE = 0.01          # two boxes are at the same place when every edge is within this share of the slide
MIN_TEXT_CHARS = 3         # a small picture with this many confident characters holds text: not decorative


@dataclass
class Placement:
    slide: int
    box: tuple | None          # (x, y, width, height) in EMU, None when not known
    text_above: bool


def rules(cfg, ocr_signature: dict | None) -> dict | None:
    """What the decisions depend on (None when decorative.auto is false); its JSON signs `auto` entries."""
    d = cfg.decorative
    if not d.auto:
        return None
    return {"version": VERSION, **{k: v for k, v in d.items() if k != "auto"},
            "ocr": ocr_signature["engine"] if ocr_signature else None}


def rules_json(rules_dict: dict | None) -> str:
    """The rules as the JSON that alt-text.yaml entries of source `auto` are signed with ("" when off)."""
    return json.dumps(rules_dict, sort_keys=True) if rules_dict else ""


def decide(cfg, placements: dict, slide_size: tuple, slides: int, detail=None, has_text=None) -> dict:
    """{image key: reason} for the images that are decorative in this deck.

    `placements`: {image key: [Placement, ...]} of the pictures still undecided.  `detail(key)` is
    the share of edge pixels of an image (None: cannot tell); `has_text(key)` whether OCR reads
    text in it (None: no OCR).  Both are asked only about candidates for their rule.
    """
    d = cfg.decorative
    width, height = slide_size
    area = width * height
    need = max(d.repeated_min_slides, math.ceil(d.repeated_share * slides))
    out = {}
    for key, places in placements.items():
        reasons = []
        for p in places:
            reason = _repeated(p, places, width, height, need, slides)
            if reason is None and p.box:
                x, y, w, h = p.box
                thin, long_ = sorted((w, h))
                share = w * h / area if area else 1.0
                if share < d.small_area:
                    if has_text is None or not has_text(key):
                        reason = f"a small picture ({share:.2%} of the slide: an icon or a bullet)"
                elif thin <= d.line_thickness * min(width, height) and long_ >= d.line_aspect * max(thin, 1):
                    reason = f"a thin line or divider ({long_ / max(thin, 1):.0f} times as long as thick)"
                elif share >= d.background_area and p.text_above:
                    edges = detail(key) if detail else None
                    if edges is not None and edges <= d.background_detail:
                        reason = (f"a full-slide picture with little detail behind the slide's text "
                                  f"({edges:.1%} edge pixels)")
            if reason is None:
                break
            reasons.append(reason)
        else:
            out[key] = reasons[0]
    return out


def _repeated(p, places, width, height, need, slides):
    if p.box is None or need > slides:
        return None
    tol_x, tol_y = SAME_PLACE * width, SAME_PLACE * height
    here = {q.slide for q in places if q.box and all(
        abs(a - b) <= tol for a, b, tol in zip(p.box, q.box, (tol_x, tol_y, tol_x, tol_y)))}
    if len(here) >= need:
        return f"the same picture at the same place on {len(here)} of {slides} slides (a logo or an ornament)"
    return None


def edge_share(image) -> float:
    """Share of a 256-pixel grey thumbnail's pixels on an edge: how much detail a picture has."""
    from PIL import ImageFilter
    grey = image.convert("L")
    grey.thumbnail((256, 256))
    if grey.width < 3 or grey.height < 3:
        return 0.0
    edges = grey.filter(ImageFilter.FIND_EDGES).crop((1, 1, grey.width - 1, grey.height - 1))
    histogram = edges.histogram()
    return sum(histogram[24:]) / max(1, sum(histogram))
