"""The accessibility findings of a course: waivers applied, scores per deck and for the course.

Reads what the build wrote (each deck's report: findings, and `checks`, how many things each rule
looked at) and what people decided (alt-text.yaml: `waive` on an object's entry, `waivers:` per
deck).  Waivers are applied here, not in the build, so accepting a finding rebuilds nothing.

Score: the share of checks passed (a check with an unwaived finding failed, whatever its
severity), rounded down, so 100 means nothing is left; bands as Blackboard Ally's: Low 0-33,
Medium 34-66, High 67-99, Perfect 100.  The course's score pools every deck's checks.
"""
from dataclasses import dataclass, field

from ..vocab import Severity, short_key

BANDS = ((100, "Perfect"), (67, "High"), (34, "Medium"), (0, "Low"))
SUMMARY_VERSION = 1


def band(score: int) -> str:
    return next(name for low, name in BANDS if score >= low)


def score_of(checks: int, failed: int) -> int:
    return 100 if checks <= 0 else (100 * max(checks - failed, 0)) // checks


@dataclass
class DeckFindings:
    """One deck's findings after waivers, and its score."""
    deck: str
    findings: list = field(default_factory=list)     # report finding dicts nobody waived
    waived: list = field(default_factory=list)       # (finding, how it was waived)
    unchecked: list = field(default_factory=list)    # what a rule could not judge ("not checked")
    checks: dict = field(default_factory=dict)       # rule -> things checked
    failed: dict = field(default_factory=dict)       # rule -> checks with a finding

    @property
    def score(self) -> int:
        return score_of(sum(self.checks.values()), sum(self.failed.values()))

    def count(self, severity) -> int:
        return sum(f["severity"] == severity for f in self.findings)


class Waivers:
    """The course's waivers, and which of them some finding used (the rest are worth removing)."""

    def __init__(self, entries: dict, deck_waivers: dict):
        self.entries, self.decks = entries, deck_waivers
        self.used = set()

    def why(self, rel, finding, key) -> str | None:
        """How `finding` (of the object with `key`, "" for none) is waived, or None."""
        e = self.entries.get(key) if key else None
        if e is not None and finding["rule"] in e.waive:
            self.used.add(("key", key, finding["rule"]))
            return f"waived on object {short_key(key)}"
        for i, w in enumerate(self.decks.get(rel, ())):
            if w.matches(finding):
                self.used.add(("deck", rel, i))
                return f"waived: {w.where()}" + (f" ({w.reason})" if w.reason else "")
        return None

    def unused(self, rels, keys_seen) -> list:
        """[(deck or "", what)] waivers no finding used, among decks checked and objects seen."""
        out = []
        for rel in rels:
            for i, w in enumerate(self.decks.get(rel, ())):
                if ("deck", rel, i) not in self.used:
                    out.append((rel, f"waiver {w.where()} matches no finding; remove it from `waivers:`"))
        for key in sorted(keys_seen):
            e = self.entries.get(key)
            for rule in (e.waive if e else ()):
                if ("key", key, rule) not in self.used:
                    out.append(("", f"object {short_key(key)} waives {rule}, which it no longer has; remove it"))
        return out


def course_totals(results) -> tuple:
    """(checks, failed checks) of all decks' DeckFindings: what the course's score pools."""
    return (sum(sum(r.checks.values()) for r in results), sum(sum(r.failed.values()) for r in results))


def deck_findings(rel, report, waivers: Waivers) -> DeckFindings:
    keys = {(o["slide"], o.get("id", "")): o.get("key") or "" for o in report.get("objects", [])}
    out = DeckFindings(rel, unchecked=list(report.get("unchecked", [])), checks=dict(report.get("checks", {})))
    for f in report.get("findings", []):
        how = waivers.why(rel, f, keys.get((f.get("slide"), f.get("shape_id")), "") if f.get("shape_id") else "")
        if how:
            out.waived.append((f, how))
        else:
            out.findings.append(f)
            out.failed[f["rule"]] = min(out.failed.get(f["rule"], 0) + 1, out.checks.get(f["rule"], 0))
    return out


def course_summary(results: list, problems: dict, passed: bool, strict: bool) -> dict:
    """The course summary `altdeck check --json` prints: scores, counts per severity and rule, per deck.

    `results`: DeckFindings of the decks whose report is current; `problems`: {deck: why it has none}.
    """
    checks, failed = course_totals(results)
    rules = {}
    for r in results:
        for rule, n in r.checks.items():
            row = rules.setdefault(rule, {"checks": 0, "findings": 0, "waived": 0})
            row["checks"] += n
        for f in r.findings:
            rules.setdefault(f["rule"], {"checks": 0, "findings": 0, "waived": 0})["findings"] += 1
        for f, _ in r.waived:
            rules.setdefault(f["rule"], {"checks": 0, "findings": 0, "waived": 0})["waived"] += 1
    score = score_of(checks, failed)
    decks = [{"deck": r.deck, "state": "checked", "score": r.score, "band": band(r.score),
              "checks": sum(r.checks.values()), "failed": sum(r.failed.values()),
              **{str(s): r.count(s) for s in Severity}, "waived": len(r.waived), "not_checked": len(r.unchecked)}
             for r in results]
    decks += [{"deck": rel, "state": why} for rel, why in problems.items()]
    return {
        "summary_version": SUMMARY_VERSION, "passed": passed, "strict": strict,
        "score": score, "band": band(score), "checks": checks, "failed": failed,
        **{str(s): sum(r.count(s) for r in results) for s in Severity},
        "waived": sum(len(r.waived) for r in results), "not_checked": sum(len(r.unchecked) for r in results),
        "decks_checked": len(results), "decks_not_checked": len(problems),
        "rules": dict(sorted(rules.items())),
        "decks": sorted(decks, key=lambda d: d["deck"]),
    }
