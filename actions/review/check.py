"""The publish check: the accessibility findings of every deck, and whether the course may be published.

Reads only the JSON reports and the alt-text file (no model, no network, no deck opened, no lock:
it runs while a build does, on the last finished state).  Each deck's report holds its findings
(ooxml/rules): errors fail the check, warnings fail it with --strict, tips never; waivers in
alt-text.yaml are applied (review/findings.py).  A deck whose report is missing, or written for
other deck bytes (the report holds the deck's sha256) or with another `existing_alt`, or that
the alt-text file has changed since, is itself an error: "run altdeck".  So is model text the file
does not hold (a build whose answers were never folded into it): a clean clone, built offline as
CI does, would not have it.  The check never builds: a build may need a model, and a git hook
must not wait for one.  Every finding names its fix (`altdeck alt --key K --text "..."`, ...).

Deck hashes are cached by (size, mtime) in the state folder, so a check with nothing changed reads
no deck; a fresh clone (new mtimes) hashes each once.
"""
import json
import os
from dataclasses import dataclass

from .. import discover
from ..errors import printable
from ..files import write_text
from ..ooxml.xmledit import clean_xml_text
from ..store import altfile, freshness
from ..store.reports import REPORT_VERSION, file_sha256, read_report
from ..vocab import MACHINE_FREE, Decision, Severity, Source, short_key
from .findings import Waivers, band, course_summary, course_totals, deck_findings, score_of

STATE, FINDING, REVIEW, NOTE = "state", "finding", "review", "note"


@dataclass
class Gap:
    """One line of the check: a finding, a deck that needs a build, unreviewed text, or a note."""
    deck: str
    slide: int | None
    shape: str
    reason: str
    kind: str = STATE
    severity: str = Severity.ERROR

    def __str__(self):
        where = f"{self.deck}:{self.slide}" if self.slide is not None else self.deck
        return printable(f"{where}: {self.shape} — {self.reason}")        # names and reasons come from decks

    def fails(self, strict) -> bool:
        if self.kind in (STATE, REVIEW):
            return True
        if self.kind == FINDING:
            return self.severity == Severity.ERROR or (strict and self.severity == Severity.WARNING)
        return False


class DeckHashes:
    """sha256 of decks, remembered by (size, mtime_ns) in the state folder."""

    def __init__(self, cfg):
        self.path = cfg.root_dir / cfg.state_dir / "deck-hashes.json"
        try:
            with open(self.path, encoding="utf-8") as f:
                self.known = json.load(f)
        except (OSError, ValueError):
            self.known = {}
        self.changed = False

    def of(self, path, rel) -> str:
        st = os.stat(path)
        stamp = [st.st_size, st.st_mtime_ns]
        hit = self.known.get(rel)
        if hit and hit[0] == stamp:
            return hit[1]
        digest = file_sha256(path)
        self.known[rel], self.changed = [stamp, digest], True
        return digest

    def save(self):
        if self.changed:
            try:
                write_text(self.path, json.dumps(self.known, sort_keys=True))
            except OSError:
                pass                      # a cache: the next check hashes again


@dataclass
class Outcome:
    gaps: list            # Gap lines, in deck order
    decks: int            # decks checked
    results: list         # findings.DeckFindings of decks with a current report
    problems: dict        # {deck: why it could not be checked}
    strict: bool

    @property
    def failing(self) -> list:
        return [g for g in self.gaps if g.fails(self.strict)]

    @property
    def score(self) -> int:
        return score_of(*course_totals(self.results))

    def summary(self) -> dict:
        return course_summary(self.results, self.problems, not self.failing, self.strict)

    def line(self) -> str:
        """One line: what fails (or that nothing does), the counts, the course's score."""
        count = {s: sum(r.count(s) for r in self.results) for s in Severity}
        waived = sum(len(r.waived) for r in self.results)
        rebuild = sum(g.kind == STATE for g in self.gaps)
        unreviewed = sum(g.kind == REVIEW for g in self.gaps)
        score = f"course score {self.score}% ({band(self.score)})" if self.results else "no deck checked yet"
        tail = (f"{count[Severity.WARNING]} warning(s), {count[Severity.TIP]} tip(s)"
                + (f", {waived} waived" if waived else "") + f"; {score}")
        if not self.failing:
            return (f"check: all {self.decks} deck(s) pass (alt text on every object, no errors"
                    + (" or warnings, model text reviewed" if self.strict else "") + f"): {tail}")
        parts = [f"{count[Severity.ERROR]} error(s)"]
        if self.strict:
            parts[0] += f" and {count[Severity.WARNING]} warning(s)"
        if rebuild:
            parts.append(f"{rebuild} to rebuild (run altdeck)")
        if unreviewed:
            parts.append(f"{unreviewed} model text(s) not reviewed")
        decks = len({g.deck for g in self.failing})
        return f"check: {', '.join(parts)} in {decks} of {self.decks} deck(s); {tail}"


def run(cfg, strict: bool) -> Outcome:
    """Check every deck of the course (`strict`: warnings and unreviewed model text fail too)."""
    entries, deck_waivers = altfile.read_all(cfg.root_dir / cfg.store_file)
    waivers = Waivers(entries, deck_waivers)
    hashes = DeckHashes(cfg)
    gaps, results, problems, keys = [], [], {}, set()
    decks = discover.find_decks(cfg)
    for rel in decks:
        report, deck_gaps = current_report(cfg, rel, hashes)
        gaps += deck_gaps
        if report is None:
            problems[rel] = deck_gaps[0].reason
            continue
        keys.update(o["key"] for o in report.get("objects", []) if o.get("key"))
        result = deck_findings(rel, report, waivers)
        results.append(result)
        gaps += object_gaps(cfg, rel, report, entries, strict)
        gaps += [Gap(rel, f["slide"], f.get("shape") or ("(slide)" if f["slide"] is not None else "(deck)"),
                     f"{f['severity']} {f['rule']}: {f['message']}; fix: {f['fix']}", FINDING, f["severity"])
                 for f in result.findings]
    hashes.save()
    gaps += [Gap(rel or cfg.store_file, None, "(waiver)", f"note: {what}", NOTE, "")
             for rel, what in waivers.unused([r.deck for r in results], keys)]
    return Outcome(gaps, len(decks), results, problems, strict)


def unbuilt(cfg, rel, report, hashes) -> str | None:
    """Why the deck as a whole needs a build before its report can be trusted, or None."""
    problem = discover.name_problem(rel)
    if problem:
        return problem
    src = cfg.root_dir / rel
    if not os.path.isfile(src):
        return "not a readable file"
    if report is None:
        return "not built yet (no report); run altdeck"
    if report.get("report_version") != REPORT_VERSION or report.get("deck_sha256") != hashes.of(src, rel):
        return "changed since its last build; run altdeck"
    if report.get("existing_alt") != cfg.existing_alt:
        return f"built with existing_alt: {report.get('existing_alt')}, config.yaml now says {cfg.existing_alt}; run altdeck"
    return None


def current_report(cfg, rel, hashes) -> tuple:
    """-> (the deck's report, []) when it is current, else (None, [the gap saying why])."""
    report = None if discover.name_problem(rel) else read_report(cfg, rel)
    why = unbuilt(cfg, rel, report, hashes)
    if why:
        return None, [Gap(discover.shown(rel), None, "(deck)", why)]
    return report, []


def object_gaps(cfg, rel, report, entries, strict) -> list:
    """Objects whose text alt-text.yaml changed since the build, or does not hold; with `strict`, model
    text nobody reviewed.  (An object without alt text is a finding: alt-missing.)"""
    gaps = []
    outdated = {id(o) for o in freshness.outdated_objects(report, entries)}
    for o in report.get("objects", []):
        shape = o.get("name") or o.get("kind", "object")
        key = short_key(o["key"]) if o.get("key") else ""
        if id(o) in outdated:
            gaps.append(Gap(rel, o["slide"], shape, f"its text changed in {cfg.store_file}; run altdeck"))
        elif o["decision"] == Decision.DESCRIBED and o.get("source") not in MACHINE_FREE and not _held(o, entries):
            gaps.append(Gap(rel, o["slide"], shape, f"its text by {o['source']} is not in {cfg.store_file} "
                                                    "(a build was stopped before saving it); run altdeck"))
        elif strict and (o["decision"] == Decision.DESCRIBED and o.get("source") not in MACHINE_FREE
                         or o["decision"] == Decision.DECORATIVE and o.get("source") == Source.AUTO):
            e = entries.get(o.get("key") or "")
            if not (e and e.protected):
                what = (f"text by {o['source']}" if o["decision"] == Decision.DESCRIBED else
                        f"decorative by altdeck's rules ({o.get('reason')})")
                gaps.append(Gap(rel, o["slide"], shape, f"{what} not reviewed"
                                + (f" (altdeck alt --key {key} --reviewed)" if key else ""), REVIEW))
    return gaps


def _held(o, entries) -> bool:
    """Whether the alt-text file holds the text a model gave this object (a fresh clone then gets it too)."""
    e = entries.get(o.get("key") or "")
    return e is not None and not e.decorative and clean_xml_text(e.text) == o.get("text")
