"""The link-text rule: a hyperlink's visible text must say where it leads (WCAG 2.4.4).

A link is a run of text (consecutive runs of one paragraph with the same target) whose `a:rPr`
has `a:hlinkClick`.  It fails when its text is empty, a web address, or a word that says nothing
out of context ("click here", "here", "more", "link", and their German, French, Spanish forms).
"""
import re

from ...vocab import Rule
from ..ns import NS, qn

_GENERIC = {
    # English
    "click here", "click", "here", "more", "link", "read more", "learn more", "more info", "this link",
    "click this link", "see here", "go here",
    # German
    "hier klicken", "klicken sie hier", "hier", "mehr", "weiter", "weiterlesen", "mehr erfahren", "mehr lesen",
    "link", "dieser link",
    # French
    "cliquez ici", "cliquer ici", "ici", "plus", "lien", "ce lien", "en savoir plus", "lire la suite", "suite",
    # Spanish
    "haga clic aquí", "haz clic aquí", "clic aquí", "pulse aquí", "pulsa aquí", "aquí", "más", "enlace",
    "este enlace", "vínculo", "leer más", "ver más", "más información",
}
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.|mailto:)\S*$|^[\w-]+(?:\.[\w-]+)+(?:/\S*)?$", re.I)
_FIX_GENERIC = "write link text that names the destination (e.g. “the course syllabus”) instead of “{text}”"
_FIX_URL = "replace the address with words that name the destination (e.g. “WCAG 2.2 quick reference”)"
_FIX_EMPTY = "give the link visible text that names its destination, or remove the empty link"


def _norm(text):
    return " ".join(text.casefold().strip(" \t.:;,!?…»«\"'“”()[]→>").split())


def check_paragraphs(paras, shape_id, shape, rels, findings, number):
    """Judge the links in a shape's paragraphs (`rels`: the slide's relationships)."""
    for p in paras:
        links, current = [], None
        for r in p:
            if r.tag not in (qn("a:r"), qn("a:fld")):
                if r.tag == qn("a:br"):
                    current = None
                continue
            click = r.find("a:rPr/a:hlinkClick", NS)
            if click is None:
                current = None
                continue
            target = (click.get(qn("r:id")) or "", click.get("action") or "")
            text = "".join(t.text or "" for t in r.iter(qn("a:t")))
            if current is not None and current[0] == target:
                current[1].append(text)
            else:
                current = (target, [text])
                links.append(current)
        for (rid, action), texts in links:
            text = " ".join("".join(texts).split())
            rel = rels.get(rid) if rid else None
            url = rel.target if rel is not None and rel.external else ""
            findings.checked(Rule.LINK_TEXT)
            if not text:
                findings.add(Rule.LINK_TEXT, number, shape_id, shape,
                             f"a link{' to ' + url if url else ''} has no text", _FIX_EMPTY)
            elif _URL.match(text) or (url and _norm(text) == _norm(url)):
                findings.add(Rule.LINK_TEXT, number, shape_id, shape,
                             f"link text “{text}” is a web address, which a screen reader spells out", _FIX_URL)
            elif _norm(text) in _GENERIC:
                findings.add(Rule.LINK_TEXT, number, shape_id, shape,
                             f"link text “{text}” does not say where the link leads", _FIX_GENERIC.format(text=text))
