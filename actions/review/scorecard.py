"""The accessibility findings and scores as HTML, for the review page (and the review app).

Two functions of the data in review/findings.py, each returning one escaped HTML fragment, so any
page can show them: `deck_section` (a deck's score, its findings with their fixes, what was waived
and what could not be checked) and `course_section` (the course's score and a row per deck, worst
first, so a coordinator sees where to start).  Deck text and model text are escaped everywhere.
"""
import html

from ..vocab import Severity
from .findings import band

CSS = """
.score{display:inline-block;font-weight:700;padding:.15rem .5rem;border-radius:3px;color:#fff}
.score.Low{background:#c62828}.score.Medium{background:#b26a00}.score.High{background:#2e7d32}
.score.Perfect{background:#1b5e20}
tr.finding.error td.sev{color:#c62828;font-weight:600}tr.finding.warning td.sev{color:#b26a00;font-weight:600}
tr.finding.tip td.sev{color:#555}section.a11y{margin:1rem 0 1.5rem}section.a11y h2{font-size:1.15rem}
"""


def score_badge(score: int) -> str:
    name = band(score)
    return f"<span class=\"score {name}\">{score}% {name}</span>"


def _where(f):
    return "deck" if f.get("slide") is None else str(f["slide"])


def deck_section(result) -> str:
    """A deck's findings (a findings.DeckFindings) as an HTML section."""
    e = html.escape
    counts = ", ".join(f"{result.count(s)} {s}{'s' if result.count(s) != 1 else ''}" for s in Severity)
    out = [f"<section class=\"a11y\"><h2>Accessibility check {score_badge(result.score)}</h2>",
           f"<p>{sum(result.checks.values())} checks, {sum(result.failed.values())} failed: {e(counts)}"
           + (f"; {len(result.waived)} waived" if result.waived else "") + ".</p>"]
    if result.findings:
        out.append("<table><thead><tr><th>Slide</th><th>Shape</th><th>Severity</th><th>Rule</th>"
                   "<th>Finding</th><th>Fix</th></tr></thead><tbody>")
        for f in result.findings:
            out.append(f"<tr class=\"finding {e(f['severity'])}\"><td>{e(_where(f))}</td><td>{e(f.get('shape', ''))}"
                       f"</td><td class=\"sev\">{e(f['severity'])}</td><td><code>{e(f['rule'])}</code></td>"
                       f"<td>{e(f['message'])}</td><td>{e(f['fix'])}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append("<p>No findings.</p>")
    if result.waived:
        out.append(f"<details><summary>{len(result.waived)} waived</summary><ul>")
        out += [f"<li>slide {e(_where(f))} {e(f.get('shape', ''))}: <code>{e(f['rule'])}</code> {e(f['message'])} "
                f"({e(how)})</li>" for f, how in result.waived]
        out.append("</ul></details>")
    if result.unchecked:
        out.append(f"<details><summary>{len(result.unchecked)} not checked (judge these by eye)</summary><ul>")
        out += [f"<li>slide {e(_where(u))} {e(u.get('shape', ''))}: {e(u['message'])}</li>" for u in result.unchecked]
        out.append("</ul></details>")
    out.append("</section>")
    return "\n".join(out)


def course_section(results, link=None) -> str:
    """The course's score and one row per deck, lowest score first (`link(deck)`: its page's URL)."""
    from .findings import score_of
    e = html.escape
    checks = sum(sum(r.checks.values()) for r in results)
    failed = sum(sum(r.failed.values()) for r in results)
    out = [f"<section class=\"a11y\"><h2>Accessibility: course score {score_badge(score_of(checks, failed))}</h2>",
           f"<p>{checks} checks in {len(results)} deck(s), {failed} failed. Score: the share of checks passed "
           "(Low 0–33, Medium 34–66, High 67–99, Perfect 100).</p>",
           "<table><thead><tr><th>Deck</th><th>Score</th><th>Errors</th><th>Warnings</th><th>Tips</th>"
           "<th>Waived</th></tr></thead><tbody>"]
    for r in sorted(results, key=lambda r: (r.score, r.deck)):
        name = f"<a href=\"{e(link(r.deck))}\">{e(r.deck)}</a>" if link else e(r.deck)
        out.append(f"<tr><td>{name}</td><td>{score_badge(r.score)}</td><td>{r.count(Severity.ERROR)}</td>"
                   f"<td>{r.count(Severity.WARNING)}</td><td>{r.count(Severity.TIP)}</td><td>{len(r.waived)}</td></tr>")
    out.append("</tbody></table></section>")
    return "\n".join(out)
