"""The publish check: is every object in every deck described or decorative?

Reads only the JSON reports and the alt-text file (no model, no network, no
deck opened, no lock: it runs while a build does, on the last finished state).
A deck whose report is missing, or written for other deck bytes (the report
holds the deck's sha256) or with another `existing_alt`, or that the alt-text
file has changed since, is itself a gap: "run altdeck".  So is model text the
file does not hold (a build whose answers were never folded into it): a clean
clone, built offline as CI does, would not have it.  The check never builds:
a build may need a model, and a git hook must not wait for one.  Every gap of
an object names the command that closes it (`altdeck alt --key K --text "..."`
or `--decorative`).

Deck hashes are cached by (size, mtime) in the state folder, so a check with
nothing changed reads no deck; a fresh clone (new mtimes) hashes each once.
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
from ..vocab import MACHINE_FREE, Decision, Source, short_key


@dataclass
class Gap:
    deck: str
    slide: int | None
    shape: str
    reason: str

    def __str__(self):
        where = f"{self.deck}:{self.slide}" if self.slide is not None else self.deck
        return printable(f"{where}: {self.shape} — {self.reason}")        # names and reasons come from decks


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


def find_gaps(cfg, strict: bool) -> tuple:
    """-> (gaps, number of decks checked)."""
    entries = altfile.read(cfg.root_dir / cfg.store_file)
    hashes = DeckHashes(cfg)
    gaps, decks = [], discover.find_decks(cfg)
    for rel in decks:
        gaps += deck_gaps(cfg, rel, entries, hashes, strict)
    hashes.save()
    return gaps, len(decks)


def unbuilt(cfg, rel, report, hashes) -> str | None:
    """Why the deck as a whole needs a build before its report can be trusted, or None."""
    src = cfg.root_dir / rel
    problem = discover.name_problem(rel)
    if problem:
        return problem
    if not os.path.isfile(src):
        return "not a readable file"
    if report is None:
        return "not built yet (no report); run altdeck"
    if report.get("report_version") != REPORT_VERSION or report.get("deck_sha256") != hashes.of(src, rel):
        return "changed since its last build; run altdeck"
    if report.get("existing_alt") != cfg.existing_alt:
        return f"built with existing_alt: {report.get('existing_alt')}, config.yaml now says {cfg.existing_alt}; run altdeck"
    return None


def deck_gaps(cfg, rel, entries, hashes, strict) -> list:
    report = None if discover.name_problem(rel) else read_report(cfg, rel)
    why = unbuilt(cfg, rel, report, hashes)
    if why:
        return [Gap(discover.shown(rel), None, "(deck)", why)]
    gaps = []
    outdated = {id(o) for o in freshness.outdated_objects(report, entries)}
    for o in report.get("objects", []):
        shape = o.get("name") or o.get("kind", "object")
        key = short_key(o["key"]) if o.get("key") else ""
        if id(o) in outdated:
            gaps.append(Gap(rel, o["slide"], shape, f"its text changed in {cfg.store_file}; run altdeck"))
        elif o["decision"] == Decision.PENDING:
            fix = f" (fix: altdeck alt --key {key} --text \"...\", or --decorative if screen readers should skip it)" \
                if key else ""
            gaps.append(Gap(rel, o["slide"], shape, f"no alt text: {o.get('reason') or 'pending'}{fix}"))
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
                                + (f" (altdeck alt --key {key} --reviewed)" if key else "")))
    return gaps


def _held(o, entries) -> bool:
    """Whether the alt-text file holds the text a model gave this object (a fresh clone then gets it too)."""
    e = entries.get(o.get("key") or "")
    return e is not None and not e.decorative and clean_xml_text(e.text) == o.get("text")
