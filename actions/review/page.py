"""The review page: one row per object key, with totals, filters, search and sort.

One renderer for both uses: the static export (`altdeck review`: index.html
in the review folder, read-only, working offline from the file and showing
the `altdeck alt` command for each decision) and the review app
(`altdeck review --serve`: the same page with a text field and buttons per
row).  Filtering, search, sort and the preview dialog are review.js, shared
by both.  Every text from a deck, a report, alt-text.yaml or a model is
escaped here; the page runs no script but review.js.
"""
import html
import os
import re
import shlex
import shutil
from importlib import resources

from ..errors import AltdeckError
from ..files import atomic_path, write_text
from ..ooxml.package import Package
from ..vocab import Kind, Source, Status, short_key
from . import scorecard
from .data import STATUS_HELP, STATUS_ORDER, Course, crop_of
from .previews import EXTENSIONS, NoPreview, Renders, thumb_name, thumbnail, write_full

ASSETS = ("review.js", "review.css")
MAX_REASON = 200             # characters of a waiver's reason typed in the app
SORTS = (("place", "Deck and slide"), ("status", "Most urgent first"), ("places", "Most places first"),
         ("key", "Key"))
KIND_NAMES = {Kind.PICTURE: "Picture", Kind.CHART: "Chart", Kind.SMARTART: "SmartArt", Kind.TABLE: "Table",
              Kind.OLE: "Embedded object", Kind.VIDEO: "Video", Kind.AUDIO: "Audio",
              Kind.BACKGROUND: "Slide background", Kind.DIAGRAM: "Diagram", Kind.INK: "Handwritten note"}
e = html.escape
_NON_WORD = re.compile(r"[^\w]+")


def asset(name: str) -> bytes:
    """review.js or review.css, from the installed package."""
    if name not in ASSETS:
        raise KeyError(name)
    return resources.files(__package__).joinpath("assets", name).read_bytes()


class AppUrls:
    """Where the app serves a row's pictures (by the row's id; app.py finds the bytes)."""
    static = False

    def __init__(self, course):
        self.course = course

    def thumb(self, item):
        return f"thumb/{item.uid}" if item.image or crop_of(self.course, item) else None

    def full(self, item):
        return f"image/{item.uid}"

    def slide(self, item):
        return f"slide/{item.uid}"

    def why(self, item):
        return _why_no_image(item)


class StaticUrls:
    """Pictures the static export wrote into the review folder, by row."""
    static = True

    def __init__(self):
        self.thumbs, self.fulls, self.slides, self.problems = {}, {}, {}, {}

    def thumb(self, item):
        return self.thumbs.get(item.uid)

    def full(self, item):
        return self.fulls.get(item.uid)

    def slide(self, item):
        return self.slides.get(item.uid, "")

    def why(self, item):
        return self.problems.get(item.uid) or _why_no_image(item)


def _why_no_image(item) -> str:
    if item.image:
        return "no preview (image not found in the deck)"
    return f"no preview ({item.kind or 'object'})"


def kind_name(item) -> str:
    return KIND_NAMES.get(item.kind, (item.kind or "object").capitalize())


def status_options(view) -> list:
    """(value, label) of the Status filter, with counts."""
    return [("", f"All ({len(view.items)})")] + [(s.value, f"{s.value} ({view.totals.get(s, 0)})")
                                                  for s in STATUS_ORDER]


def _options(pairs, selected="") -> str:
    return "".join(f'<option value="{e(v)}"{" selected" if v == selected else ""}>{e(label)}</option>'
                   for v, label in pairs)


def totals_html(view, static: bool) -> str:
    """The inside of the Totals region: counts by status, what needs rebuilding."""
    places = sum(len(i.places) for i in view.items)
    out = [f'<h2 id="totals-h">Totals</h2><p>{len(view.items)} objects in {places} places, '
           f'{len(view.decks)} deck{"s" if len(view.decks) != 1 else ""}</p><ul class="counts">']
    for s in STATUS_ORDER:
        out.append(f'<li><span class="badge b-{s}">{s}</span> {view.totals.get(s, 0)}</li>')
    out.append("</ul>")
    n = len(view.rebuild)
    if n:
        names = ", ".join(f"{d} ({why})" for d, why in sorted(view.rebuild.items()))
        out.append(f'<p class="rebuild" id="rebuild-count" data-count="{n}"><strong>{n} deck{"s" if n != 1 else ""} '
                   f'need{"s" if n == 1 else ""} rebuilding</strong>: {e(names)}. '
                   + ("Run <code>altdeck</code> in the course folder.</p>" if static else
                      "Use <em>Rebuild</em> below, or run <code>altdeck</code> in the course folder.</p>"))
    else:
        out.append('<p class="rebuild" id="rebuild-count" data-count="0">Every deck is up to date with '
                   'alt-text.yaml.</p>')
    for deck, why in sorted(view.problems.items()):
        out.append(f'<p class="bad">{e(deck)}: {e(why)}</p>')
    return "".join(out)


def _search_text(item, course) -> str:
    """The words search looks in (review.js matches each word of a query at the start of one of these)."""
    words = [item.text, item.kind, item.source]
    for p in item.places:
        words += [p.deck, p.shape, course.slide(p.deck, p.slide).title]
    return " ".join(_NON_WORD.sub(" ", " ".join(w for w in words if w).casefold()).split())


def _facts(item, course, static) -> str:
    out = [f'<div class="facts"><p><span class="badge b-{item.status}">{e(item.status)}</span> '
           f'<span class="muted">{e(STATUS_HELP.get(item.status, ""))}</span>'
           + (f' · source: <span class="source">{e(item.source)}</span>' if item.source else "") + "</p>"]
    stale = [p.deck for p in item.places if p.outdated]
    if stale:
        out.append(f'<p class="rebuild-note">Needs a rebuild of {e(", ".join(dict.fromkeys(stale)))}</p>')
    if item.note and item.status == Status.PENDING:
        out.append(f'<p class="muted">Why pending: {e(item.note)}</p>')
    if item.reason and item.status == Status.DECORATIVE:
        who = "decided automatically: " if item.source == Source.AUTO else ""
        out.append(f'<p class="muted why">Why decorative: {e(who + item.reason)}</p>')
    if item.transcription:
        lines = item.transcription.count("\n") + 1
        out.append(f'<details class="transcription"><summary>Whole text in the picture ({lines} '
                   f'line{"s" if lines > 1 else ""}, read by OCR)<span class="vh"> for {e(_label(item))}</span>'
                   f'</summary><pre>{e(item.transcription)}</pre></details>')
    out.append('<ul class="places">')
    for p in item.places:
        title = course.slide(p.deck, p.slide).title
        shape = f", {p.shape}" if p.shape else ""
        out.append(f"<li>{e(p.deck)}, slide {p.slide}" + (f": “{e(title)}”" if title else "") + f"{e(shape)}</li>")
    out.append("</ul>")
    context = []
    for deck, number in dict.fromkeys((p.deck, p.slide) for p in item.places):
        s = course.slide(deck, number)
        context.append(f"<h3>{e(deck)}, slide {number}</h3>"
                       f"<p><strong>Slide text:</strong> {e(s.text) or '<em>none</em>'}</p>"
                       f"<p><strong>Notes:</strong> {e(s.notes) or '<em>none</em>'}</p>")
    out.append(f'<details class="context"><summary>Slide text and notes<span class="vh"> for {e(_label(item))}'
               f'</span></summary>{"".join(context)}</details>')
    if item.findings:
        out.append('<ul class="findings">')
        for f in item.findings:
            out.append(_finding(f, static))
        out.append("</ul>")
    out.append("</div>")
    return "".join(out)


def _finding(shown, static) -> str:
    """A finding (data.Shown), and how to waive it: the command (static export) or a Waive button (app)."""
    f = shown.finding
    sev, rule = str(f.get("severity", "")), str(f.get("rule", ""))
    fix = f' Fix: {e(str(f["fix"]))}' if f.get("fix") else ""
    return (f'<li id="{e(shown.id)}"><span class="sev sev-{e(sev)}">{e(sev)}</span> <code>{e(rule)}</code>: '
            f'{e(str(f.get("message", "")))}{fix}{_waive_static(shown) if static else _waive_app(shown)}</li>')


def _waive_static(shown) -> str:
    args = ["altdeck", "waive"]
    for name, value in shown.waiver().items():
        if value not in (None, ""):
            args += [f"--{name}", str(short_key(value) if name == "key" else value)]
    return f' <span class="muted">To accept it:</span> <code>{e(shlex.join(args))}</code>'


def _waive_app(shown) -> str:
    """The Waive button, with a reason field where the waiver keeps one (a deck waiver, not an entry's)."""
    i, what = e(shown.id), e(f'{shown.finding.get("rule", "")} on {shown.target}')
    reason = "" if shown.on_entry else (
        f'<label for="wr-{i}">Reason<span class="vh"> to waive {what}</span> (optional)</label>'
        f'<input type="text" id="wr-{i}" class="waive-reason" maxlength="{MAX_REASON}" autocomplete="off">')
    return (f'<div class="waive">{reason}<button type="button" class="secondary" data-waive="{i}">'
            f'Waive<span class="vh"> {what}</span></button></div>')


def _label(item) -> str:
    """How the row is named: its key's first 12 characters, or what it is."""
    return item.key12 or f"{kind_name(item).lower()} on {item.places[0].deck} slide {item.places[0].slide}"


def _media(item, urls) -> str:
    thumb = urls.thumb(item)
    if thumb is None:
        return f'<p class="noimg">{e(urls.why(item))}</p>'
    full = urls.full(item) or ""
    return (f'<button type="button" class="thumb" data-full="{e(full)}" data-slide="{e(urls.slide(item))}" '
            f'data-slide-label="{e(item.places[0].deck)}, slide {item.places[0].slide}" '
            f'aria-label="Preview {e(_label(item))}">'
            f'<img src="{e(thumb)}" alt="" loading="lazy" data-why="{e(urls.why(item))}"></button>')


def _edit_app(item, max_chars) -> str:
    k, uid = e(item.key12), e(item.uid)
    warnings = "".join(f"<li>{e(w)}</li>" for w in item.warnings)
    n = len(item.text)
    hide = {"accept": not item.can_accept, "revert": not item.can_revert}
    model = e(item.model.text) if item.model is not None else ""
    return (f'<div class="edit"><label for="t-{uid}">Alt text<span class="vh"> for {k}</span></label>'
            f'<textarea id="t-{uid}" rows="2" aria-describedby="c-{uid} w-{uid}" data-saved="{e(item.text)}">'
            f'{e(item.text)}</textarea>'
            f'<p class="counter{" over" if n > max_chars else ""}" id="c-{uid}">{n} of {max_chars} characters</p>'
            f'<ul class="warnings" id="w-{uid}" aria-live="polite">{warnings}</ul><div class="buttons">'
            f'<button type="button" data-act="save">Save<span class="vh"> {k}</span></button>'
            f'<button type="button" data-act="accept"{" hidden" if hide["accept"] else ""}>Accept'
            f'<span class="vh"> {k}</span></button>'
            f'<button type="button" class="secondary" data-act="decorative">Mark<span class="vh"> {k}</span> '
            f'decorative</button>'
            f'<button type="button" class="secondary" data-act="revert" data-model="{model}"'
            f'{" hidden" if hide["revert"] else ""}>Revert<span class="vh"> {k}</span> to the model\'s text</button>'
            f'</div><p class="msg" id="m-{uid}"></p></div>')


def _text(item) -> str:
    return (f'<p class="text">{e(item.text)}</p>' if item.text else
            '<p class="text muted"><em>(decorative: screen readers skip it)</em></p>'
            if item.status == Status.DECORATIVE else '<p class="text muted"><em>(no alt text)</em></p>')


def _edit_static(item) -> str:
    out = [f'<div class="edit">{_text(item)}']
    if item.warnings:
        out.append('<ul class="warnings">' + "".join(f"<li>{e(w)}</li>" for w in item.warnings) + "</ul>")
    if item.editable:
        k = e(short_key(item.key))
        cmds = [f'altdeck alt --key {k} --text "…"']
        if item.can_accept:
            cmds.append(f"altdeck alt --key {k} --reviewed")
        if item.status != Status.DECORATIVE:
            cmds.append(f"altdeck alt --key {k} --decorative")
        out.append('<ul class="commands">' + "".join(f"<li><code>{c}</code></li>" for c in cmds) + "</ul>")
    out.append("</div>")
    return "".join(out)


def _cannot_act(item) -> str:
    why = ("it has no key yet, so alt-text.yaml cannot hold a decision for it" if not item.key else
           "its text or decorative flag is the deck's own; change it in the deck")
    return f'<div class="edit">{_text(item)}<p class="muted">Not decided here: {e(why)}.</p></div>'


def row_html(item, course, urls, max_chars) -> str:
    decks = "\n".join(item.decks)
    head = (f'{e(kind_name(item))} <code class="key">{e(short_key(item.key))}</code>' if item.key else
            f'{e(kind_name(item))} <span class="muted">(no key yet)</span>')
    edit = (_cannot_act(item) if not item.editable else _edit_static(item) if urls.static
            else _edit_app(item, max_chars))
    return (f'<li class="row s-{e(item.status)}" id="r-{e(item.uid)}" data-uid="{e(item.uid)}" '
            f'data-status="{e(item.status)}" data-kind="{e(item.kind)}" data-source="{e(item.source)}" data-decks="{e(decks)}" '
            f'data-search="{e(_search_text(item, course))}" data-order="{item.order}" data-places="{len(item.places)}" '
            f'data-key="{e(item.key)}" data-base="{e(item.base)}">'
            f'<div class="media">{_media(item, urls)}</div><div class="body">'
            f'<h2 id="h-{e(item.uid)}">{head}</h2>{_facts(item, course, urls.static)}{edit}</div></li>')


def render(view, course, urls, token: str = "") -> str:
    """The whole page; `token` (the app's session token) makes it the app, else the static export."""
    static = urls.static
    course_name = os.path.basename(os.fspath(course.cfg.root_dir)) or "course"
    intro = ("A read-only export of the review. Decide with the <code>altdeck alt</code> command shown on each "
             "row, then run <code>altdeck</code>; or run <code>altdeck review --serve</code> to decide in the "
             "browser." if static else
             "Edit, accept or mark decorative; every decision is written to alt-text.yaml at once. "
             "Then rebuild the decks that show the changed objects.")
    decks = [("", f"All decks ({len(view.decks)})")] + [(d, d) for d in view.decks]
    sources = [("", "All sources")] + [(s, s) for s in view.sources]
    rows = "\n".join(row_html(item, course, urls, view.max_chars) for item in view.items)
    build = "" if static else (
        '<div class="build"><button type="button" id="build-start">Rebuild</button> '
        '<span class="muted">runs <code>altdeck</code> on the course folder (only decks that changed are '
        'built)</span><div id="build-log" class="build-log" role="log" aria-label="Build progress" '
        'tabindex="0"></div></div>')
    bulk = "" if static else ('<div><button type="button" id="accept-all">Accept all shown</button></div>')
    findings = deck_findings_html(view, static)
    scores = scorecard.course_section(view.checked)
    meta = f'<meta name="altdeck-token" content="{e(token)}">' if token else ""
    body = f"""<a class="skip" href="#rows">Skip to the objects</a>
<header><h1>Alt text review: {e(course_name)}</h1><p class="intro">{intro}</p></header>
<main>
<section class="panel totals" id="totals" aria-labelledby="totals-h"><div id="totals-body">{totals_html(view, static)}</div>{build}</section>
<div id="scores">{scores}</div>
<section class="panel" aria-labelledby="filters-h"><h2 id="filters-h" class="vh">Filters</h2>
<div class="filters" role="search" aria-label="Filter the objects">
<div><label for="f-status">Status</label><select id="f-status">{_options(status_options(view))}</select></div>
<div><label for="f-deck">Deck</label><select id="f-deck">{_options(decks)}</select></div>
<div><label for="f-source">Source</label><select id="f-source">{_options(sources)}</select></div>
<div><label for="f-q">Search</label><input type="search" id="f-q" autocomplete="off"></div>
<div><label for="f-sort">Sort</label><select id="f-sort">{_options(SORTS)}</select></div>
{bulk}
</div>
<p class="shown" id="shown" role="status">{len(view.items)} of {len(view.items)} objects shown</p>
</section>
<p class="message" id="message" role="status"></p>
<h2 class="vh" id="rows-h">Objects</h2>
<ol class="rows" id="rows" aria-labelledby="rows-h" tabindex="-1">
{rows}
</ol>
<div id="deck-findings">{findings}</div>
<dialog id="preview" aria-labelledby="preview-title">
<div class="dialog-head"><h2 id="preview-title">Preview</h2><button type="button" id="preview-close">Close preview</button></div>
<div class="dialog-body"><p id="preview-text"></p>
<div class="full" id="preview-scroll" tabindex="0" role="group" aria-label="Full-size image (scroll with the arrow keys)">
<img id="preview-img" alt=""></div>
<figure class="render" id="preview-slide" hidden><img id="preview-slide-img" alt="">
<figcaption id="preview-slide-caption">The slide, as LibreOffice renders it</figcaption></figure></div>
</dialog>
</main>"""
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">{meta}'
            f'<title>Alt text review: {e(course_name)}</title><link rel="stylesheet" href="review.css">'
            f'<script src="review.js" defer></script></head>\n<body data-mode="{"static" if static else "app"}" '
            f'data-max-chars="{view.max_chars}">\n{body}\n</body></html>\n')


def deck_findings_html(view, static) -> str:
    """The findings not on an object's row (slide titles, text, links, sections), per deck."""
    if not view.deck_findings:
        return ""
    out = ['<section class="panel" aria-labelledby="findings-h"><h2 id="findings-h" tabindex="-1">Findings by deck'
           '</h2>']
    for deck, found in sorted(view.deck_findings.items()):
        out.append(f'<details data-deck="{e(deck)}"><summary>{e(deck)}: {len(found)} '
                   f"finding{'s' if len(found) != 1 else ''}</summary>"
                   f'<ul class="findings">' + "".join(_finding(f, static) for f in found) + "</ul></details>")
    out.append("</section>")
    return "".join(out)


# -- the static export -------------------------------------------------------------------------------

def _export_images(course, view, out_dir, urls):
    """Thumbnails and full images into the review folder, each read once from a deck showing it;
    objects without a picture Pillow can draw, cut out of their rendered slide (Renders)."""
    todo = {}
    for item in view.items:
        if not item.image:
            continue
        thumb = os.path.join(out_dir, thumb_name(item.image))
        full = next((f"img/full/{item.image[:16]}.{ext}" for ext in EXTENSIONS.values()
                     if os.path.exists(os.path.join(out_dir, "img", "full", f"{item.image[:16]}.{ext}"))), None)
        if os.path.exists(thumb) and full:
            urls.thumbs[item.uid], urls.fulls[item.uid] = thumb_name(item.image), full
            continue
        place = next((p for p in item.places if course.scan(p.deck).images.get((p.slide, p.shape_id))), None)
        if place is not None:
            part = course.scan(place.deck).images[(place.slide, place.shape_id)]
            todo.setdefault(place.deck, {}).setdefault(part, []).append(item)
    for deck, parts in todo.items():
        try:
            with Package(course.cfg.root_dir / deck, name=deck) as pkg:
                for part, items in parts.items():
                    for item in items:
                        _export_image(pkg.read(part), pkg.content_type(part), item, out_dir, urls)
        except (AltdeckError, OSError) as err:
            for item in (i for items in parts.values() for i in items):
                urls.problems.setdefault(item.uid, f"no preview (could not read the deck: {err})")
    renders = Renders(course.cfg)
    try:
        _export_crops(course, view, renders, urls)
        _export_slides(course, view, renders, out_dir, urls)
    finally:
        renders.close()


def _export_image(data, ctype, item, out_dir, urls):
    thumb = thumb_name(item.image)
    dest = os.path.join(out_dir, thumb)
    problem = None if os.path.exists(dest) else thumbnail(data, dest)
    if problem:
        urls.problems[item.uid] = f"no preview ({ctype or 'image'} cannot be rendered here)"
        return
    urls.thumbs[item.uid] = thumb
    try:
        urls.fulls[item.uid] = write_full(data, ctype, out_dir, item.image)
    except NoPreview:
        urls.fulls[item.uid] = thumb


def _export_crops(course, view, renders, urls):
    """Rows still without a thumbnail: their object cut out of its rendered slide (LibreOffice)."""
    by_deck = {}
    for item in view.items:
        where = None if item.uid in urls.thumbs else crop_of(course, item)
        if where:
            by_deck.setdefault(where[0], []).append((item, where[1]))
    for deck, wanted in by_deck.items():
        done = renders.crops(deck, [w for _, w in wanted])
        for item, w in wanted:
            got = done.get(w)
            if isinstance(got, tuple):
                urls.thumbs[item.uid], urls.fulls[item.uid] = got
            elif got is not None:
                urls.problems[item.uid] = str(got)


def _export_slides(course, view, renders, out_dir, urls):
    """The slide of each row's first place, where LibreOffice rendered it, copied for the dialog."""
    by_deck = {}
    for item in view.items:
        by_deck.setdefault(item.places[0].deck, []).append(item)
    for deck, items in by_deck.items():
        found = renders.slides(deck, [i.places[0].slide for i in items])
        for item in items:
            path = found.get(item.places[0].slide)
            if path:
                rel = f"img/slides/{os.path.basename(path)[:16]}.png"
                if not os.path.exists(os.path.join(out_dir, rel)):
                    with atomic_path(os.path.join(out_dir, rel)) as tmp:
                        shutil.copyfile(path, tmp)
                urls.slides[item.uid] = rel


def write_review(cfg):
    """Write index.html (with review.js and review.css) and the pictures into the review folder; -> the View."""
    out_dir = cfg.root_dir / cfg.review_dir
    try:
        os.makedirs(out_dir / "img", exist_ok=True)
    except OSError as err:
        raise AltdeckError(f"{out_dir}: cannot be written ({err.strerror}); make it writable or set review_dir "
                           "in config.yaml") from None
    course = Course(cfg)
    view = course.view()
    urls = StaticUrls()
    _export_images(course, view, out_dir, urls)
    try:
        for name in ASSETS:
            with atomic_path(out_dir / name, only_if_changed=True) as tmp:
                with open(tmp, "wb") as f:
                    f.write(asset(name))
        write_text(out_dir / "index.html", render(view, course, urls), only_if_changed=True)
    except OSError as err:
        raise AltdeckError(f"{err.filename or out_dir}: cannot be written ({err.strerror}); make {out_dir} "
                           "writable") from None
    return view
