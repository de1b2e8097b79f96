"""The review page: static HTML (an index and one page per deck) to review alt text at a glance.

Each object shows its thumbnail (Pillow, downscaled, one PNG per image shared
by all decks; for charts, tables, SmartArt, diagrams, ink, OLE objects and
pictures Pillow cannot draw, the object cut out of its rendered slide, from
the build's render cache), slide number and title, current alt text, where
the text came from and its status; pending and unreviewed ones stand out.
Built from the reports, the alt-text file and the decks; no model, no network.
"""
import hashlib
import html
import os
from dataclasses import dataclass
from urllib.parse import quote


from .. import discover
from ..describe.images import ImageRejected, open_image
from ..errors import AltdeckError
from ..files import atomic_path, write_text
from ..ooxml.package import Package
from ..ooxml.scan import scan
from ..store import altfile, freshness
from ..store.reports import read_report
from ..vocab import MACHINE_FREE, short_key

THUMB = (240, 180)

CSS = """
body{font:15px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;
vertical-align:top}th{background:#f4f4f4}
td.thumb{width:250px}td.thumb img{max-width:240px;max-height:180px;border:1px solid #ccc;background:#fff}
.noimg{display:inline-block;padding:.5rem;border:1px dashed #aaa;color:#666;font-size:13px}
.status{font-weight:600;white-space:nowrap;padding:.1rem .4rem;border-radius:3px}
tr.pending{background:#fde2e1}tr.pending .status{background:#c62828;color:#fff}
tr.unreviewed{background:#fff4d6}tr.unreviewed .status{background:#b26a00;color:#fff}
tr.stale{background:#e8eaf6}tr.stale .status{background:#3949ab;color:#fff}
code{font-size:12px;color:#555}.alt{max-width:32rem}.none{color:#999;font-style:italic}
td.bad{color:#c62828;font-weight:600}
"""


@dataclass
class Row:
    slide: int
    title: str
    kind: str
    name: str
    text: str
    source: str
    status: str          # pending | unreviewed | reviewed | human | kept | offline | decorative | stale
    image: str
    key: str             # the object's key in alt-text.yaml ("" when it has none)
    thumb: str | None    # path relative to the review folder, or None
    note: str            # why there is no thumbnail, or the pending reason


def status_of(o, entry, outdated) -> str:
    if outdated:
        return "stale"
    d = o["decision"]
    if d in ("pending", "decorative"):
        return d
    if d == "kept":
        return "kept"
    if o.get("source") == altfile.HUMAN or (entry and entry.source == altfile.HUMAN):
        return "human"
    if entry and entry.reviewed:
        return "reviewed"
    return "offline" if o.get("source") in MACHINE_FREE else "unreviewed"


def thumbnail(data: bytes, dest) -> str | None:
    """Write a PNG thumbnail; None (and nothing written) when Pillow cannot render the image."""
    try:
        with open_image(data, formats=None) as img:
            img.thumbnail(THUMB)
            if img.mode not in ("RGB", "RGBA", "L", "LA"):
                img = img.convert("RGBA")
            with atomic_path(dest) as tmp:
                img.save(tmp, "PNG")
        return None
    except ImageRejected as e:
        return str(e)
    except OSError as e:                  # Pillow opens EMF/WMF but cannot draw them off Windows
        return str(e) or type(e).__name__


def deck_rows(cfg, rel, report, entries, out_dir, soffice=None) -> tuple:
    """-> (rows, note about the deck or ""); `soffice` renders previews of objects without a picture."""
    titles, no_preview, note, previews = {}, {}, "", {}
    try:
        with Package(cfg.root_dir / rel, name=rel) as pkg:
            deck = scan(pkg)
            done = set()
            for s in deck.slides:
                titles[s.number] = s.title
                for part in [t.image for t in s.targets if t.image] + [b for b in s.backgrounds if b]:
                    if part in done:
                        continue
                    done.add(part)
                    data = pkg.read(part)
                    h = hashlib.sha256(data).hexdigest()
                    dest = os.path.join(out_dir, "img", h[:16] + ".png")
                    if not os.path.exists(dest) and thumbnail(data, dest):
                        no_preview[h] = f"no preview ({pkg.content_type(part) or part} cannot be rendered here)"
            previews = _rendered_previews(cfg, pkg, deck, report, out_dir, soffice, no_preview)
    except (AltdeckError, OSError) as e:
        note = f"could not open the deck for thumbnails: {e}"
    outdated = {id(o) for o in freshness.outdated_objects(report, entries)}
    rows = []
    for o in report.get("objects", []):
        h = o.get("image") or ""
        entry = entries.get(o.get("key") or "")
        thumb, why = None, ""
        if h and os.path.exists(os.path.join(out_dir, "img", h[:16] + ".png")):
            thumb = f"img/{h[:16]}.png"
        elif (o["slide"], o.get("id")) in previews:
            thumb, why = previews[(o["slide"], o.get("id"))]
        elif h:
            why = no_preview.get(h, "no preview (image not found in the deck)")
        else:
            why = f"no preview ({o['kind']})"
        rows.append(Row(o["slide"], titles.get(o["slide"], ""), o["kind"], o.get("name", ""), o.get("text", ""),
                        o.get("source", ""), status_of(o, entry, id(o) in outdated), h, o.get("key") or "", thumb,
                        why if thumb is None else ""))
        if o["decision"] == "pending" and o.get("reason"):
            rows[-1].note = (rows[-1].note + "; " if rows[-1].note else "") + o["reason"]
    return rows, note


def _rendered_previews(cfg, pkg, deck, report, out_dir, soffice, no_preview) -> dict:
    """{(slide, shape id): (thumbnail path or None, why not)} for objects whose own image shows nothing here:
    charts, tables, SmartArt, diagrams, ink, OLE objects and pictures Pillow cannot draw, cut out of
    their rendered slide (the build's render cache, so a slide is rendered once for both)."""
    targets = {(s.number, t.shape_id): t for s in deck.slides for t in s.targets}
    wanted = [o for o in report.get("objects", []) if o.get("kind") != "background"
              and (not o.get("image") or o["image"] in no_preview) and (o["slide"], o.get("id")) in targets]
    if not wanted:
        return {}
    from ..render.soffice import INSTALL_SOFFICE, RenderError
    if soffice is None:
        return {(o["slide"], o.get("id")): (None, f"no preview ({INSTALL_SOFFICE} it)") for o in wanted}
    from ..render.slides import SlideRenders
    renders = SlideRenders(pkg, cfg.root_dir / cfg.state_dir / "renders", soffice)
    out = {}
    try:
        try:
            renders.prepare(o["slide"] for o in wanted)
        except RenderError as e:
            return {(o["slide"], o.get("id")): (None, f"no preview ({e})") for o in wanted}
        for o in wanted:
            where = (o["slide"], o.get("id"))
            t = targets[where]
            name = "r-" + hashlib.sha256(f"{renders.digest(o['slide'])}|{t.box}".encode()).hexdigest()[:16] + ".png"
            dest = os.path.join(out_dir, "img", name)
            try:
                problem = None if os.path.exists(dest) else \
                    thumbnail(renders.crop(o["slide"], t.box, grow_down=o["kind"] == "table"), dest)
            except RenderError as e:
                problem = str(e)
            out[where] = (None, f"no preview ({problem})") if problem else (f"img/{name}", "")
    finally:
        renders.close()
    return out


def _page(title, body) -> str:
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>\n{body}\n</body></html>\n")


def deck_page(rel, rows, note) -> str:
    e = html.escape
    out = [f"<p><a href=\"index.html\">All decks</a></p><h1>{e(rel)}</h1>"]
    if note:
        out.append(f"<p class=\"bad\">{e(note)}</p>")
    out.append("<table><thead><tr><th>Image</th><th>Slide</th><th>Object</th><th>Alt text</th>"
               "<th>Source</th><th>Status</th></tr></thead><tbody>")
    for r in rows:
        img = (f"<img src=\"{e(r.thumb)}\" alt=\"\">" if r.thumb else
               f"<span class=\"noimg\">{e(r.note.split(';')[0])}</span>")
        text = f"<div class=\"alt\">{e(r.text)}</div>" if r.text and r.status != "pending" else \
            "<span class=\"none\">(no alt text)</span>" if r.status != "decorative" else \
            "<span class=\"none\">(decorative: screen readers skip it)</span>"
        key = e(short_key(r.key)) if r.key else ""
        edit = (f"<br><code>altdeck alt --key {key} --text \"…\"</code>" if key and
                r.status in ("pending", "unreviewed", "stale") else "")
        if key and r.status == "pending":
            edit += f"<br><code>altdeck alt --key {key} --decorative</code>"
        if key and r.status == "unreviewed":
            edit += f"<br><code>altdeck alt --key {key} --reviewed</code>"
        why = f"<br><small>{e(r.note)}</small>" if r.status == "pending" and r.note else ""
        out.append(f"<tr class=\"{r.status}\"><td class=\"thumb\">{img}</td>"
                   f"<td>{r.slide}<br><small>{e(r.title)}</small></td><td>{e(r.name)}<br><small>{e(r.kind)}"
                   f"</small></td><td>{text}{why}{edit}</td><td>{e(r.source)}</td>"
                   f"<td><span class=\"status\">{e(r.status)}</span></td></tr>")
    out.append("</tbody></table>")
    return _page(f"altdeck review: {rel}", "\n".join(out))


def index_page(summaries) -> str:
    e = html.escape
    out = ["<h1>Alt text review</h1><table><thead><tr><th>Deck</th><th>Objects</th><th>Pending</th>"
           "<th>Unreviewed</th><th>Other</th></tr></thead><tbody>"]
    for rel, counts, problem in summaries:
        if problem:
            out.append(f"<tr class=\"pending\"><td>{e(rel)}</td><td colspan=\"4\" class=\"bad\">{e(problem)}</td></tr>")
            continue
        cls = "pending" if counts["pending"] else "unreviewed" if counts["unreviewed"] else ""
        other = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()) if v and k not in ("pending", "unreviewed"))
        out.append(f"<tr class=\"{cls}\"><td><a href=\"{e(quote(discover.page_name(rel)))}\">{e(rel)}</a></td>"
                   f"<td>{sum(counts.values())}</td><td class=\"{'bad' if counts['pending'] else ''}\">"
                   f"{counts['pending']}</td><td>{counts['unreviewed']}</td><td>{e(other)}</td></tr>")
    out.append("</tbody></table>")
    return _page("altdeck review", "\n".join(out))


def write_review(cfg) -> dict:
    """Write the index and one page per deck; returns {deck: status counts}."""
    from ..render.soffice import Soffice, soffice_path
    out_dir = cfg.root_dir / cfg.review_dir
    try:
        os.makedirs(out_dir / "img", exist_ok=True)
    except OSError as e:
        raise AltdeckError(f"{out_dir}: cannot be written ({e.strerror}); make it writable or set review_dir "
                           "in config.yaml") from None
    entries = altfile.read(cfg.root_dir / cfg.store_file)
    summaries, result = [], {}
    soffice = Soffice(cfg.batch.deck_timeout_s) if soffice_path() else None    # one LibreOffice for all decks
    try:
        for rel in discover.find_decks(cfg):
            problem = discover.name_problem(rel)
            report = None if problem else read_report(cfg, rel)
            if report is None:
                summaries.append((discover.shown(rel), None, problem or "not built yet: run altdeck"))
                continue
            rows, note = deck_rows(cfg, rel, report, entries, out_dir, soffice)
            counts = {k: 0 for k in ("pending", "unreviewed")}
            for r in rows:
                counts[r.status] = counts.get(r.status, 0) + 1
            page = out_dir / discover.page_name(rel)
            try:
                write_text(page, deck_page(rel, rows, note))
            except OSError as e:              # one deck's page, not the whole review
                summaries.append((rel, None, f"its page {page} cannot be written ({e.strerror})"))
                continue
            result[rel] = counts
            summaries.append((rel, counts, ""))
    finally:
        if soffice:
            soffice.close()
    index = out_dir / "index.html"
    try:
        write_text(index, index_page(summaries))
    except OSError as e:
        raise AltdeckError(f"{index}: cannot be written ({e.strerror}); make {out_dir} writable") from None
    return result
