"""A chart part's cached data: its type, title and series, as a reader of the chart sees them.

Values are the numbers cached in the chart XML (they may be stale against the
embedded workbook, which PowerPoint shows the same way).  Category numbers and
Excel date serials are formatted by their format codes.  3-D, stock, surface
and of-pie charts are read from `c:plotArea` directly (python-pptx raises there).
"""
import datetime
import re
from dataclasses import dataclass, field

from .ns import NS, qn
from .scan import text_of

CHART_NAMES = {
    "barChart": "bar", "bar3DChart": "3-D bar", "lineChart": "line", "line3DChart": "3-D line",
    "pieChart": "pie", "pie3DChart": "3-D pie", "doughnutChart": "doughnut", "areaChart": "area",
    "area3DChart": "3-D area", "scatterChart": "scatter", "bubbleChart": "bubble", "radarChart": "radar",
    "stockChart": "stock", "surfaceChart": "surface", "surface3DChart": "3-D surface", "ofPieChart": "pie-of-pie",
}
_DATE_CODE = re.compile(r"(^|[^\\\"])[dmy]", re.I)


@dataclass
class Series:
    name: str
    categories: list                 # labels, formatted
    values: list                     # [(category label, number)], points without a number left out
    format_code: str = ""


@dataclass
class ChartData:
    kind: str                        # "column", "stacked bar", "combination line", "pie", ...
    title: str
    series: list = field(default_factory=list)


def read_chart(root) -> ChartData | None:
    """The chart in a chart part's XML, or None when it has no plot of a known type (chartex)."""
    if root is None:
        return None
    chart = root.find("c:chart", NS)
    plot_area = chart.find("c:plotArea", NS) if chart is not None else None
    if plot_area is None:
        return None
    plots = [el for el in plot_area if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] in CHART_NAMES]
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
            title = series[0].name          # PowerPoint shows the only series' name as the title
    return ChartData(kind, title, series)


def format_number(x, code=""):
    """A number as the chart shows it: percentages by a % format code, whole numbers plain."""
    if "%" in code:
        return f"{x * 100:.{0 if abs(x * 100 - round(x * 100)) < 1e-9 else 1}f}%"
    if abs(x - round(x)) < 1e-9:
        return f"{int(round(x)):,}"
    return f"{x:,.2f}".rstrip("0").rstrip(".")


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
            out.append((i, format_number(x, code)))
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
        out.append(Series(name.strip(), [c for _, c in cats], [(c, v) for c, v in values if v is not None], code))
    return out


def _chart_kind(plot):
    local = plot.tag.rsplit("}", 1)[-1]
    kind = CHART_NAMES[local]
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
