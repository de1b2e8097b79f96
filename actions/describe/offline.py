"""The embedded offline describer: no server, no model.

Charts are described from their cached data (type, title, series,
categories, range or trend), SmartArt and tables from their text.  Pictures,
media and OLE previews cannot be described honestly without a vision model:
they stay pending.
"""
import datetime
import re

from ..ns import NS, qn
from . import Describer, Result, Subject
from .text import fit, join_clauses

VERSION = 1
SOURCE = "offline"
NO_MODEL = "no vision model configured (set describer.backend and describer.model)"

_CHART_NAMES = {
    "barChart": "bar", "bar3DChart": "3-D bar", "lineChart": "line", "line3DChart": "3-D line",
    "pieChart": "pie", "pie3DChart": "3-D pie", "doughnutChart": "doughnut", "areaChart": "area",
    "area3DChart": "3-D area", "scatterChart": "scatter", "bubbleChart": "bubble", "radarChart": "radar",
    "stockChart": "stock", "surfaceChart": "surface", "surface3DChart": "3-D surface", "ofPieChart": "pie-of-pie",
}
_SMARTART_KINDS = [("process", "process"), ("chevron", "process"), ("arrow", "process"), ("cycle", "cycle"),
                   ("hierarchy", "hierarchy"), ("orgchart", "organization chart"), ("venn", "Venn"),
                   ("pyramid", "pyramid"), ("matrix", "matrix"), ("radial", "radial"), ("funnel", "funnel"),
                   ("gear", "gear"), ("target", "target"), ("balance", "balance"), ("timeline", "timeline")]


class Offline(Describer):
    source = SOURCE

    def describe(self, s: Subject) -> Result:
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

    def signature(self):
        return {"source": SOURCE, "version": VERSION}


# ---- charts -------------------------------------------------------------------------------------

def _num(v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if x == x and x not in (float("inf"), float("-inf")) else None


def _pts(el):
    """Cached points of a c:cat/c:val/c:xVal/c:yVal: [(idx, text)] in index order."""
    if el is None:
        return []
    pts = []
    for pt in el.iter(qn("c:pt")):
        v = pt.find("c:v", NS)
        if v is not None and v.text is not None:
            pts.append((int(pt.get("idx", "0")), v.text.strip()))
    return sorted(pts)


def _fmt(x, code=""):
    if "%" in code:
        return f"{x * 100:.{0 if abs(x * 100 - round(x * 100)) < 1e-9 else 1}f}%"
    if abs(x - round(x)) < 1e-9:
        return f"{int(round(x)):,}"
    return f"{x:,.2f}".rstrip("0").rstrip(".")


_DATE_CODE = re.compile(r"(^|[^\\\"])[dmy]", re.I)


def _categories(el):
    """Category labels; numbers and Excel date serials formatted as a reader would see them."""
    pts = _pts(el)
    if el is None or el.find(".//c:numCache", NS) is None:
        return pts
    code_el = el.find(".//c:formatCode", NS)
    code = code_el.text if code_el is not None and code_el.text else ""
    out = []
    for i, v in pts:
        x = _num(v)
        if x is None:
            out.append((i, v))
        elif _DATE_CODE.search(code.split(";")[0].replace("General", "")) and 0 < x < 2958466:
            out.append((i, (datetime.date(1899, 12, 30) + datetime.timedelta(days=int(x))).isoformat()))
        else:
            out.append((i, _fmt(x, code)))
    return out


def _series(plot):
    out = []
    for ser in plot.iterfind("c:ser", NS):
        name = " ".join(t.text or "" for t in ser.iterfind("c:tx//c:v", NS)) or \
               " ".join(t.text or "" for t in ser.iterfind("c:tx/c:v", NS))
        cats = _categories(ser.find("c:cat", NS)) or _categories(ser.find("c:xVal", NS))
        vals_el = ser.find("c:val", NS)
        if vals_el is None:
            vals_el = ser.find("c:yVal", NS)
        code_el = vals_el.find(".//c:formatCode", NS) if vals_el is not None else None
        code = code_el.text if code_el is not None and code_el.text else ""
        cat_by_idx = dict(cats)
        values = [(cat_by_idx.get(i, str(i + 1)), _num(v)) for i, v in _pts(vals_el)]
        out.append({"name": name.strip(), "cats": [c for _, c in cats],
                    "values": [(c, v) for c, v in values if v is not None], "code": code})
    return out


def describe_chart(s: Subject):
    from ..scan import text_of      # lxml: imported on use, the tasks' signature needs only this module
    root = s.chart
    if root is None:
        return None
    chart = root.find("c:chart", NS)
    plot_area = chart.find("c:plotArea", NS) if chart is not None else None
    if plot_area is None:
        return None
    plots = [el for el in plot_area if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] in _CHART_NAMES]
    if not plots:
        return None
    kind = _chart_kind(plots[0])
    if len({p.tag for p in plots}) > 1:
        kind = "combination " + kind
    series = [ser for p in plots for ser in _series(p)]
    title_el = chart.find("c:title", NS)
    title = text_of(title_el) if title_el is not None else ""
    if not title and title_el is None:
        deleted = chart.find("c:autoTitleDeleted", NS)
        if len(series) == 1 and (deleted is None or deleted.get("val") in ("0", "false")):
            title = series[0]["name"]
    clauses = [f"{kind[0].upper()}{kind[1:]} chart" + (f": {title}." if title else ".")]
    names = [x["name"] for x in series if x["name"]]
    if len(series) > 1:
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        clauses.append(f"{len(series)} series{': ' + shown if shown else ''}.")
    cats = next((x["cats"] for x in series if x["cats"]), [])
    if cats and "scatter" not in kind and "bubble" not in kind:
        if len(cats) <= 4:
            clauses.append(f"Categories: {', '.join(cats)}.")
        else:
            clauses.append(f"{len(cats)} categories from {cats[0]} to {cats[-1]}.")
    clauses.append(_takeaway(kind, series))
    return join_clauses([c for c in clauses if c], s.max_chars)


def _chart_kind(plot):
    local = plot.tag.rsplit("}", 1)[-1]
    kind = _CHART_NAMES[local]
    if local in ("barChart", "bar3DChart"):
        bar_dir = plot.find("c:barDir", NS)
        if bar_dir is not None and bar_dir.get("val") == "col":
            kind = kind.replace("bar", "column")
    if local == "ofPieChart":
        of = plot.find("c:ofPieType", NS)
        kind = "bar-of-pie" if of is not None and of.get("val") == "bar" else "pie-of-pie"
    grouping = plot.find("c:grouping", NS)
    if grouping is not None and grouping.get("val") in ("stacked", "percentStacked"):
        kind = ("100% stacked " if grouping.get("val") == "percentStacked" else "stacked ") + kind
    return kind


def _takeaway(kind, series):
    data = [x for x in series if x["values"]]
    if not data:
        return ""
    code = data[0]["code"]
    if ("pie" in kind or "doughnut" in kind) and len(data) >= 1:
        vals = data[0]["values"]
        total = sum(v for _, v in vals if v > 0)
        if total > 0:
            cat, v = max(vals, key=lambda cv: cv[1])
            return f"Largest: {cat}, {v / total * 100:.0f}% of the total."
    if "scatter" in kind or "bubble" in kind:
        n = sum(len(x["values"]) for x in data)
        ys = [v for x in data for _, v in x["values"]]
        return f"{n} points, values from {_fmt(min(ys), code)} to {_fmt(max(ys), code)}."
    if len(data) == 1 and ("line" in kind or "area" in kind) and len(data[0]["values"]) >= 2:
        vals = data[0]["values"]
        (c0, first), (c1, last) = vals[0], vals[-1]
        peak_c, peak = max(vals, key=lambda cv: cv[1])
        trend = "rising" if last > first else "falling" if last < first else "flat"
        out = f"{trend.capitalize()} from {_fmt(first, code)} ({c0}) to {_fmt(last, code)} ({c1})"
        if peak > max(first, last):
            out += f", peaking at {_fmt(peak, code)} ({peak_c})"
        return out + "."
    if len(data) == 1:
        vals = data[0]["values"]
        (hc, hi), (lc, lo) = max(vals, key=lambda cv: cv[1]), min(vals, key=lambda cv: cv[1])
        if len(vals) == 1:
            return f"Value: {_fmt(hi, code)}."
        return f"Highest: {hc} ({_fmt(hi, code)}); lowest: {lc} ({_fmt(lo, code)})."
    best = max(((x["name"], c, v) for x in data for c, v in x["values"]), key=lambda t: t[2])
    lo = min(v for x in data for _, v in x["values"])
    who = ", ".join(p for p in best[:2] if p)
    return f"Values from {_fmt(lo, code)} to {_fmt(best[2], code)}, highest: {who}."


# ---- SmartArt and tables ------------------------------------------------------------------------

def describe_smartart(s: Subject):
    from ..scan import text_of
    if s.diagram is None:
        return None
    texts = []
    for pt in s.diagram.iterfind("dgm:ptLst/dgm:pt", NS):
        if pt.get("type", "node") not in ("node", "asst"):
            continue
        t_el = pt.find("dgm:t", NS)
        t = text_of(t_el) if t_el is not None else ""
        if t:
            texts.append(t)
    if not texts:
        return None
    layout = re.sub(r"[\d_]+$", "", s.layout.rsplit("/", 1)[-1]).lower()
    kind = next((name for key, name in _SMARTART_KINDS if key in layout), "list" if "list" in layout else "")
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
