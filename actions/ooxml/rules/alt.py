"""The alt-* rules, on every object's final text (the deck's own, a person's, a model's, the offline one).

They run after the build decided and described, so they judge the text the accessible copy gets.
What makes text a file name is alttext.py's placeholder rule; the rest is alttext.py too, shared
with the cleaning of model answers (describe/clean.py), so a model's text that breaks a rule is
cleaned or asked again before it ever reaches here.
"""
from ...alttext import IMAGE_OF, is_file_name, repeats
from ...vocab import Decision, Kind, Rule, short_key

_FIX_MISSING = "add alt text in PowerPoint (right-click > View Alt Text), or mark it decorative there"
_FIX_MISSING_KEY = ('altdeck alt --key {key} --text "...", or --decorative if screen readers should skip it')


def _fix_edit(key, what):
    return (f'{what}: altdeck alt --key {short_key(key)} --text "..."' if key else
            f"{what} in PowerPoint (right-click > View Alt Text)")


def check_objects(findings, objects, titles: dict, texts: dict):
    """`objects`: the report's object dicts; `titles` {slide: title}; `texts` {slide: [paragraph texts]}."""
    limit = findings.rules.max_chars
    for o in objects:
        if o["kind"] == Kind.BACKGROUND:
            continue
        slide, sid, name, key = o["slide"], o.get("id", ""), o.get("name", ""), o.get("key") or ""
        findings.checked(Rule.ALT_MISSING)
        if o["decision"] == Decision.PENDING:
            findings.add(Rule.ALT_MISSING, slide, sid, name,
                         f"{o['kind']} has no alt text: {o.get('reason') or 'pending'}",
                         _FIX_MISSING_KEY.format(key=short_key(key)) if key else _FIX_MISSING)
            continue
        text = o.get("text") or ""
        if o["decision"] == Decision.DECORATIVE or not text:
            continue
        for rule in (Rule.ALT_LONG, Rule.ALT_FILENAME, Rule.ALT_IMAGE_OF, Rule.ALT_REDUNDANT):
            findings.checked(rule)
        if len(text) > limit:
            findings.add(Rule.ALT_LONG, slide, sid, name,
                         f"alt text is {len(text)} characters, over alt_text.max_chars ({limit})",
                         _fix_edit(key, "shorten it to a sentence or two and put details on the slide or in "
                                        "the notes"))
        if is_file_name(text):
            findings.add(Rule.ALT_FILENAME, slide, sid, name, f"alt text “{text}” is a file name or path",
                         _fix_edit(key, "describe what the picture shows"))
        if IMAGE_OF.match(text):
            findings.add(Rule.ALT_IMAGE_OF, slide, sid, name,
                         f"alt text starts “{IMAGE_OF.match(text).group(0).strip()}”, which a screen reader "
                         "already announces", _fix_edit(key, "start with what it shows"))
        what = repeats(text, titles.get(slide, ""), texts.get(slide, ()))
        if what:
            findings.add(Rule.ALT_REDUNDANT, slide, sid, name, f"alt text repeats {what}",
                         _fix_edit(key, "say what the picture adds to the slide"))
