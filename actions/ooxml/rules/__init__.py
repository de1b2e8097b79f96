"""The deck accessibility check: what PowerPoint's Accessibility Checker finds, evaluated in the build.

The scan (ooxml/scan.py) hands each slide's parsed XML to a `checker.DeckChecker` while it walks
the deck, so the rules cost no second parse; the alt-* rules run once the build knows every
object's final text (alt.py).  Findings go into the deck's report in the contract's shape
(`Finding.as_dict`), with `checks`: how many things each rule looked at, for the score.

This module stays light (no lxml): the tasks' settings import RULES_VERSION and RuleSet to
compute the digest that rebuilds every deck when the rules or their configuration change.
"""
from dataclasses import dataclass

from ...vocab import OFF, RULE_SEVERITY, Rule, Severity

RULES_VERSION = 1          # bump when a rule's logic changes: every deck's findings are evaluated again


@dataclass
class Finding:
    rule: str
    severity: str
    slide: int | None
    shape_id: str
    shape: str
    message: str
    fix: str

    def as_dict(self) -> dict:
        """The report's shape (the contract users and other tools read)."""
        return {"rule": self.rule, "severity": self.severity, "slide": self.slide, "shape_id": self.shape_id,
                "shape": self.shape, "message": self.message, "fix": self.fix}


class RuleSet:
    """Which rules run and at which severity (config `check.rules`), and the alt-text length target."""

    def __init__(self, severities: dict | None = None, max_chars: int = 150):
        self.severity = {}
        for rule in Rule:
            v = (severities or {}).get(rule.value, RULE_SEVERITY[rule])
            if v is not False and v != OFF:
                self.severity[rule] = Severity(v)
        self.max_chars = max_chars

    @classmethod
    def from_config(cls, cfg) -> "RuleSet":
        return cls(dict(cfg.check.get("rules") or {}), cfg.alt_text.max_chars)

    def on(self, rule) -> bool:
        return rule in self.severity

    def signature(self) -> dict:
        """What changes the findings besides the deck: part of the tasks' settings digest."""
        return {"version": RULES_VERSION, "severity": {str(r): str(s) for r, s in self.severity.items()},
                "max_chars": self.max_chars}


class Findings:
    """What a deck's rules found, how many things each rule checked, and what it could not check."""

    def __init__(self, ruleset: RuleSet):
        self.rules = ruleset
        self.items = []
        self.checks = {}
        self.unchecked = []

    def checked(self, rule, n=1):
        if self.rules.on(rule):
            self.checks[str(rule)] = self.checks.get(str(rule), 0) + n

    def add(self, rule, slide, shape_id, shape, message, fix, severity=None):
        """A finding at the rule's configured severity (`severity` may only lower it: a tip stays a tip)."""
        if not self.rules.on(rule):
            return
        level = self.rules.severity[rule]
        if severity is not None and _RANK[severity] > _RANK[level]:
            level = severity
        self.items.append(Finding(str(rule), str(level), slide, shape_id or "", shape or "", message, fix))

    def not_checked(self, rule, slide, shape_id, shape, why):
        if self.rules.on(rule):
            self.unchecked.append({"rule": str(rule), "slide": slide, "shape_id": shape_id or "",
                                   "shape": shape or "", "message": why})

    def report(self) -> dict:
        """The report's `findings`, `checks` and `unchecked`, in slide order."""
        order = sorted(self.items, key=lambda f: (f.slide is None, f.slide or 0, _RANK[f.severity]))
        return {"findings": [f.as_dict() for f in order], "checks": dict(sorted(self.checks.items())),
                "unchecked": self.unchecked}


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.TIP: 2}
