"""doit tasks over the alt-text file and the reports: `doit check`, `doit review`, `doit alt`.

None of them needs a model or the network, and none builds a deck: they
read what the last `doit` left (reports) and what people wrote (alt-text.yaml).
They always run (no file_dep): each is quick when nothing changed.
"""
from doit.exceptions import TaskFailed

from . import altfile, discover
from .altfile import HUMAN, Entry
from .errors import AltdeckError
from .report import read_report
from .tasks import load_config


def run_check(cfg, strict):
    try:
        from . import check                  # imported when the task runs: a no-op `doit` never pays for it
        gaps, n = check.find_gaps(cfg, strict or cfg.check.strict)
    except AltdeckError as e:
        return TaskFailed(str(e))
    for g in gaps:
        print(g)
    if gaps:
        decks = len({g.deck for g in gaps})
        return TaskFailed(f"{len(gaps)} gap(s) in {decks} of {n} deck(s): alt text missing"
                          + (" or not reviewed" if strict or cfg.check.strict else ""))
    print(f"check: all {n} deck(s) have alt text on every object" +
          (" (model text reviewed)" if strict or cfg.check.strict else ""))


def task_check():
    """Fail if any object in any deck lacks alt text (--strict: or has unreviewed model text)."""
    cfg = load_config()
    return {
        "actions": [(run_check, [cfg])],
        "params": [{"name": "strict", "long": "strict", "type": bool, "default": False,
                    "help": "also fail on model-written text nobody reviewed (config: check.strict)"}],
        "uptodate": [False],
        "verbosity": 2,
    }


def run_review(cfg):
    try:
        from . import review                 # Pillow, only when the review page is written
        counts = review.write_review(cfg)
    except AltdeckError as e:
        return TaskFailed(str(e))
    pending = sum(c["pending"] for c in counts.values())
    unreviewed = sum(c["unreviewed"] for c in counts.values())
    print(f"review: {cfg.review_dir}/index.html ({len(counts)} deck(s), {pending} pending, "
          f"{unreviewed} unreviewed)")


def task_review():
    """Write the HTML review page: thumbnails, alt text, source and status of every object."""
    cfg = load_config()
    return {"actions": [(run_review, [cfg])], "uptodate": [False], "verbosity": 2}


def known_hashes(cfg) -> set:
    """Image hashes of the alt-text file and of every deck's last report."""
    hashes = set(altfile.read(cfg.root_dir / cfg.store_file))
    for rel in discover.find_decks(cfg):
        report = read_report(cfg, rel) or {}
        hashes.update(o["image"] for o in report.get("objects", []) if o.get("image"))
    return hashes


def set_entry(cfg, prefix: str, text: str | None, reviewed: bool) -> str:
    """Write a person's text (source human) or mark the current text reviewed; -> the full hash."""
    prefix = prefix.strip().lower()
    if len(prefix) < 6:
        raise AltdeckError("doit alt: give --hash with at least 6 characters of the image's hash "
                           "(the review page and `doit check` show them)")
    matches = sorted(h for h in known_hashes(cfg) if h.startswith(prefix))
    if not matches:
        raise AltdeckError(f"doit alt: no image with hash {prefix}… in {cfg.store_file} or the reports; "
                           "run doit first, then copy the hash from `doit check` or the review page")
    if len(matches) > 1:
        raise AltdeckError(f"doit alt: {prefix}… matches {len(matches)} images; give more characters")
    h = matches[0]
    path = cfg.root_dir / cfg.store_file
    with altfile.locked(cfg.root_dir / cfg.state_dir / "images.lock"):
        entries = altfile.read(path)
        old = entries.get(h)
        if text is not None:
            text = " ".join(text.split())
            if not text:
                raise AltdeckError("doit alt: --text is empty; to have the image described again, "
                                   f"delete its entry from {cfg.store_file}")
            entries[h] = Entry(text, HUMAN, "", True, old.seen if old else "")
        elif old is None:
            raise AltdeckError(f"doit alt: image {h[:12]} has no text yet to review; give --text")
        else:
            old.reviewed = True
        altfile.write(path, entries)
    return h


def run_alt(cfg, hash, text, reviewed):
    if not hash or (text is None and not reviewed):
        return TaskFailed('usage: doit alt --hash <first characters> --text "..."  or  --reviewed')
    try:
        h = set_entry(cfg, hash, text, reviewed)
    except AltdeckError as e:
        return TaskFailed(str(e))
    entry = altfile.read(cfg.root_dir / cfg.store_file)[h]
    print(f"alt {h[:12]}: {entry.text!r} ({entry.source}{', reviewed' if entry.reviewed else ''}); "
          "run doit to rebuild the decks that show it")


def task_alt():
    """Set an image's alt text (yours wins over any model) or mark its text reviewed."""
    cfg = load_config()
    return {
        "actions": [(run_alt, [cfg])],
        "params": [
            {"name": "hash", "long": "hash", "default": "", "help": "the image's hash (first characters)"},
            {"name": "text", "long": "text", "default": None, "help": "the alt text to use"},
            {"name": "reviewed", "long": "reviewed", "type": bool, "default": False,
             "help": "accept the current text as reviewed"},
        ],
        "uptodate": [False],
        "verbosity": 2,
    }
