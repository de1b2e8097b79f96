"""A person's decisions on alt text, written to alt-text.yaml: their own text, or accepting a model's.

Shared by `altdeck alt` and anything else a person decides through.  Every
change is a read-modify-write of the file under the store's lock, so a build
folding its answers at the same moment never loses it, and a person's text
is never replaced by a machine's (store.journal.winner).
"""
from dataclasses import dataclass

from .. import discover
from ..errors import AltdeckError
from ..files import locked
from ..store import altfile
from ..store.altfile import HUMAN, Entry
from ..store.journal import lock_path
from ..store.reports import read_report

MIN_PREFIX = 6


@dataclass
class Decided:
    """What the file now says for an image."""
    image: str
    entry: Entry


def known_images(cfg) -> set:
    """Image hashes of the alt-text file and of every deck's last report."""
    hashes = set(altfile.read(cfg.root_dir / cfg.store_file))
    for rel in discover.find_decks(cfg):
        report = read_report(cfg, rel) or {}
        hashes.update(o["image"] for o in report.get("objects", []) if o.get("image"))
    return hashes


def find_image(cfg, prefix: str) -> str:
    """The one known image hash starting with `prefix`; AltdeckError (one line) otherwise."""
    prefix = (prefix or "").strip().lower()
    if len(prefix) < MIN_PREFIX:
        raise AltdeckError(f"altdeck alt: give --hash with at least {MIN_PREFIX} characters of the image's hash "
                           "(the review page and `altdeck check` show them)")
    matches = sorted(h for h in known_images(cfg) if h.startswith(prefix))
    if not matches:
        raise AltdeckError(f"altdeck alt: no image with hash {prefix}… in {cfg.store_file} or the reports; "
                           "run altdeck first, then copy the hash from `altdeck check` or the review page")
    if len(matches) > 1:
        raise AltdeckError(f"altdeck alt: {prefix}… matches {len(matches)} images; give more characters")
    return matches[0]


def set_text(cfg, image: str, text: str) -> Decided:
    """A person's text for an image: source human, reviewed, never replaced by a model."""
    text = " ".join((text or "").split())
    if not text:
        raise AltdeckError("altdeck alt: --text is empty; to have the image described again, "
                           f"delete its entry from {cfg.store_file}")
    return _change(cfg, image, lambda old: Entry(text, HUMAN, "", True, old.seen if old else ""))


def accept(cfg, image: str) -> Decided:
    """Mark the image's current text reviewed: --strict stops asking for it."""
    def reviewed(old):
        if old is None:
            raise AltdeckError(f"altdeck alt: image {image[:12]} has no text yet to review; give --text")
        old.reviewed = True
        return old
    return _change(cfg, image, reviewed)


def _change(cfg, image, change) -> Decided:
    path = cfg.root_dir / cfg.store_file
    with locked(lock_path(cfg)):
        entries = altfile.read(path)
        entries[image] = change(entries.get(image))
        altfile.write(path, entries)
    return Decided(image, entries[image])
