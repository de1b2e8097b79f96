"""A person's decisions on alt text, written to alt-text.yaml: their own text, accepting a model's,
marking an object decorative, going back to the model's text, or waiving an accessibility finding.

Shared by `altdeck alt` and the review app.  Every change is a
read-modify-write of the file under the store's lock, so a build folding
its answers at the same moment never loses it, and a person's text is never
replaced by a machine's (store.journal.winner).  The review app also says
which entry it showed (`expect`, a fingerprint): when the entry changed
meanwhile (by hand, by `altdeck alt` or by a build), the decision is refused
with a message instead of overwriting what it did not show.
"""
import hashlib
from dataclasses import dataclass, replace

from .. import discover
from ..errors import AltdeckError
from ..store import altfile
from ..store.altfile import HUMAN, Entry, Waiver
from ..store.journal import change_file
from ..store.reports import read_report
from ..vocab import Rule, short_key

MIN_PREFIX = 6


@dataclass
class Decided:
    """What the file now says for an object."""
    key: str
    entry: Entry


class Changed(AltdeckError):
    """The entry changed since the page showed it; nothing was written for it."""

    def __init__(self, key, entry):
        self.key, self.entry = key, entry
        now = ("decorative" if entry.decorative else repr(entry.text)) if entry else "no entry"
        super().__init__(f"{short_key(key)} was changed meanwhile (by hand, by altdeck alt or by a build; it is now "
                         f"{now}); nothing was written: check the new text and decide again")


def fingerprint(entry: Entry | None) -> str:
    """What a person saw of an entry: its text and decision, not where it was first seen or its waivers."""
    if entry is None:
        return "none"
    seen = f"{entry.text}\n{entry.source}\n{entry.reviewed}\n{entry.decorative}"
    return hashlib.sha256(seen.encode("utf-8")).hexdigest()[:16]


def known_keys(cfg) -> set:
    """Object keys of the alt-text file and of every deck's last report."""
    keys = set(altfile.read(cfg.root_dir / cfg.store_file))
    for rel in discover.find_decks(cfg):
        report = read_report(cfg, rel) or {}
        keys.update(o["key"] for o in report.get("objects", []) if o.get("key"))
    return keys


def find_key(cfg, prefix: str) -> str:
    """The one known object key starting with `prefix`; AltdeckError (one line) otherwise."""
    prefix = (prefix or "").strip().lower()
    if len(prefix) < MIN_PREFIX:
        raise AltdeckError(f"altdeck alt: give --key with at least {MIN_PREFIX} characters of the object's key "
                           "(`altdeck check` and the review page show them)")
    matches = sorted(k for k in known_keys(cfg) if k.startswith(prefix))
    if not matches:
        raise AltdeckError(f"altdeck alt: no object with key {prefix}… in {cfg.store_file} or the reports; "
                           "run altdeck first, then copy the key from `altdeck check` or the review page")
    if len(matches) > 1:
        raise AltdeckError(f"altdeck alt: {prefix}… matches {len(matches)} objects; give more characters")
    return matches[0]


def clean_text(text: str) -> str:
    """A person's text as stored: one line, single spaces."""
    return " ".join((text or "").split())


def _human(old, **fields) -> Entry:
    return Entry(fields.pop("text", ""), HUMAN, "", True, old.seen if old else "",
                 waive=old.waive if old else (), **fields)


def set_text(cfg, key: str, text: str, expect: str | None = None) -> Decided:
    """A person's text for an object: source human, reviewed, never replaced by a model."""
    text = clean_text(text)
    if not text:
        raise AltdeckError("altdeck alt: --text is empty; to have the object described again, "
                           f"delete its entry from {cfg.store_file}, or mark it --decorative")
    if altfile.text_problem(text):
        raise AltdeckError(f"altdeck alt: --text {altfile.text_problem(text)}")
    return _change(cfg, key, lambda old: _human(old, text=text), expect)


def set_decorative(cfg, key: str, expect: str | None = None) -> Decided:
    """A person's decision that screen readers skip the object: the copy gets PowerPoint's decorative flag."""
    return _change(cfg, key, lambda old: _human(old, decorative=True), expect)


def _reviewed(key, old):
    if old is None or not (old.text or old.decorative):
        raise AltdeckError(f"altdeck alt: object {short_key(key)} has no text yet to review; give --text")
    return replace(old, reviewed=True)


def accept(cfg, key: str, expect: str | None = None) -> Decided:
    """Mark the object's current text reviewed: --strict stops asking for it."""
    return _change(cfg, key, lambda old: _reviewed(key, old), expect)


def accept_many(cfg, expected: dict) -> tuple:
    """Accept several texts in one write: {key: fingerprint shown} -> (accepted keys, {key: why not})."""
    return _change_many(cfg, {key: (lambda old, key=key: _reviewed(key, old), fp) for key, fp in expected.items()})


def revert(cfg, key: str, model: Entry, expect: str | None = None) -> Decided:
    """Back to a model's text (unreviewed, as the model wrote it); `model` comes from a deck's report."""
    return _change(cfg, key, lambda old: replace(model, reviewed=False, seen=old.seen if old else model.seen,
                                                 waive=old.waive if old else ()), expect)


def _change(cfg, key, change, expect=None) -> Decided:
    done, refused = _change_many(cfg, {key: (change, expect)})
    if key in refused:
        raise refused[key]
    return Decided(key, done[key])


def _change_many(cfg, changes: dict) -> tuple:
    """Apply {key: (change(old entry) -> new entry, fingerprint expected or None)} in one read-modify-write
    of the file (store.journal.change_file: under the store's lock, and replaced only if nobody saved it
    meanwhile); -> ({key: new entry}, {key: AltdeckError}) for the changes made and refused."""
    result = {}

    def edit(entries):            # runs again on a file saved meanwhile: decides afresh each time
        done, refused = {}, {}
        for key, (change, expect) in changes.items():
            old = entries.get(key)
            if expect is not None and fingerprint(old) != expect:
                refused[key] = Changed(key, old)
                continue
            try:
                entries[key] = done[key] = change(old)
            except AltdeckError as e:
                refused[key] = e
        result.update(done=done, refused=refused)

    try:
        change_file(cfg, edit)
    except OSError as e:
        raise AltdeckError(f"{e.filename or cfg.store_file}: cannot be written ({e.strerror})") from None
    return result["done"], result["refused"]


def waive(cfg, rule: str, key: str = "", deck: str = "", slide: int | None = None, shape: str = "",
          reason: str = "") -> str:
    """Accept a finding; returns where the waiver went, in words.

    With `key`: on the object's entry (kept while the object is unchanged), or, when the object has
    no entry (its text is the deck's own, or it has none), as deck waivers on each slide showing it.
    Otherwise a deck waiver: the rule on the deck, narrowed by slide and shape.
    """
    reason = clean_text(reason)
    if rule not in {r.value for r in Rule}:
        raise AltdeckError(f"altdeck waive: unknown rule '{rule}' (rules: {', '.join(r.value for r in Rule)})")
    places = []
    if key:
        key = find_key(cfg, key)
        places = [(rel, o["slide"], o.get("id") or o.get("name") or "") for rel in discover.find_decks(cfg)
                  for o in (read_report(cfg, rel) or {}).get("objects", []) if o.get("key") == key]
    elif deck not in discover.find_decks(cfg):
        raise AltdeckError(f"altdeck waive: give --key of an object, or --deck with one of the course's decks "
                           f"(not {deck!r})")
    said = []

    def edit(entries, waivers):
        said.clear()
        if key and key in entries:
            e = entries[key]
            entries[key] = replace(e, waive=tuple(sorted(set(e.waive) | {rule})))
            said.append(f"object {short_key(key)} (while it is unchanged)")
            return
        new = [(d, Waiver(rule, s, sh, reason)) for d, s, sh in places] if key else \
            [(deck, Waiver(rule, slide, shape, reason))]
        for d, w in new:
            if w not in waivers.setdefault(d, []):
                waivers[d].append(w)
        said.append("; ".join(f"{d}: {w.where()}" for d, w in new) or "nowhere (the object is in no report)")
    try:
        change_file(cfg, edit, waivers=True)
    except OSError as e:
        raise AltdeckError(f"{e.filename or cfg.store_file}: cannot be written ({e.strerror})") from None
    return said[0]
