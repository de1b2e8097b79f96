"""`altdeck check`, `altdeck review`, `altdeck alt`: tasks over the reports and alt-text.yaml.

None of them needs a model or the network, none builds a deck, and none is a
batch (no lock, no log): they read what the last build left (reports) and
what people wrote (alt-text.yaml); `alt` writes a person's decision into it.
They always run (no file_dep): each is quick when nothing changed.
"""
from doit.exceptions import TaskFailed

from ..errors import AltdeckError
from .common import course_config


def run_check(cfg, strict):
    from ..review import check               # imported when the task runs: a no-op build never pays for it
    strict = strict or cfg.check.strict
    try:
        gaps, n = check.find_gaps(cfg, strict)
    except AltdeckError as e:
        return TaskFailed(str(e))
    for g in gaps:
        print(g)
    if gaps:
        decks = len({g.deck for g in gaps})
        return TaskFailed(f"{len(gaps)} gap(s) in {decks} of {n} deck(s): alt text missing"
                          + (" or not reviewed" if strict else ""))
    print(f"check: all {n} deck(s) have alt text on every object" + (" (model text reviewed)" if strict else ""))


def task_check():
    """Fail if any object in any deck lacks alt text (--strict: or has unreviewed model text)."""
    cfg = course_config()
    return {
        "actions": [(run_check, [cfg])],
        "params": [{"name": "strict", "long": "strict", "type": bool, "default": False,
                    "help": "also fail on model-written text nobody reviewed (config: check.strict)"}],
        "uptodate": [False],
        "verbosity": 2,
    }


def run_review(cfg, serve, port):
    try:
        if serve:
            from ..review import app             # the web app, only when asked for
            app.serve(cfg, port, say=lambda line: print(line, flush=True))
            return None
        from ..review import page                # Pillow, only when the review page is written
        view = page.write_review(cfg)
    except AltdeckError as e:
        return TaskFailed(str(e))
    t = view.totals
    print(f"review: {cfg.review_dir}/index.html ({len(view.items)} object(s) in {len(view.decks)} deck(s): "
          f"{t.get('pending', 0)} pending, {t.get('unreviewed', 0)} unreviewed)")


def task_review():
    """Write the review page (read-only), or with --serve run the review app on 127.0.0.1."""
    cfg = course_config()
    return {
        "actions": [(run_review, [cfg])],
        "params": [
            {"name": "serve", "long": "serve", "type": bool, "default": False,
             "help": "run the review app: decide in the browser (prints its address; Ctrl+C stops it)"},
            {"name": "port", "long": "port", "type": int, "default": 0,
             "help": "the app's port on 127.0.0.1 (default: a free one)"},
        ],
        "uptodate": [False],
        "verbosity": 2,
    }


def run_alt(cfg, key, hash, text, reviewed, decorative):
    from ..review import decisions
    from ..vocab import short_key
    key = key or hash
    if not key or (text is None and not reviewed and not decorative) or (decorative and text is not None):
        return TaskFailed('usage: altdeck alt --key <first characters> --text "..."  or  --reviewed  or  --decorative')
    try:
        key = decisions.find_key(cfg, key)
        done = (decisions.set_text(cfg, key, text) if text is not None else
                decisions.set_decorative(cfg, key) if decorative else decisions.accept(cfg, key))
    except AltdeckError as e:
        return TaskFailed(str(e))
    e = done.entry
    what = "decorative (screen readers skip it)" if e.decorative else repr(e.text)
    print(f"alt {short_key(key)}: {what} ({e.source}{', reviewed' if e.reviewed else ''}); "
          "run altdeck to rebuild the decks that show it")


def task_alt():
    """Set an object's alt text (yours wins over any model), mark it decorative, or mark its text reviewed."""
    cfg = course_config()
    return {
        "actions": [(run_alt, [cfg])],
        "params": [
            {"name": "key", "long": "key", "default": "", "help": "the object's key (first characters)"},
            {"name": "hash", "long": "hash", "default": "", "help": "the same as --key (a picture's key is its hash)"},
            {"name": "text", "long": "text", "default": None, "help": "the alt text to use"},
            {"name": "reviewed", "long": "reviewed", "type": bool, "default": False,
             "help": "accept the current text as reviewed"},
            {"name": "decorative", "long": "decorative", "type": bool, "default": False,
             "help": "screen readers skip the object: PowerPoint's decorative flag in the accessible copy"},
        ],
        "uptodate": [False],
        "verbosity": 2,
    }
