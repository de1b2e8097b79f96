"""Build one deck: scan -> decide -> describe -> write -> report.

Reads the source deck, never writes it.  The accessible copy and the JSON
report are written atomically, the copy first: a run killed in between
leaves the report missing, so doit rebuilds the deck next time.
"""
import hashlib
import json
import os
from dataclasses import dataclass, field

from lxml import etree

from . import discover
from .alttext import judge, placeholder_reason
from .describe import Result, Subject
from .errors import DeckError
from .ooxml.package import Package, write_copy
from .ooxml.scan import scan
from .ooxml.xmledit import Change, EditError, apply_changes, clean_xml_text
from .store import freshness
from .store.altfile import signature_digest
from .store.journal import Entry as StoreEntry, Store
from .store.reports import REPORT_VERSION, file_sha256, write_report
from .vocab import STRUCTURAL, Decision, Key, Kind, Source


@dataclass
class DeckObject:
    """One object in the report, and what was decided for it."""
    slide: int
    kind: str
    name: str
    id: str
    flags: list
    decision: str              # a Decision
    text: str
    source: str                # a Source, a model's name, or ""
    reason: str = ""
    image: str = ""            # sha256 of the image bytes
    key: str = ""              # the object's key in alt-text.yaml ("" when it has none)
    target: object = field(default=None, repr=False)
    same: Key | None = field(default=None, repr=False)    # what makes two objects the same (described once)


def build_deck(cfg, rel: str, describer, store: Store | None = None) -> dict:
    """Build cfg.root_dir/rel; returns the report's summary counts and `store_texts`.

    `store` holds per-image results across decks and runs (None: describe everything here).
    `store_texts` ({image hash: text}) is what doit keeps to notice later edits of alt-text.yaml.
    """
    src = cfg.root_dir / rel
    _check_inside(cfg, rel, src)
    with Package(src, name=rel) as pkg:
        deck = scan(pkg)
        language = cfg.alt_text.language if cfg.alt_text.language != "auto" else (deck.language or "en")
        entries = _decide(cfg, pkg, deck)
        _describe(cfg, pkg, deck, entries, describer, language, store)
        replacements = _edits(pkg, deck, entries)
        write_copy(pkg, replacements, discover.output_path(cfg, rel))
    summary = {d.value: sum(e.decision == d for e in entries) for d in Decision}
    write_report(cfg, rel, {
        "deck": rel,
        "deck_sha256": file_sha256(src),          # `doit check` tells a stale report by it
        "output": os.path.join(cfg.output_dir, rel).replace(os.sep, "/"),
        "report_version": REPORT_VERSION,
        "describer": describer.signature(),
        "existing_alt": cfg.existing_alt,
        "language": language,
        "summary": summary,
        "objects": [{k: v for k, v in vars(e).items() if k not in ("target", "same")} for e in entries],
    })
    return {**summary, "store_texts": freshness.store_texts(vars(e) for e in entries)}


def _check_inside(cfg, rel, src):
    if os.path.islink(src) and not os.path.exists(src):
        raise DeckError(rel, f"is a broken symlink (to {os.readlink(src)}, which does not exist); fix or remove it")
    if os.path.islink(src):
        real = os.path.realpath(src)
        if not real.startswith(os.path.realpath(cfg.root_dir) + os.sep):
            raise DeckError(rel, f"is a symlink to {real}, outside the course folder; copy the deck in "
                                 "or exclude it")
    if not os.path.exists(src):
        raise DeckError(rel, "does not exist (a broken symlink?)")


def _decide(cfg, pkg, deck) -> list:
    entries, hashes = [], {}

    def _image_hash(pkg, part):
        if part not in hashes:
            hashes[part] = hashlib.sha256(pkg.read(part)).hexdigest()
        return hashes[part]

    for slide in deck.slides:
        for part in slide.backgrounds:
            if part:
                entries.append(DeckObject(slide.number, Kind.BACKGROUND, "", "", [], Decision.DECORATIVE, "", "",
                                          "slide background (no alt-text slot)", _image_hash(pkg, part)))
        for t in slide.targets:
            decision, reason = judge(t.descr, t.title, t.name, t.decorative, cfg.existing_alt)
            image = _image_hash(pkg, t.image) if t.image else ""
            e = DeckObject(slide.number, t.kind, t.name, t.shape_id, t.flags,
                           {"keep": Decision.KEPT, "describe": Decision.PENDING}.get(decision, decision),
                           t.descr, Source.EXISTING if decision == "keep" else "", reason, image, target=t)
            e.same = (Key.image(image) if image and t.kind not in STRUCTURAL else
                     Key("part", t.chart or t.diagram) if (t.chart or t.diagram) else
                     Key("table", hashlib.sha256(json.dumps(t.table).encode()).hexdigest()) if t.table else
                     Key("object", f"{slide.part}#{t.shape_id}#{len(entries)}"))
            e.key = e.same.store_id if e.same.in_store else ""
            entries.append(e)
    return entries


def _describe(cfg, pkg, deck, entries, describer, language, store):
    """Describe each distinct object once; reuse good existing text and stored results for identical images."""
    good = {e.same: e.text for e in entries if e.decision == Decision.KEPT and e.same.is_image}
    todo = {}
    for e in entries:
        if e.decision != Decision.PENDING:
            continue
        if e.same in good:
            e.decision, e.text, e.source, e.reason = Decision.DESCRIBED, good[e.same], Source.EXISTING, \
                "same image has good alt text elsewhere in the deck"
            continue
        if "linked" in e.flags and not e.target.image:
            e.reason = "linked picture (no image in the deck to describe)"
            continue
        if "missing-image" in e.flags and not e.target.image:
            e.reason = "the picture's image is missing from the deck (broken relationship); re-save it from PowerPoint"
            continue
        todo.setdefault(e.same, []).append(e)
    describer_json = json.dumps(describer.signature(), sort_keys=True)
    if store:
        for key in [k for k in todo if k.in_store]:
            hit = store.get(key.store_id)
            if hit and hit.usable_for(describer_json):
                _settle(todo.pop(key), Result(hit.text, hit.source))
    if not todo:
        return
    slides = {s.number: s for s in deck.slides}
    groups = list(todo.values())
    subjects = [_subject(cfg, pkg, group[0], slides[group[0].slide], language) for group in groups]

    def arrived(i, result):           # persist each model answer at once: a crash loses nothing described
        key = groups[i][0].same
        if store and result.text and key.in_store and result.source != Source.OFFLINE:
            store.put(key.store_id, StoreEntry(clean_xml_text(result.text), result.source,
                                            signature_digest(describer_json)))

    def recall(subject):              # a deck built in parallel may have just described the same image
        hit = store.get(subject.image_key()) if store and subject.has_image else None
        return Result(hit.text, hit.source) if hit and hit.usable_for(describer_json) else None

    for group, result in zip(groups, describer.describe_many(subjects, arrived, recall)):
        _settle(group, result)


def _settle(group, result):
    for e in group:
        if result.text:
            e.decision, e.text, e.source, e.reason = Decision.DESCRIBED, clean_xml_text(result.text), result.source, ""
        else:
            e.reason = f"{e.reason}; {result.reason}" if e.reason.startswith("placeholder") else result.reason


def _subject(cfg, pkg, entry, slide, language) -> Subject:
    t = entry.target
    s = Subject(t.kind, list(t.flags), slide_title=slide.title, slide_text=slide.text, notes=slide.notes,
                language=language, max_chars=cfg.alt_text.max_chars, table=t.table)
    if t.image:      # read when the describer needs it, not all at once: a deck's pictures can be large
        s.load, s.image_sha256, s.image_type = (lambda part=t.image: pkg.read(part)), entry.image, \
            pkg.content_type(t.image)
    if t.chart:
        s.chart = pkg.xml(t.chart)
    if t.diagram:
        s.diagram = pkg.xml(t.diagram)
    if t.layout:
        s.layout = pkg.xml(t.layout).get("uniqueId", "")
    return s


def _edits(pkg, deck, entries) -> dict:
    by_part = {}
    for e in entries:
        if e.decision != Decision.DESCRIBED or e.target is None:
            continue
        t = e.target
        change = Change(descr=e.text, remove_title=bool(t.title) and placeholder_reason(t.title, t.name) is not None)
        for index in t.cnvpr:
            by_part.setdefault(t.part, {})[index] = change
    replacements = {}
    parts = {s.part: s for s in deck.slides}
    for part, changes in by_part.items():
        slide = parts[part]
        try:
            data = apply_changes(pkg.read(part), changes, slide.cnvpr_count, slide.a_prefix)
            etree.fromstring(data)        # the edit must leave well-formed XML
        except (EditError, etree.XMLSyntaxError) as e:
            raise DeckError(pkg.name, f"cannot safely edit /{part} ({e}); please report this deck") from None
        replacements[part] = data
    return replacements
