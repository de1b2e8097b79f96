"""Build one deck: scan -> decide -> describe -> write -> report.

Reads the source deck, never writes it (nor any other deck).  The accessible
copy and the JSON report are written atomically, the copy first: a run killed
in between leaves the report missing, so doit rebuilds the deck next time.
The report and doit's values record the hash of the bytes that were built;
a deck saved while it was built fails, and its next run rebuilds it.

Describing: a person's entry in alt-text.yaml (keyed by the object's key)
decides first, then the decorative rules (describe/decorative.py), then a
usable stored result — its text, or decorative (`_settle_stored`, the one
place where a decision becomes decorative, which `_change` writes as
PowerPoint's flag in the copy); then charts, SmartArt and tables go to the
offline describer, pictures to the vision model (with the text OCR found in
them) or, without one, to OCR (pictures of text), and objects with no picture
of their own (ink, diagrams drawn with shapes, OLE objects without a raster
preview, text-less SmartArt and tables, pasted PDFs) to the vision model as a
crop of their rendered slide (render/: one LibreOffice per deck worker,
renders cached by slide content).  What OCR read is kept by image hash.
"""
import functools
import hashlib
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from lxml import etree

from . import discover
from .alttext import judge, placeholder_reason
from .describe import decorative, ocr
from .describe.base import Result, Subject
from .describe.images import ImageError, is_image_type
from .describe.offline import NO_MODEL, READABLE
from .errors import DeckError
from .ooxml.package import Package, write_copy
from .ooxml.rules import Findings, RuleSet
from .ooxml.scan import scan
from .ooxml.xmledit import Change, EditError, apply_changes, clean_xml_text
from .store import freshness
from .store.altfile import signature_digest
from .store.journal import Entry as StoreEntry, Store
from .store.reports import REPORT_VERSION, write_report
from .vocab import RENDERED_AS, STRUCTURAL, Decision, Key, Kind, Severity, Source


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
    key: str = ""              # the object's key in alt-text.yaml ("" for a slide background)
    transcription: str = ""    # a picture of text's whole text, as OCR read it (the alt text may hold less)
    target: object = field(default=None, repr=False)
    same: Key | None = field(default=None, repr=False)    # what makes two objects the same (described once)
    render: bool = field(default=False, repr=False)       # no picture of its own: described from its slide


def build_deck(cfg, rel: str, describer, store: Store | None = None) -> dict:
    """Build cfg.root_dir/rel; returns the report's summary counts and `store_texts`.

    `store` holds per-image results across decks and runs (None: describe everything here).
    `store_texts` ({image hash: text}) is what doit keeps to notice later edits of alt-text.yaml.
    """
    src = cfg.root_dir / rel
    _check_inside(cfg, rel, src)
    output, report = discover.output_path(cfg, rel), discover.report_path(cfg, rel)
    for dest in (output, report):
        if discover.is_source(cfg, dest):
            raise DeckError(rel, f"would be written over the deck {dest}; set output_dir and report_dir in "
                                 "config.yaml to folders of their own")
    clock = [time.monotonic()]
    with Package(src, name=rel) as pkg:
        checks = RuleSet.from_config(cfg)
        deck = scan(pkg, checks if checks.severity else None)   # the slide rules, on the same parsed slides
        language = cfg.alt_text.language if cfg.alt_text.language != "auto" else (deck.language or "en")
        entries = _decide(cfg, pkg, deck)
        renders = _renders(cfg, pkg, describer)
        reader = _text_reader(cfg, deck, language, entries, store)
        rules = decorative.rules(cfg, ocr.in_use(cfg))
        clock.append(time.monotonic())
        try:
            _describe(cfg, pkg, deck, entries, describer, language, store, renders, reader, rules)
        finally:
            if renders:
                renders.close()
                renders.soffice.close()
        clock.append(time.monotonic())
        replacements = _edits(pkg, deck, entries)
        built = pkg.sha256()          # of the bytes read through the one open file: what was built
        summary = {d.value: sum(e.decision == d for e in entries) for d in Decision}
        objects = [{k: v for k, v in vars(e).items() if k not in ("target", "same", "render")} for e in entries]
        if deck.checker:
            deck.checker.alt(objects)     # the alt-* rules, on the texts the copy gets
        checked = deck.checker.report() if deck.checker else Findings(checks).report()
        with _writing(rel, output):
            write_copy(pkg, replacements, output)
        with _writing(rel, report):
            write_report(cfg, rel, {
                "deck": rel,
                "deck_sha256": built,          # `doit check` tells a stale copy by it
                "output": os.path.join(cfg.output_dir, rel).replace(os.sep, "/"),
                "report_version": REPORT_VERSION,
                "describer": describer.signature(),
                "existing_alt": cfg.existing_alt,
                "decorative": rules,           # the rules of automatic decisions (None: decorative.auto off)
                "language": language,
                "summary": summary,
                "objects": objects,
                **checked,                     # findings, checks, unchecked
            })
        pkg.check_unchanged()         # saved meanwhile: fail, so doit records nothing for this build
        st = os.fstat(pkg.file.fileno())
    found = {s.value: sum(f["severity"] == s for f in checked["findings"]) for s in Severity}
    clock.append(time.monotonic())
    return {**summary, "findings": found, "store_texts": freshness.store_texts(objects),
            "deck": freshness.built_stamp(st, built), "costs": _costs(clock, renders, reader)}


def _costs(clock, renders, reader) -> dict:
    """Where the deck's build went (the run's log keeps it; benchmarks read it): its phases, and
    LibreOffice and OCR, the two costs besides the model that grow with the deck."""
    scan_s, describe_s, write_s = (round(b - a, 4) for a, b in zip(clock, clock[1:]))
    return {"scan_s": scan_s, "describe_s": describe_s, "write_s": write_s,
            "rendered_slides": len(renders.rendered) if renders else 0,
            "render_s": round(renders.render_seconds, 4) if renders else 0.0,
            "soffice_launches": renders.soffice.launches if renders else 0,
            "ocr_pictures": reader.reads, "ocr_s": round(reader.read_seconds, 4)}


@contextmanager
def _writing(rel, path):
    """A write that fails (disk full, read-only folder, name too long) as one line naming the file."""
    try:
        yield
    except OSError as e:
        raise DeckError(rel, f"cannot write {path} ({e.strerror or e}); free space or make the folder "
                             "writable, then run altdeck again") from None


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
                           t.descr, "" if decision == "describe" else Source.EXISTING, reason, image, target=t)
            e.same = Key.image(image) if image and t.kind not in STRUCTURAL else Key(t.kind, t.digest)
            e.key = e.same.store_id
            e.render = _needs_render(pkg, t)
            entries.append(e)
    return entries


def _needs_render(pkg, t) -> bool:
    """Whether an object has no picture of its own a model could read, so its slide's render stands in."""
    if t.kind in (Kind.INK, Kind.DIAGRAM):
        return True
    if t.kind in (Kind.PICTURE, Kind.OLE):
        if t.image:
            return not is_image_type(pkg.content_type(t.image))      # a pasted PDF, an unknown format
        return t.kind == Kind.OLE                # an OLE object without any preview
    if t.kind == Kind.TABLE:
        return not any(cell.strip() for row in t.table or [] for cell in row)
    if t.kind == Kind.SMARTART:
        from .ooxml.smartart import read_smartart
        data = pkg.xml(t.diagram) if t.diagram else None
        return not read_smartart(data)[1]
    return False


def _renders(cfg, pkg, describer):
    """The deck's slide renders, when a vision model could use them and LibreOffice is installed."""
    from .render.soffice import Soffice, soffice_path
    if not describer.signature().get("vision") or soffice_path() is None:
        return None
    from .render.slides import SlideRenders
    return SlideRenders(pkg, cfg.root_dir / cfg.state_dir / "renders", Soffice(cfg.batch.deck_timeout_s))


def _text_reader(cfg, deck, language, entries, store) -> ocr.TextReader:
    """OCR for this deck, in the deck's language, with what the store already read of its pictures."""
    reader = ocr.TextReader(deck.language or language, enabled=cfg.describer.ocr)
    if reader.works and store:
        reader.cached = store.readings({e.image for e in entries if e.image}, _ocr_engine())
    return reader


def _ocr_engine() -> str:
    return signature_digest(json.dumps(ocr.signature(), sort_keys=True))


def _describe(cfg, pkg, deck, entries, describer, language, store, renders, reader, rules):
    """Describe each distinct object once; reuse good existing text and stored results for identical objects.

    Precedence for an object: a person's (or a reviewed) entry, then an automatic decorative
    decision of this deck, then a usable stored result, then the describer.
    """
    good = {e.same: e.text for e in entries if e.decision == Decision.KEPT and e.same.is_image}
    todo = {}
    for e in entries:
        if e.decision != Decision.PENDING:
            continue
        if e.same in good:
            e.decision, e.text, e.source, e.reason = Decision.DESCRIBED, good[e.same], Source.EXISTING, \
                "same image has good alt text elsewhere in the deck"
            continue
        todo.setdefault(e.same, []).append(e)
    describer_json = json.dumps(describer.signature(), sort_keys=True)
    rules_json = decorative.rules_json(rules)
    hits = {key: store.get(key.store_id) if store and key.in_store else None for key in todo}
    auto = _auto_decorative(cfg, pkg, deck, {k: g for k, g in todo.items() if not (hits[k] and hits[k].protected)},
                            reader) if rules else {}
    for key, hit in hits.items():
        if key in auto and not (hit and hit.protected):
            mine = StoreEntry("", Source.AUTO, signature_digest(rules_json), decorative=True, reason=auto[key])
            if store and (hit is None or (hit.source, hit.signature, hit.decorative, hit.reason) !=
                          (mine.source, mine.signature, mine.decorative, mine.reason)):
                store.put(key.store_id, mine)
            hit = mine
        elif not (hit and hit.usable_for(describer_json, rules_json)):
            continue
        group = todo.pop(key)
        _settle_stored(group, hit)
        if hit.source == Source.OCR or (not hit.decorative and group[0].image in reader.cached):
            transcription = _transcription(pkg, reader, group[0])
            for e in group:
                e.transcription = transcription
    for key, group in list(todo.items()):
        why = _undescribable(group[0], describer, renders)
        if why:
            for e in todo.pop(key):
                e.reason = f"{e.reason}; {why}" if e.reason.startswith("placeholder") else why
    if not todo:
        _keep_readings(store, reader)
        return
    slides = {s.number: s for s in deck.slides}
    groups = list(todo.values())
    rendered = [g for g in groups if g[0].render]
    if rendered:
        from .render.soffice import RenderError
        try:
            renders.prepare(g[0].slide for g in rendered)       # one LibreOffice call for the whole deck
        except RenderError as err:
            for group in rendered:
                _settle(group, Result(None, "", str(err)))
            groups = [g for g in groups if not g[0].render]
    subjects = [_subject(cfg, pkg, group[0], slides[group[0].slide], language, renders, reader) for group in groups]

    def arrived(i, result):           # persist each model answer at once: a crash loses nothing described
        key = groups[i][0].same
        if store and result.text and key.in_store and result.source != Source.OFFLINE:
            store.put(key.store_id, StoreEntry(clean_xml_text(result.text), result.source,
                                               signature_digest(describer_json)))
        _keep_readings(store, reader)

    def recall(subject):              # a deck built in parallel may have just described the same object
        hit = store.get(subject.image_key()) if store and subject.has_image else None
        return Result(hit.text, hit.source) if hit and not hit.decorative and \
            hit.usable_for(describer_json, rules_json) else None

    for group, subject, result in zip(groups, subjects, describer.describe_many(subjects, arrived, recall)):
        if subject.rendered and result.text:
            for e in group:
                e.flags = e.flags + ["rendered"]
        _settle(group, result)
    _keep_readings(store, reader)


def _keep_readings(store, reader):
    """What OCR read in this deck's pictures, kept by image hash for every later deck and run."""
    if store and reader.works:
        store.put_readings(reader.take_fresh(), _ocr_engine())


def _transcription(pkg, reader, e) -> str:
    """A picture of text's whole text (read now when the store has only its alt text)."""
    t = e.target
    if not (reader.works and t.image and e.image and t.kind in READABLE and not e.render):
        return ""
    reading, _ = reader.attempt(e.image, lambda: pkg.read(t.image), pkg.content_type(t.image))
    found = ocr.text_picture(reading)[0] if reading else None
    return found.transcription if found else ""


def _auto_decorative(cfg, pkg, deck, todo, reader) -> dict:
    """{key: reason} of the pictures the `decorative` rules make decorative (describe/decorative.py)."""
    placements, parts = {}, {}
    for key, group in todo.items():
        if key.is_image and all(e.kind == Kind.PICTURE and e.target.image and not e.render for e in group):
            placements[key] = [decorative.Placement(e.slide, e.target.box, e.target.text_above) for e in group]
            parts[key] = group[0].target.image

    @functools.cache
    def detail(key):
        from .describe.images import prepared_image
        try:
            return decorative.edge_share(prepared_image(pkg.read(parts[key]), pkg.content_type(parts[key]),
                                                        longest_side=512))
        except ImageError:
            return None

    @functools.cache
    def has_text(key):
        reading, _ = reader.attempt(key.value, lambda: pkg.read(parts[key]), pkg.content_type(parts[key]))
        chars = sum(len("".join(x.text.split())) for x in reading.confident()) if reading else 0
        return chars >= decorative.MIN_TEXT_CHARS

    return decorative.decide(cfg, placements, deck.size, len(deck.slides), detail,
                             has_text if reader.works else None)


def _undescribable(e, describer, renders) -> str:
    """Why nothing in this run can describe the object ("" when something can)."""
    t = e.target
    if "linked" in t.flags and not t.image:
        return "linked picture (no image in the deck to describe)"
    if "missing-image" in t.flags and not t.image:
        return "the picture's image is missing from the deck (broken relationship); re-save it from PowerPoint"
    if t.kind == Kind.PICTURE and not t.image:
        return "the picture has no image (an empty frame); mark it decorative or delete it"
    if not e.render:
        return ""
    what = RENDERED_AS.get(t.kind, t.kind)
    if not describer.signature().get("vision"):
        return f"a {what} is described by a vision model from its rendered slide; {NO_MODEL}"
    if renders is None:
        return f"install LibreOffice (soffice) to render this {what} for the vision model"
    return ""


def _settle(group, result):
    for e in group:
        if result.text:
            e.decision, e.text, e.source, e.reason = Decision.DESCRIBED, clean_xml_text(result.text), result.source, ""
            e.transcription = result.transcription
        else:
            e.reason = f"{e.reason}; {result.reason}" if e.reason.startswith("placeholder") else result.reason


def _settle_stored(group, entry):
    """What alt-text.yaml says for these objects: its text, or decorative.

    The one place where a decorative decision — a person's (`altdeck alt --decorative`) or
    altdeck's own (source `auto`, made by the rules now or stored) — makes the objects
    decorative: `_edits` then writes PowerPoint's decorative flag into the copy.  Whose entry
    it is was settled by the store (journal.winner: a person's text wins over a machine's decision).
    """
    if not entry.decorative:
        _settle(group, Result(entry.text, entry.source))
        return
    for e in group:
        e.decision, e.text, e.source = Decision.DECORATIVE, "", entry.source
        e.reason = entry.reason or f"marked decorative in alt-text.yaml ({entry.source})"


def _subject(cfg, pkg, entry, slide, language, renders, reader) -> Subject:
    t = entry.target
    s = Subject(t.kind, list(t.flags), slide_title=slide.title, slide_text=slide.text, notes=slide.notes,
                language=language, max_chars=cfg.alt_text.max_chars, table=t.table, key=entry.key)
    crop = _crop_loader(renders, entry) if renders else None
    if entry.render:
        s.load, s.rendered, s.image_type = crop, True, "image/png"
        return s
    if t.image:      # read when the describer needs it, not all at once: a deck's pictures can be large
        s.load, s.image_sha256, s.image_type = (lambda part=t.image: pkg.read(part)), entry.image, \
            pkg.content_type(t.image)
        s.fallback = crop             # e.g. an EMF no converter here can draw
        if t.kind in READABLE:        # its text, read by OCR (from the picture prepared for the model, if given)
            s.read_text = lambda image=None: reader.attempt(s.image_sha256, s.load, s.image_type, image)
    if t.chart:
        s.chart = pkg.xml(t.chart)
    if t.diagram:
        s.diagram = pkg.xml(t.diagram)
    if t.layout:
        s.layout = pkg.xml(t.layout).get("uniqueId", "")
    return s


def _crop_loader(renders, entry):
    """A callable returning the object's crop of its rendered slide (ImageError with the reason if none)."""
    from .render.soffice import RenderError

    def load():
        try:
            return renders.crop(entry.slide, entry.target.box, grow_down=entry.kind == Kind.TABLE)
        except RenderError as e:
            raise ImageError(str(e)) from None
    return load


def _change(e) -> Change | None:
    """What the copy gets for an object: its text, or the decorative flag a stored decision asks for."""
    t = e.target
    if t is None:
        return None
    if e.decision == Decision.DESCRIBED:
        return Change(descr=e.text, remove_title=bool(t.title) and placeholder_reason(t.title, t.name) is not None)
    if e.decision == Decision.DECORATIVE and not t.decorative:
        return Change(decorative=True)
    return None


def _edits(pkg, deck, entries) -> dict:
    by_part = {}
    for e in entries:
        change = _change(e)
        if change is None:
            continue
        for index in e.target.cnvpr:
            by_part.setdefault(e.target.part, {})[index] = change
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
