"""A person's decisions on alt text, written to alt-text.yaml: their own text, accepting a model's,
or marking an object decorative.

Shared by `altdeck alt` and anything else a person decides through.  Every
change is a read-modify-write of the file under the store's lock, so a build
folding its answers at the same moment never loses it, and a person's text
is never replaced by a machine's (store.journal.winner).
"""
from dataclasses import dataclass

from .. import discover
from ..errors import AltdeckError
from ..store import altfile
from ..store.altfile import HUMAN, Entry
from ..store.journal import change_file
from ..store.reports import read_report
from ..vocab import short_key

MIN_PREFIX = 6


@dataclass
class Decided:
    """What the file now says for an object."""
    key: str
    entry: Entry


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


def set_text(cfg, key: str, text: str) -> Decided:
    """A person's text for an object: source human, reviewed, never replaced by a model."""
    text = " ".join((text or "").split())
    if not text:
        raise AltdeckError("altdeck alt: --text is empty; to have the object described again, "
                           f"delete its entry from {cfg.store_file}, or mark it --decorative")
    if altfile.text_problem(text):
        raise AltdeckError(f"altdeck alt: --text {altfile.text_problem(text)}")
    return _change(cfg, key, lambda old: Entry(text, HUMAN, "", True, old.seen if old else "",
                                               waive=old.waive if old else ()))


def set_decorative(cfg, key: str) -> Decided:
    """A person's decision that screen readers skip the object: the copy gets PowerPoint's decorative flag."""
    return _change(cfg, key, lambda old: Entry("", HUMAN, "", True, old.seen if old else "", decorative=True,
                                               waive=old.waive if old else ()))


def accept(cfg, key: str) -> Decided:
    """Mark the object's current text reviewed: --strict stops asking for it."""
    def reviewed(old):
        if old is None:
            raise AltdeckError(f"altdeck alt: object {short_key(key)} has no text yet to review; give --text")
        old.reviewed = True
        return old
    return _change(cfg, key, reviewed)


def _change(cfg, key, change) -> Decided:
    def edit(entries):
        entries[key] = change(entries.get(key))
    try:
        entries = change_file(cfg, edit)
    except OSError as e:
        raise AltdeckError(f"{e.filename or cfg.store_file}: cannot be written ({e.strerror})") from None
    return Decided(key, entries[key])
