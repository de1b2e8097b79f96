"""What a review shows: one row per distinct object key, built from the reports and alt-text.yaml.

Shared by the static export (page.py) and the review app (app.py).  An
object used in six decks is one row listing its six places (deck, slide,
title); its status is the most urgent of its places' (a pending place makes
the row pending).  Objects without a key yet are rows of their own (grouped
by image) and cannot be acted on.  Slide titles, texts and notes (the
model's context) come from scanning the decks, cached by each deck's size
and mtime, so a course is scanned once per app session.  No model, no
network.
"""
import hashlib
import json
import os
import threading
from collections import Counter
from dataclasses import dataclass, field

from .. import discover
from ..alttext import IMAGE_OF, placeholder_reason, repeats
from ..errors import AltdeckError
from ..store import altfile, freshness
from ..store.altfile import HUMAN, Entry, signature_digest
from ..store.reports import read_report
from ..vocab import MACHINE_FREE, Decision, Kind, Status
from .check import DeckHashes, unbuilt
from .decisions import fingerprint
from .findings import Waivers, deck_findings as judged

# The most urgent first: a row shows the most urgent status of its places, and sorts by it.
STATUS_ORDER = (Status.PENDING, Status.STALE, Status.UNREVIEWED, Status.HUMAN, Status.REVIEWED,
                Status.DECORATIVE, Status.KEPT, Status.OFFLINE)
STATUS_HELP = {
    Status.PENDING: "no alt text yet",
    Status.STALE: "changed in alt-text.yaml: rebuild the decks",
    Status.UNREVIEWED: "a model's text nobody accepted",
    Status.HUMAN: "a person's text",
    Status.REVIEWED: "a model's text a person accepted",
    Status.DECORATIVE: "screen readers skip it",
    Status.KEPT: "the deck's own alt text",
    Status.OFFLINE: "described from its data",
}


def status_of(o, entry, outdated) -> str:
    """One report object's status, given its entry in alt-text.yaml and whether its deck is behind the file."""
    if outdated:
        return Status.STALE
    d = o["decision"]
    if d in (Decision.PENDING, Decision.DECORATIVE, Decision.KEPT):
        return Status(d)
    if o.get("source") == HUMAN or (entry and entry.source == HUMAN):
        return Status.HUMAN
    if entry and entry.reviewed:
        return Status.REVIEWED
    return Status.OFFLINE if o.get("source") in MACHINE_FREE else Status.UNREVIEWED


def warnings(text: str, titles, max_chars: int) -> list:
    """What a reviewer should look at again in a text (shown while editing; none of it blocks a save)."""
    t = " ".join((text or "").split())
    if not t:
        return []
    out = []
    if len(t) > max_chars:
        out.append(f"{len(t)} characters, over alt_text.max_chars ({max_chars}): say less, or put details on the slide")
    why = placeholder_reason(t)
    if why:
        out.append(f"looks like {why}, not a description")
    opener = IMAGE_OF.match(t)                  # the alt-* rules' own tests (alttext.py)
    if opener:
        out.append(f'starts with "{opener.group(0).strip()}": screen readers already say it is an image')
    if any(repeats(t, title) for title in titles if title):
        out.append("the same words as the slide title: say what the picture shows instead")
    return out


@dataclass
class SlideInfo:
    title: str
    text: str
    notes: str


@dataclass
class DeckScan:
    """What the review needs from a deck itself: slide context and where each object's image is."""
    slides: dict            # number -> SlideInfo
    images: dict            # (slide, shape id; "" for a background) -> image part
    boxes: dict = field(default_factory=dict)     # (slide, shape id) -> (x, y, w, h) in EMU: for crops
    error: str = ""


@dataclass
class Shown:
    """A finding the page shows, and where waiving it from the page puts the waiver."""
    id: str                  # DOM-safe; the same while the deck's report is (api/waive names it)
    deck: str
    finding: dict            # as the report has it
    key: str = ""            # the object's key: waived on the object (decisions.waive --key), else on the deck
    on_entry: bool = False   # the waiver goes on the object's entry, which keeps no reason
    uid: str = ""            # the row showing it ("" for the deck's own findings)

    @property
    def target(self) -> str:
        """What the finding is on, in words: the object's key, else deck, slide and shape."""
        if self.key:
            return self.key[:12]
        f = self.finding
        return (self.deck + (f" slide {f['slide']}" if f.get("slide") is not None else "")
                + (f" {f['shape']}" if f.get("shape") else ""))

    def waiver(self) -> dict:
        """decisions.waive's arguments (altdeck waive's options) that waive this finding and no other."""
        f = self.finding
        if self.key:
            return {"rule": f["rule"], "key": self.key}
        return {"rule": f["rule"], "deck": self.deck, "slide": f.get("slide"),
                "shape": f.get("shape_id") or f.get("shape") or ""}


def finding_id(deck: str, finding: dict, seen: dict) -> str:
    """A finding's id on the page, from what it says (`seen` counts the ids given: a second finding
    saying the same, e.g. two "click here" links in one text box, gets its own)."""
    fid = "f" + hashlib.sha256(json.dumps([deck, finding], sort_keys=True).encode("utf-8")).hexdigest()[:16]
    seen[fid] = seen.get(fid, -1) + 1
    return fid + (f"-{seen[fid]}" if seen[fid] else "")


@dataclass
class Place:
    deck: str
    slide: int
    shape: str               # the shape's name
    shape_id: str
    status: str
    text: str                # what the deck got in its last build
    source: str              # who wrote that text
    outdated: bool           # the deck's copy is behind alt-text.yaml for this object


@dataclass
class Item:
    """One row: an object key (or an object without one) and every place it appears."""
    uid: str                 # DOM-safe, unique in the view
    key: str                 # "" when the object has none yet: shown, not acted on
    kind: str
    image: str               # sha256 of its image bytes, "" when it has none
    entry: Entry | None
    places: list = field(default_factory=list)
    status: str = ""
    text: str = ""
    source: str = ""
    note: str = ""           # why it is pending
    reason: str = ""         # why it is decorative (altdeck's rule, or a person's decision)
    transcription: str = ""  # a picture of text's whole text, read by OCR
    editable: bool = False   # alt-text.yaml decides its text in at least one place
    model: Entry | None = None      # the model's text a person replaced (Revert goes back to it)
    findings: list = field(default_factory=list)    # Shown
    warnings: list = field(default_factory=list)
    order: int = 0           # its place in the view (deck, then slide): the page's default order

    @property
    def key12(self) -> str:
        return self.key[:12]

    @property
    def base(self) -> str:
        """The fingerprint of the entry as shown: an action on it is refused if the file changed since."""
        return fingerprint(self.entry)

    @property
    def can_accept(self) -> bool:
        e = self.entry
        return self.editable and e is not None and not e.protected and bool(e.text or e.decorative)

    @property
    def can_revert(self) -> bool:
        e = self.entry
        return (self.editable and self.model is not None and e is not None and e.source == HUMAN
                and (e.decorative or e.text != self.model.text))

    @property
    def decks(self) -> list:
        return list(dict.fromkeys(p.deck for p in self.places))


@dataclass
class View:
    items: list
    decks: list              # every deck of the course
    problems: dict           # deck -> why it has no rows (not built, unreadable)
    rebuild: dict            # deck -> why it needs a build
    totals: Counter          # status -> rows
    max_chars: int
    deck_findings: dict      # deck -> findings (Shown) not on one of its objects (waived ones left out)
    checked: list = field(default_factory=list)    # findings.DeckFindings of each deck with a report: scores
    findings: dict = field(default_factory=dict)   # Shown.id -> Shown: every finding the page shows
    by_uid: dict = field(default_factory=dict)
    by_key: dict = field(default_factory=dict)

    def __post_init__(self):
        for n, item in enumerate(self.items):
            item.order = n
        self.by_uid = {i.uid: i for i in self.items}
        self.by_key = {i.key: i for i in self.items if i.key}

    @property
    def sources(self) -> list:
        return sorted({i.source for i in self.items if i.source})


class Course:
    """A course folder as the review sees it; deck scans are cached by size and mtime (thread-safe)."""

    def __init__(self, cfg):
        self.cfg = cfg
        self._scans = {}
        self._lock = threading.Lock()

    def scan(self, rel) -> DeckScan:
        path = self.cfg.root_dir / rel
        try:
            st = os.stat(path)
            stamp = (st.st_size, st.st_mtime_ns)
        except OSError as e:
            return DeckScan({}, {}, error=f"cannot be read ({e.strerror})")
        with self._lock:
            hit = self._scans.get(rel)
            if hit and hit[0] == stamp:
                return hit[1]
        result = _scan_deck(path, rel)
        with self._lock:
            self._scans[rel] = (stamp, result)
        return result

    def slide(self, rel, number) -> SlideInfo:
        return self.scan(rel).slides.get(number) or SlideInfo("", "", "")

    def view(self) -> View:
        """Everything the page shows, read now from the reports, alt-text.yaml and the decks."""
        cfg = self.cfg
        entries, deck_waivers = altfile.read_all(cfg.root_dir / cfg.store_file)
        waivers = Waivers(entries, deck_waivers)
        hashes = DeckHashes(cfg)
        groups, problems, rebuild, deck_findings, checked, shown = {}, {}, {}, {}, [], {}
        decks = discover.find_decks(cfg)
        for rel in decks:
            if discover.name_problem(rel):             # its name cannot be stored or shown as text
                problems[discover.shown(rel)] = discover.name_problem(rel)
                continue
            report = read_report(cfg, rel)
            why = unbuilt(cfg, rel, report, hashes)
            if why:
                rebuild[rel] = why
            if report is None:
                problems[rel] = why or "no report"
                continue
            checked.append(judged(rel, report, waivers))
            self._add_deck(rel, report, entries, groups, rebuild, deck_findings, checked[-1].findings, shown)
        hashes.save()
        items = list(groups.values())
        for item in items:
            _settle(item, self, cfg.alt_text.max_chars)
        totals = Counter(i.status for i in items)
        decks = [discover.shown(rel) for rel in decks]
        return View(items, decks, problems, rebuild, totals, cfg.alt_text.max_chars, deck_findings, checked, shown)

    def _add_deck(self, rel, report, entries, groups, rebuild, deck_findings, findings, shown):
        outdated = {id(o) for o in freshness.outdated_objects(report, entries)}
        if outdated and rel not in rebuild:
            rebuild[rel] = f"{len(outdated)} object(s) changed in {self.cfg.store_file}"
        describer = signature_digest(json.dumps(report.get("describer", {}), sort_keys=True))
        by_shape = {}
        for n, o in enumerate(report.get("objects", [])):
            key = o.get("key") or ""
            entry = entries.get(key) if key else None
            group = key or (f"image:{o['image']}" if o.get("image") else f"{rel}#{n}")
            item = groups.get(group)
            if item is None:
                uid = key if key else f"x{len(groups)}"
                item = groups[group] = Item(uid, key, o.get("kind", ""), o.get("image") or "", entry)
            status = status_of(o, entry, id(o) in outdated)
            item.places.append(Place(rel, o.get("slide") or 0, o.get("name", ""), o.get("id", ""), status,
                                     o.get("text", ""), o.get("source", ""), id(o) in outdated))
            item.editable = item.editable or (bool(key) and freshness.from_store(o))
            if o["decision"] == Decision.PENDING and o.get("reason") and not item.note:
                item.note = o["reason"]
            if o["decision"] == Decision.DECORATIVE and o.get("reason") and not item.reason:
                item.reason = o["reason"]
            item.transcription = item.transcription or o.get("transcription") or ""
            if (o["decision"] == Decision.DESCRIBED and o.get("source") not in MACHINE_FREE and o.get("text")
                    and item.model is None):
                item.model = Entry(o["text"], o["source"], describer)
            by_shape.setdefault((o.get("slide"), o.get("id", "")), item)
        seen = {}
        for f in findings:
            item = by_shape.get((f.get("slide"), f.get("shape_id") or "")) if f.get("shape_id") else None
            key, uid = (item.key, item.uid) if item is not None else ("", "")
            fid = finding_id(rel, f, seen)
            sf = shown[fid] = Shown(fid, rel, f, key, bool(key) and key in entries, uid)
            if item is not None:
                if all(f != other.finding for other in item.findings):     # the same object in another deck
                    item.findings.append(sf)
            else:
                deck_findings.setdefault(rel, []).append(sf)


def _settle(item, course, max_chars):
    """A row's status, text and source from its places and its entry."""
    item.status = min((p.status for p in item.places), key=STATUS_ORDER.index)
    e = item.entry
    first = item.places[0]
    if e is not None and item.editable:
        item.text, item.source = ("" if e.decorative else e.text), e.source
    else:
        shown = next((p for p in item.places if p.text), first)
        item.text = shown.text if item.status != Status.PENDING else ""
        item.source = shown.source
    titles = [course.slide(p.deck, p.slide).title for p in item.places]
    item.warnings = warnings(item.text, titles, max_chars)


def _scan_deck(path, rel) -> DeckScan:
    from ..ooxml.package import Package
    from ..ooxml.scan import scan
    try:
        with Package(path, name=rel) as pkg:
            deck = scan(pkg)
    except (AltdeckError, OSError) as e:
        return DeckScan({}, {}, error=f"could not open the deck: {e}")
    slides, images, boxes = {}, {}, {}
    for s in deck.slides:
        slides[s.number] = SlideInfo(s.title, s.text, s.notes)
        for t in s.targets:
            if t.image:
                images[(s.number, t.shape_id)] = t.image
            if t.box:
                boxes[(s.number, t.shape_id)] = tuple(t.box)
        if s.backgrounds and s.backgrounds[0]:
            images[(s.number, "")] = s.backgrounds[0]
    return DeckScan(slides, images, boxes)


def crop_of(course, item) -> tuple | None:
    """(deck, (slide, box, kind)) where the row's object can be cut out of a rendered slide, or None."""
    if item.kind == Kind.BACKGROUND:
        return None
    for p in item.places:
        box = course.scan(p.deck).boxes.get((p.slide, p.shape_id))
        if box:
            return p.deck, (p.slide, box, item.kind)
    return None


def find_image(course, item) -> tuple:
    """(bytes, content type) of a row's image, read from a deck showing it; AltdeckError when none can."""
    import hashlib

    from ..ooxml.package import Package
    if not item.image:
        raise AltdeckError(f"{item.kind} has no image of its own")
    why = "the image was not found in its decks (changed since their build?)"
    for p in item.places:
        part = course.scan(p.deck).images.get((p.slide, p.shape_id))
        if not part:
            continue
        try:
            with Package(course.cfg.root_dir / p.deck, name=p.deck) as pkg:
                data = pkg.read(part)
                ctype = pkg.content_type(part)
        except (AltdeckError, OSError) as e:
            why = str(e)
            continue
        if hashlib.sha256(data).hexdigest() == item.image:
            return data, ctype
    raise AltdeckError(why)
