"""`altdeck check`, `review`, `alt`, `waive`: tasks over the reports and alt-text.yaml.

None of them needs a model or the network, none builds a deck, and none is a
batch (no lock, no log): they read what the last build left (reports) and
what people wrote (alt-text.yaml); `alt` and `waive` write a person's decision into it.
They always run (no file_dep): each is quick when nothing changed.
"""
from doit.exceptions import TaskFailed

from ..errors import AltdeckError
from .common import course_config


def _command(action, params=()) -> dict:
    """A task that always runs (nothing to be up to date with) and prints what it did."""
    return {"actions": [(action, [course_config()])], "params": list(params), "uptodate": [False], "verbosity": 2}


def run_check(cfg, strict, json):
    from ..review import check               # imported when the task runs: a no-op build never pays for it
    strict = strict or cfg.check.strict
    try:
        outcome = check.run(cfg, strict)
    except AltdeckError as e:
        return TaskFailed(str(e))
    if json:
        import json as _json
        print(_json.dumps(outcome.summary(), indent=1, ensure_ascii=False))
    else:
        for g in outcome.gaps:
            print(g)
    if outcome.failing:
        return TaskFailed(outcome.line())
    if not json:
        print(outcome.line())


def task_check():
    """Show every deck's accessibility findings; fail on errors (--strict: warnings, unreviewed model text)."""
    return _command(run_check, [
        {"name": "strict", "long": "strict", "type": bool, "default": False,
         "help": "also fail on warnings and on model-written text nobody reviewed (config: check.strict)"},
        {"name": "json", "long": "json", "type": bool, "default": False,
         "help": "print the course summary as JSON (scores, counts per rule and deck) instead of lines"},
    ])


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
    return _command(run_review, [
        {"name": "serve", "long": "serve", "type": bool, "default": False,
         "help": "run the review app: decide in the browser (prints its address; Ctrl+C stops it)"},
        {"name": "port", "long": "port", "type": int, "default": 0,
         "help": "the app's port on 127.0.0.1 (default: a free one)"},
    ])


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
    return _command(run_alt, [
        {"name": "key", "long": "key", "default": "", "help": "the object's key (first characters)"},
        {"name": "hash", "long": "hash", "default": "", "help": "the same as --key (a picture's key is its hash)"},
        {"name": "text", "long": "text", "default": None, "help": "the alt text to use"},
        {"name": "reviewed", "long": "reviewed", "type": bool, "default": False,
         "help": "accept the current text as reviewed"},
        {"name": "decorative", "long": "decorative", "type": bool, "default": False,
         "help": "screen readers skip the object: PowerPoint's decorative flag in the accessible copy"},
    ])


def run_waive(cfg, rule, key, deck, slide, shape, reason):
    from ..review import decisions
    if not rule or not (key or deck):
        return TaskFailed("usage: altdeck waive --rule <rule id> --key <object key>  or  "
                          "--rule <rule id> --deck <deck> [--slide N] [--shape <name or id>] [--reason \"...\"]")
    try:
        where = decisions.waive(cfg, rule, key=key, deck=deck, slide=slide or None, shape=shape, reason=reason)
    except AltdeckError as e:
        return TaskFailed(str(e))
    print(f"waive {rule}: {where} (in {cfg.store_file}; `altdeck check` no longer counts it)")


def task_waive():
    """Accept an accessibility finding (in alt-text.yaml): on an object, or on a deck, slide or shape."""
    return _command(run_waive, [
        {"name": "rule", "long": "rule", "default": "", "help": "the finding's rule id, e.g. alt-long"},
        {"name": "key", "long": "key", "default": "", "help": "the object's key (first characters)"},
        {"name": "deck", "long": "deck", "default": "", "help": "a deck (course-relative path) instead of --key"},
        {"name": "slide", "long": "slide", "type": int, "default": 0, "help": "with --deck: only this slide"},
        {"name": "shape", "long": "shape", "default": "", "help": "with --deck: only this shape (name or id)"},
        {"name": "reason", "long": "reason", "default": "", "help": "why, for the next reader"},
    ])
