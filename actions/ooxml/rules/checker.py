"""One deck's accessibility check, fed slide by slide by the scan (one parse, one walk per slide).

`DeckChecker.slide` runs the slide rules on the slide's parsed tree as the scan meets it;
`finish` runs the deck-wide ones (duplicate titles, section names); `alt` the alt-* rules once
the build knows the final texts; `report()` gives the report's findings, checks and unchecked.
"""
from ...errors import DeckError
from ...vocab import Rule
from .. import geometry
from ..ns import NS, qn
from . import Findings, RuleSet
from .alt import check_objects
from .contrast import Below, check_shape
from .language import deck_default, slide_finding, unlabelled_runs
from .layers import Layer, SlideLayers, shapes
from .links import check_paragraphs
from .structure import check_duplicate_titles, check_reading_order, check_sections, check_table, check_title


class DeckChecker:
    def __init__(self, pkg, ruleset: RuleSet):
        self.pkg, self.rules = pkg, ruleset
        self.findings = Findings(ruleset)
        self._layers, self._themes = {}, {}
        self.pres = pkg.xml(pkg.main)
        self.default_style = self.pres.find("p:defaultTextStyle", NS)
        self.slide_size = geometry.slide_size(pkg)
        self.titles, self.texts = [], {}
        self._lang = None

    # parts shared by many slides, read once; a damaged one is judged as absent (the deck still builds)
    def layer(self, part) -> Layer:
        if part not in self._layers:
            try:
                self._layers[part] = Layer(self.pkg, part)
            except DeckError:
                self._layers[part] = Layer(self.pkg, None)
        return self._layers[part]

    def theme(self, part):
        if part not in self._themes:
            try:
                self._themes[part] = self.pkg.xml(part) if part else None
            except DeckError:
                self._themes[part] = None
        return self._themes[part]

    def _deck_language(self, layers):
        if self._lang is None:
            try:
                self._lang = deck_default(self.pkg, [layers.master.root]) or ""
            except DeckError:                    # a damaged docProps/core.xml: no default from it
                self._lang = ""
        return self._lang

    def slide(self, number, part, root, title):
        """The slide rules on one slide (`title`: the scan's title text)."""
        on, f = self.rules.on, self.findings
        self.titles.append((number, title))
        check_title(f, number, title)
        tree = root.find("p:cSld/p:spTree", NS)
        if tree is None:
            return
        needs_layers = on(Rule.READING_ORDER) or on(Rule.CONTRAST) or on(Rule.LANG_MISSING)
        layers = SlideLayers(self, self.pkg, part, root) if needs_layers else None    # layout, master, theme
        if on(Rule.READING_ORDER):
            check_reading_order(f, number, tree, layers, self.slide_size)
        rels = self.pkg.rels(part) if on(Rule.LINK_TEXT) else {}
        paragraphs, unlabelled, below = [], 0, Below(layers) if on(Rule.CONTRAST) else None
        lang = on(Rule.LANG_MISSING) and not self._deck_language(layers)
        for el, path in _walk(tree, [(tree, 0, None)]):
            c = el.find("*/p:cNvPr", NS)
            sid, name = (c.get("id", ""), c.get("name", "")) if c is not None else ("", "")
            if el.tag == qn("p:graphicFrame"):
                check_table(f, number, el)
                if on(Rule.LINK_TEXT):
                    check_paragraphs(el.iter(qn("a:p")), sid, name, rels, f, number)
                continue
            if el.tag != qn("p:sp") or el.find("p:txBody", NS) is None:
                continue
            body = el.find("p:txBody", NS)
            ph = el.find("*/p:nvPr/p:ph", NS)
            if ph is None or ph.get("type") not in ("title", "ctrTitle"):
                paragraphs += [t for p in body.iterfind("a:p", NS)
                               if (t := " ".join("".join(x.text or "" for x in p.iter(qn("a:t"))).split()))]
            if on(Rule.LINK_TEXT):
                check_paragraphs(body.iterfind("a:p", NS), sid, name, rels, f, number)
            if on(Rule.CONTRAST) and not (c is not None and c.get("hidden") in ("1", "true")):
                check_shape(el, path, layers, below, self.slide_size, f, number)
            if lang:
                inherited = [p.find("p:txBody/a:lstStyle", NS) for p in layers.inherited(el) if p is not None]
                unlabelled += unlabelled_runs(body, inherited)
        self.texts[number] = paragraphs
        if on(Rule.LANG_MISSING) and (paragraphs or title):
            slide_finding(f, number, unlabelled if lang else 0)

    def finish(self):
        """The deck-wide rules, after the last slide."""
        check_duplicate_titles(self.findings, self.titles)
        check_sections(self.findings, self.pres)

    def alt(self, objects):
        """The alt-* rules on the report's objects (their final decisions and texts)."""
        check_objects(self.findings, objects, dict(self.titles), self.texts)

    def report(self) -> dict:
        return self.findings.report()


def _walk(container, path):
    """Every shape under a spTree, groups included, with its path [(container, index, unit)]:
    the index is of the shape (or its mc:AlternateContent wrapper) among the container's children."""
    for el in shapes(container):
        wrapper = el
        while wrapper.getparent() is not container:
            wrapper = wrapper.getparent()
        here = path[:-1] + [(container, container.index(wrapper), el)]
        yield el, here
        if el.tag == qn("p:grpSp"):
            yield from _walk(el, here + [(el, 0, None)])
