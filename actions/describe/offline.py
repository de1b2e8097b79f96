"""The embedded offline describer: no server, no model.

Charts are described from their cached data (type, title, series,
categories, range or trend), SmartArt and tables from their text.  Pictures
of text (code, terminals, quotes, paragraphs) are transcribed when the OCR
engine is installed (ocr.py); other pictures, media and OLE previews cannot be
described honestly without a vision model: they stay pending.
"""
from ..vocab import Kind, Source
from . import ocr
from .base import Describer, Result, Subject
from .signature import offline_signature
from .text import fit, join_clauses

SOURCE = Source.OFFLINE        # (its version, signature.OFFLINE_VERSION: bump it when what this writes changes)
NO_MODEL = "no vision model configured (set describer.backend and describer.model)"
READABLE = (Kind.PICTURE, Kind.OLE)        # kinds whose image may be a picture of text


class Offline(Describer):
    source = SOURCE

    def __init__(self, ocr_signature: dict | None = None):
        self.ocr_signature = ocr_signature          # ocr.in_use(cfg): the engine reading pictures, or None

    def describe(self, s: Subject) -> Result:
        if s.kind in READABLE and s.has_image:
            return self.read_picture(s)
        try:
            text = {"chart": describe_chart, "smartart": describe_smartart,
                    "table": describe_table}.get(s.kind, lambda s: None)(s)
        except (ValueError, TypeError, AttributeError, IndexError) as e:   # odd data: pending, not a crash
            return Result(None, SOURCE, f"offline describer could not read this {s.kind} ({e})")
        if text:
            return Result(text, SOURCE)
        reason = {"chart": "chart has no readable data (a newer chart type); needs a vision model",
                  "smartart": "SmartArt has no text",
                  "table": "table is empty"}.get(s.kind, NO_MODEL)
        return Result(None, SOURCE, reason)

    def read_picture(self, s: Subject) -> Result:
        """A picture of text's transcription (source ocr), else pending saying why."""
        reading, why = s.read_text() if s.read_text else (None, ocr.NOT_INSTALLED)
        if reading is not None:
            found, why = ocr.text_picture(reading)
            if found:
                return Result(ocr.alt_text(found, s.language, s.max_chars), Source.OCR,
                              transcription=found.transcription)
        return Result(None, SOURCE, f"{NO_MODEL}; {why}")

    def signature(self):
        return offline_signature(self.ocr_signature)


# ---- charts -------------------------------------------------------------------------------------

def describe_chart(s: Subject):
    from ..ooxml.charts import read_chart      # lxml on use: the tasks' signature imports this module
    data = read_chart(s.chart)
    if data is None:
        return None
    kind, series = data.kind, data.series
    clauses = [f"{kind[0].upper()}{kind[1:]} chart" + (f": {data.title}." if data.title else ".")]
    names = [x.name for x in series if x.name]
    if len(series) > 1:
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        clauses.append(f"{len(series)} series{': ' + shown if shown else ''}.")
    cats = next((x.categories for x in series if x.categories), [])
    if cats and "scatter" not in kind and "bubble" not in kind:
        if len(cats) <= 4:
            clauses.append(f"Categories: {', '.join(cats)}.")
        else:
            clauses.append(f"{len(cats)} categories from {cats[0]} to {cats[-1]}.")
    clauses.append(_takeaway(kind, series))
    return join_clauses([c for c in clauses if c], s.max_chars)


def _takeaway(kind, series):
    from ..ooxml.charts import format_number as _fmt
    data = [x for x in series if x.values]
    if not data:
        return ""
    code = data[0].format_code
    if ("pie" in kind or "doughnut" in kind) and len(data) >= 1:
        vals = data[0].values
        total = sum(v for _, v in vals if v > 0)
        if total > 0:
            cat, v = max(vals, key=lambda cv: cv[1])
            return f"Largest: {cat}, {v / total * 100:.0f}% of the total."
    if "scatter" in kind or "bubble" in kind:
        n = sum(len(x.values) for x in data)
        ys = [v for x in data for _, v in x.values]
        return f"{n} points, values from {_fmt(min(ys), code)} to {_fmt(max(ys), code)}."
    if len(data) == 1 and ("line" in kind or "area" in kind) and len(data[0].values) >= 2:
        vals = data[0].values
        (c0, first), (c1, last) = vals[0], vals[-1]
        peak_c, peak = max(vals, key=lambda cv: cv[1])
        trend = "rising" if last > first else "falling" if last < first else "flat"
        out = f"{trend.capitalize()} from {_fmt(first, code)} ({c0}) to {_fmt(last, code)} ({c1})"
        if peak > max(first, last):
            out += f", peaking at {_fmt(peak, code)} ({peak_c})"
        return out + "."
    if len(data) == 1:
        vals = data[0].values
        (hc, hi), (lc, lo) = max(vals, key=lambda cv: cv[1]), min(vals, key=lambda cv: cv[1])
        if len(vals) == 1:
            return f"Value: {_fmt(hi, code)}."
        return f"Highest: {hc} ({_fmt(hi, code)}); lowest: {lc} ({_fmt(lo, code)})."
    best = max(((x.name, c, v) for x in data for c, v in x.values), key=lambda t: t[2])
    lo = min(v for x in data for _, v in x.values)
    who = ", ".join(p for p in best[:2] if p)
    return f"Values from {_fmt(lo, code)} to {_fmt(best[2], code)}, highest: {who}."


# ---- SmartArt and tables ------------------------------------------------------------------------

def describe_smartart(s: Subject):
    if s.diagram is None:
        return None
    from ..ooxml.smartart import read_smartart
    kind, texts = read_smartart(s.diagram, s.layout)
    if not texts:
        return None
    head = f"{kind[0].upper()}{kind[1:]} diagram" if kind else "Diagram"
    unit = "steps" if kind == "process" else "items"
    for n in range(len(texts), 0, -1):
        rest = f", and {len(texts) - n} more" if n < len(texts) else ""
        text = f"{head} with {len(texts)} {unit}: {', '.join(texts[:n])}{rest}."
        if len(text) <= s.max_chars:
            return text
    return fit(f"{head} with {len(texts)} {unit}: {texts[0]}", s.max_chars)


def describe_table(s: Subject):
    rows = s.table or []
    filled = [r for r in rows if any(c.strip() for c in r)]
    if not filled:
        return None
    ncols = max(len(r) for r in rows)
    head = f"Table with {len(rows)} rows and {ncols} columns"
    header = [c for c in filled[0] if c.strip()]
    if header:
        for n in range(len(header), 0, -1):
            more = f", and {len(header) - n} more" if n < len(header) else ""
            text = f"{head}; columns: {', '.join(header[:n])}{more}."
            if len(text) <= s.max_chars:
                return text
    return head + "."
