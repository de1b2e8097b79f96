"""Rules on a slide's structure: titles, reading order, tables, and the deck's section names.

Reading order (WCAG 1.3.2).  A screen reader reads a slide's shapes in document order (p:spTree,
back to front).  Only what it reads counts: shapes that are not hidden, not decorative, not
date/footer/slide-number placeholders, and have text, a picture, a table, chart or diagram
(empty shapes and lines say nothing).  A slide fails when
  1. its title (the shape, or top-level group, holding the title placeholder) is not the first
     of them, or
  2. of two text shapes on the slide, the one read later lies wholly above the other (no vertical
     overlap) and they share at least half of the narrower one's width: one column read bottom-up.
     Never judged: side-by-side columns, overlapping shapes, shapes off the slide, slides with
     more than 8 text shapes (dense diagrams, whose order a person must judge), and, on a slide
     without a title placeholder, the first text read when it is bigger than the one above it
     (it stands for the title: "Addressing the Challenge" read before a small kicker line).
One finding per slide, for the first problem.  On the corpus it fires 42 times in 11 decks; read
one by one, 3 are false alarms (diagram labels, numbered items in a circle): see the README.
"""
from ...vocab import Rule
from ..ns import NS, qn
from .layers import TITLE_TYPES, cnvpr, ph_of, shapes

_NOT_READ = ("dt", "ftr", "sldNum", "hdr")
MAX_ORDERED = 8            # text shapes on a slide beyond which rule 2 of the reading order is not judged
_FIX_TITLE = ("add a title in the slide's title placeholder (Home > Layout gives the slide one); to keep it "
              "off the slide, drag it off the slide's edge or hide it in the Selection Pane")
_FIX_DUP = "give each slide a title of its own (e.g. add “(2)” or what is new on the slide)"
_FIX_ORDER = "open Review > Check Accessibility > Reading Order Pane and drag {what} (the pane lists the reading order)"
_FIX_HEADER = "select the table and tick Table Design > Header Row, with the column headings in the first row"
_FIX_MERGED = "split merged cells (Layout > Split Cells) so that each cell holds one value"
_FIX_SECTION = "rename the section (right-click it in the slide sorter > Rename Section) to say what it holds"
DEFAULT_SECTIONS = {"default section", "untitled section", "standardabschnitt", "abschnitt ohne titel",
                    "section par défaut", "section sans titre", "sección predeterminada", "sección sin título"}


def norm_title(title: str) -> str:
    return " ".join(title.split()).casefold()


def check_title(findings, number, title):
    findings.checked(Rule.TITLE_MISSING)
    if not title.strip():
        findings.add(Rule.TITLE_MISSING, number, "", "", "the slide has no title", _FIX_TITLE)


def check_duplicate_titles(findings, titles):
    """`titles`: [(slide number, title)]; each title seen before is a finding on the later slide."""
    first = {}
    for number, title in titles:
        key = norm_title(title)
        if not key:
            continue
        findings.checked(Rule.TITLE_DUPLICATE)
        if key in first:
            findings.add(Rule.TITLE_DUPLICATE, number, "", "",
                         f"the title “{title}” is also slide {first[key]}'s title", _FIX_DUP)
        else:
            first[key] = number


def _hidden(el):
    c = cnvpr(el)
    return c is not None and c.get("hidden") in ("1", "true")


def _decorative(el):
    c = cnvpr(el)
    return c is not None and any(d.get("val") in ("1", "true") for d in c.iter(qn("adec:decorative")))


def _has_text(el):
    return any((t.text or "").strip() for t in el.iter(qn("a:t")))


def _is_title(el):
    ph = ph_of(el)
    return el.tag == qn("p:sp") and ph is not None and ph[0] in TITLE_TYPES and _has_text(el)


def _read(el) -> str | None:
    """What a screen reader finds in a top-level shape: 'title', 'text', 'object', or None (nothing read)."""
    if _hidden(el) or _decorative(el):
        return None
    ph = ph_of(el)
    if ph is not None and ph[0] in _NOT_READ:
        return None
    if el.tag == qn("p:grpSp"):
        inner = [k for k in (_read(c) for c in shapes(el)) if k]
        return "title" if "title" in inner else "text" if "text" in inner else "object" if inner else None
    if el.tag == qn("p:sp"):
        if _is_title(el):
            return "title"
        if _has_text(el):
            return "text"
        return "object" if el.find("p:spPr/a:blipFill", NS) is not None else None
    if el.tag in (qn("p:pic"), qn("p:graphicFrame")):
        return "object"
    return None


def check_reading_order(findings, number, tree, layers, slide_size):
    read = [(el, kind) for el in shapes(tree) if (kind := _read(el))]
    if len(read) < 2:
        return
    findings.checked(Rule.READING_ORDER)
    names = {id(el): _name(el) for el, _ in read}
    title = next((i for i, (_, kind) in enumerate(read) if kind == "title"), None)
    if title:                                            # not None and not first
        first = read[0][0]
        findings.add(Rule.READING_ORDER, number, cnvpr(first).get("id", "") if cnvpr(first) is not None else "",
                     names[id(first)], f"“{names[id(first)]}” is read before the slide title",
                     _FIX_ORDER.format(what="the title to the top"))
        return
    texts = [(el, layers.box(el)) for el, kind in read if kind == "text"]
    if len(texts) > MAX_ORDERED:
        return
    texts = [(el, b) for el, b in texts if b and b[2] > 0 and b[3] > 0 and _on_slide(b, slide_size)]
    stand_in = title is None and texts and texts[0][0] is next((el for el, kind in read if kind == "text"), None)
    for i, (a, ba) in enumerate(texts):
        for b, bb in texts[i + 1:]:
            if i == 0 and stand_in and ba[2] * ba[3] > bb[2] * bb[3]:
                continue
            if bb[1] + bb[3] <= ba[1] and _overlap(ba, bb) >= 0.5 * min(ba[2], bb[2]):
                findings.add(Rule.READING_ORDER, number, cnvpr(b).get("id", ""), names[id(b)],
                             f"“{names[id(b)]}” is read after “{names[id(a)]}” but sits above it",
                             _FIX_ORDER.format(what=f"“{names[id(b)]}” above “{names[id(a)]}”"))
                return


def _name(el):
    c = cnvpr(el)
    return (c.get("name") or c.get("id") or "a shape") if c is not None else "a shape"


def _overlap(a, b):
    return min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])


def _on_slide(box, size):
    return not size or (box[0] < size[0] and box[1] < size[1] and box[0] + box[2] > 0 and box[1] + box[3] > 0)


def check_table(findings, number, frame):
    tbl = frame.find("a:graphic/a:graphicData/a:tbl", NS)
    if tbl is None:
        return
    c = cnvpr(frame)
    sid, name = (c.get("id", ""), c.get("name", "")) if c is not None else ("", "")
    rows = tbl.findall("a:tr", NS)
    if len(rows) >= 2:                              # a one-row table has no data for a header to explain
        findings.checked(Rule.TABLE_HEADER)
        pr = tbl.find("a:tblPr", NS)
        if pr is None or pr.get("firstRow") not in ("1", "true"):
            findings.add(Rule.TABLE_HEADER, number, sid, name, "the table has no header row", _FIX_HEADER)
    findings.checked(Rule.TABLE_MERGED)
    merged = sum(1 for tr in rows for tc in tr.iterfind("a:tc", NS)
                 if _int(tc.get("gridSpan")) > 1 or _int(tc.get("rowSpan")) > 1
                 or tc.get("hMerge") in ("1", "true") or tc.get("vMerge") in ("1", "true"))
    if merged:
        findings.add(Rule.TABLE_MERGED, number, sid, name,
                     f"the table has {merged} merged or split cell(s), which screen readers lose their place in",
                     _FIX_MERGED)


def _int(v):
    try:
        return int(v) if v else 0
    except ValueError:
        return 0


def check_sections(findings, pres):
    """Section names of presentation.xml (p14:sectionLst): default names, then duplicates."""
    seen = set()
    for section in pres.iterfind("p:extLst/p:ext/p14:sectionLst/p14:section", NS):
        name = section.get("name", "")
        key = " ".join(name.split()).casefold()
        findings.checked(Rule.SECTION_NAME)
        if not key or key in DEFAULT_SECTIONS:
            findings.add(Rule.SECTION_NAME, None, "", "",
                         f"a section is named “{name}”" if key else "a section has no name", _FIX_SECTION)
        elif key in seen:
            findings.add(Rule.SECTION_NAME, None, "", "", f"two sections are named “{name}”", _FIX_SECTION,
                         severity="tip")
        seen.add(key)
