"""The accessibility scores as HTML, for the review page (the static export and the app alike).

One function of the data in review/findings.py returning one escaped HTML fragment, so any page
can show it: `course_section`, the course's score and a row per deck, lowest score first, with
its errors, warnings, tips, waived and not-checked counts, so a coordinator sees where to start.
The findings themselves are shown on their objects' rows and per deck (page.py).  Styles live in
assets/review.css (the app's Content-Security-Policy allows no inline style); the band is always
written out, never shown by colour alone.
"""
import html

from ..vocab import Severity
from .findings import band, course_totals, score_of

e = html.escape


def score_badge(score: int) -> str:
    name = band(score)
    return f'<span class="score score-{name.lower()}">{score}% {name}</span>'


def course_section(results) -> str:
    """The course's score and one row per deck (`results`: findings.DeckFindings), lowest first."""
    if not results:
        return ""
    checks, failed = course_totals(results)
    out = ['<section class="panel a11y" aria-labelledby="a11y-h">',
           f'<h2 id="a11y-h">Accessibility: course score {score_badge(score_of(checks, failed))}</h2>',
           f"<p>{checks} checks in {len(results)} deck{'s' if len(results) != 1 else ''}, {failed} failed. "
           "A score is the share of checks passed (Low 0–33, Medium 34–66, High 67–99, Perfect 100); "
           "<code>altdeck check</code> lists every finding with its fix.</p>",
           '<table class="scores"><caption class="vh">Accessibility score of each deck, lowest first</caption>'
           '<thead><tr><th scope="col">Deck</th><th scope="col">Score</th><th scope="col">Errors</th>'
           '<th scope="col">Warnings</th><th scope="col">Tips</th><th scope="col">Waived</th>'
           '<th scope="col">Not checked</th></tr></thead><tbody>']
    for r in sorted(results, key=lambda r: (r.score, r.deck)):
        out.append(f'<tr><th scope="row">{e(r.deck)}</th><td>{score_badge(r.score)}</td>'
                   f"<td>{r.count(Severity.ERROR)}</td><td>{r.count(Severity.WARNING)}</td>"
                   f"<td>{r.count(Severity.TIP)}</td><td>{len(r.waived)}</td><td>{len(r.unchecked)}</td></tr>")
    out.append("</tbody></table></section>")
    return "".join(out)
