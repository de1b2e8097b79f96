"""The lang-missing rule: text a screen reader cannot pronounce rightly because no language is set.

A run's language is its `a:rPr/@lang`, else its list styles' `a:defRPr/@lang`.  A deck default
(`p:defaultTextStyle` or the masters' text styles with a language, or `dc:language` in
docProps/core.xml) covers every run, so a deck with one has no finding.  One finding per slide.
"""
from ...vocab import Rule
from ..ns import NS, qn

_FIX = ("select the text (or all slides' text) and set its language: Review > Language > Set Proofing Language; "
        "File > Options > Language sets the default for new text")


def _lang(el):
    v = el.get("lang") if el is not None else None
    return v if v and v.lower() != "x-none" else None


def deck_default(pkg, masters) -> str | None:
    """The deck's default text language, or None."""
    pres = pkg.xml(pkg.main)
    style = pres.find("p:defaultTextStyle", NS)
    candidates = [style] + [m.find("p:txStyles", NS) for m in masters if m is not None]
    for c in candidates:
        if c is None:
            continue
        for d in c.iter(qn("a:defRPr")):
            if _lang(d):
                return _lang(d)
    for rel in pkg.rels("").values():
        if rel.type == "core-properties" and not rel.external and pkg.has(rel.target):
            for el in pkg.xml(rel.target).iter("{http://purl.org/dc/elements/1.1/}language"):
                if (el.text or "").strip():
                    return el.text.strip()
    return None


def unlabelled_runs(body, inherited_styles) -> int:
    """Runs with text and no language in a text body (`inherited_styles`: list styles above its own)."""
    styles = [body.find("a:lstStyle", NS)] + list(inherited_styles)
    if any(_lang(d) for s in styles if s is not None for d in s.iter(qn("a:defRPr"))):
        return 0
    n = 0
    for r in body.iter(qn("a:r")):
        if "".join(t.text or "" for t in r.iter(qn("a:t"))).strip() and not _lang(r.find("a:rPr", NS)):
            n += 1
    return n


def slide_finding(findings, number, runs: int):
    findings.checked(Rule.LANG_MISSING)
    if runs:
        findings.add(Rule.LANG_MISSING, number, "", "",
                     f"{runs} text run(s) have no language and the deck sets no default", _FIX)
