"""The committed alt-text file (alt-text.yaml): the course's reviewable record of every object's text.

One entry per object, keyed by its store key (vocab.Key.store_id: a picture's
sha256, or `<kind>-<digest>` of another object's content), sorted, one field
a line, so a diff shows exactly which description changed.  An entry holds
text, or `decorative: true` (with the `reason` when altdeck decided it), and
the findings a person waived for the object (`waive`: rule ids, kept while the object, and so its
key, is unchanged).  Findings without an object entry (a slide without a title, a text's contrast,
an object that has no entry) are waived in the `waivers:` section, per deck: rule, and optionally
slide and shape (name or id).  It is the source
of truth across clones; the SQLite journal in the state folder only holds
answers that arrived since the last fold (see store.py).

A machine entry carries `signature` (which describer wrote it) and `check`
(a digest of signature and text).  When a person edits the text in the file,
the check no longer matches and the entry is read as the person's: source
becomes `human`, and no model ever replaces it.
"""
import functools
import hashlib
import itertools
import json
import os
import stat
from dataclasses import dataclass

from ..alttext import placeholder_reason
from ..errors import AltdeckError, brief, printable
from ..files import atomic_path, read_yaml
from ..patterns import Pattern
from ..vocab import Rule, Source

HUMAN = Source.HUMAN
AUTO = Source.AUTO
VERSION = 2
HEADER = """\
# altdeck alt text: one entry per object, keyed by a picture's sha256 or another object's content key.
# Commit this file with the decks; the same object anywhere in the course uses its entry.
#   Correct a text: edit `text` (it becomes yours: source human, never replaced by a model),
#     or run: altdeck alt --key <first characters> --text "..."
#   Accept a model's text as it is: set `reviewed: true`, or run: altdeck alt --key <...> --reviewed
#   Screen readers should skip it: altdeck alt --key <...> --decorative
#   `source: auto` entries are decorative by altdeck's rules (the reason says which): give a
#     text to overrule one, or accept it with --reviewed.  `source: ocr` text was read from the picture.
#   Delete an entry to have the object described again.
# `seen` says where the object was first met; `signature` and `check` say which describer
# wrote the text (altdeck maintains them).
# Accessibility findings a person accepts: `waive: [rule, ...]` on an object's entry, or under
# `waivers:` per deck (rule; slide and shape narrow it): altdeck waive --help
"""


@dataclass
class Entry:
    text: str            # "" only when decorative
    source: str          # human, auto, ocr, existing, or the model (e.g. ollama:llava); offline text is never stored
    signature: str = ""  # signature_digest() of the describer that wrote it, or of the decorative rules
                         # that decided it (source auto); "" for human text
    reviewed: bool = False
    seen: str = ""       # deck:slide where the object was first described
    decorative: bool = False    # screen readers skip it (PowerPoint's decorative flag in the copy)
    reason: str = ""     # why altdeck decided it (source auto), e.g. "the same picture on 9 of 12 slides"
    waive: tuple = ()    # rule ids of findings a person waived for this object

    @property
    def protected(self) -> bool:
        """Human or reviewed text: no machine text ever replaces it."""
        return self.source == HUMAN or self.reviewed

    def usable_for(self, describer_json: str, rules_json: str = "") -> bool:
        """Whether a run whose describer signature is `describer_json` uses the text instead of describing again.

        Human and reviewed text always; machine text when the same describer wrote it, or when
        the run has no vision model (an offline run never downgrades a model's text).  A
        different vision model describes again: that is why one changes the model.  A model's
        placeholder ("IMG_1234.JPG", stored by an altdeck that did not judge answers) never.  An
        automatic decorative decision only while the run's decorative rules (`rules_json`, "" when
        decorative.auto is off) are the ones that made it.
        """
        if self.protected:
            return True
        if self.source == AUTO:
            return bool(rules_json) and self.signature == signature_digest(rules_json)
        if not self.decorative and placeholder_reason(self.text):
            return False
        if self.signature == signature_digest(describer_json):
            return True
        try:
            return not json.loads(describer_json).get("vision")
        except (ValueError, AttributeError):
            return False


def digest(text: str, n=12) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


@functools.lru_cache(maxsize=64)
def signature_digest(describer_json: str) -> str:
    """Short, stable name of a describer (the JSON of Describer.signature()): what entries record."""
    return digest(describer_json) if describer_json else ""


def text_check(signature_digest: str, text: str, decorative: bool = False) -> str:
    """What a person's edit of a machine entry's text or decision breaks (the entry is then theirs)."""
    return digest(f"{signature_digest}\n{text}" + ("\ndecorative" if decorative else ""), 8)


class AltFileError(AltdeckError):
    pass


MAX_TEXT_CHARS = 10_000     # alt text is read as one run of speech; longer belongs on the slide or in notes
_TRUE, _FALSE = {"true", "yes", "y", "on"}, {"false", "no", "n", "off", ""}


@dataclass(frozen=True)
class Waiver:
    """A finding a person accepted for a deck: the rule, on one slide (or all), on one shape (or all)."""
    rule: str
    slide: int | None = None
    shape: str = ""       # a shape's name or id
    reason: str = ""      # why, for the next reader

    def matches(self, finding: dict) -> bool:
        return (finding["rule"] == self.rule and (self.slide is None or finding.get("slide") == self.slide)
                and (not self.shape or self.shape in (finding.get("shape"), finding.get("shape_id"))))

    def where(self) -> str:
        return (f"{self.rule}" + (f" on slide {self.slide}" if self.slide is not None else "")
                + (f" shape {self.shape}" if self.shape else ""))


def read(path) -> dict:
    """{key: Entry} of the file ({} when it does not exist).

    Runs read it only when it changed since the store last copied it (store.py), so it is
    parsed here and not kept: a big course's file costs memory only while it is read.
    """
    return read_all(path)[0]


def read_all(path) -> tuple:
    """-> ({key: Entry}, {deck: [Waiver]}) of the file (both empty when it does not exist)."""
    if not os.path.exists(path):
        return {}, {}
    if os.path.isdir(path):
        raise AltFileError(f"{path}: is a folder; altdeck keeps alt text in a file of that name "
                           "(store_file in config.yaml): move the folder away")
    return _parse(os.fspath(path))


def text_problem(text: str) -> str | None:
    """Why `text` cannot be an object's alt text (None: it can)."""
    if len(text) > MAX_TEXT_CHARS:
        return (f"is {len(text):,} characters long (limit {MAX_TEXT_CHARS:,}); alt text is read out in one go: "
                "shorten it and put the long description on the slide or in the notes")
    return None


def _flag(path, key, v, name) -> bool:
    """A yes/no field: true/false, or the words people write for them ("yes" quoted is still yes)."""
    value = v.get(name, False)
    if isinstance(value, bool):
        return value
    if value is None or (isinstance(value, str) and value.strip().lower() in _FALSE):
        return False
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    raise AltFileError(f"{path}: entry {str(key)[:12]}… has `{name}: {brief(value)}`; write true or false")


_RULES = {r.value for r in Rule}


def _rule_ids(path, where, rules) -> tuple:
    unknown = [r for r in rules if r not in _RULES]
    if unknown:
        raise AltFileError(f"{path}: {where} names unknown rule {brief(unknown[0])} "
                           f"(rules: {', '.join(sorted(_RULES))})")
    return tuple(rules)


def _waivers(path, data) -> dict:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AltFileError(f"{path}: 'waivers:' must map deck paths to lists of waivers (rule, slide, shape)")
    out = {}
    for deck, items in data.items():
        if not isinstance(items, list) or not all(isinstance(w, dict) for w in items):
            raise AltFileError(f"{path}: waivers of {printable(deck)} must be a list of mappings such as "
                               "{rule: title-missing, slide: 3}")
        out[str(deck)] = []
        for w in items:
            extra = set(w) - {"rule", "slide", "shape", "reason"}
            slide = w.get("slide")
            if extra or not isinstance(w.get("rule"), str) or not (slide is None or (
                    isinstance(slide, int) and not isinstance(slide, bool) and slide >= 1)):
                raise AltFileError(f"{path}: a waiver of {printable(deck)} must have `rule:` and may have `slide:` (a "
                                   f"slide number), `shape:` and `reason:`; got {brief(w)}")
            _rule_ids(path, f"a waiver of {printable(deck)}", [w["rule"]])
            out[str(deck)].append(Waiver(w["rule"], slide, str(w.get("shape") or ""), str(w.get("reason") or "")))
    return out


def _parse(path) -> tuple:
    data = read_yaml(path, "fix the edit or restore it with git") or {}
    # version 1 files say `images:` (pictures only); version 2 `objects:`
    objects = data.get("objects", data.get("images")) if isinstance(data, dict) else None
    if not isinstance(objects, dict):
        raise AltFileError(f"{path}: must have an 'objects:' mapping of object keys to entries")
    out = {}
    for key, v in objects.items():
        if not isinstance(v, dict):
            raise AltFileError(f"{path}: entry {str(key)[:12]}… must be a mapping of fields; "
                               "delete the entry to have the object described again")
        decorative = _flag(path, key, v, "decorative")
        text = v.get("text", "") if decorative else v.get("text")
        if not isinstance(text, str) or not (text.strip() or decorative):
            raise AltFileError(f"{path}: entry {str(key)[:12]}… needs a non-empty `text:` (or `decorative: true`); "
                               "delete the entry to have the object described again")
        if text_problem(text):
            raise AltFileError(f"{path}: the text of entry {str(key)[:12]}… {text_problem(text)}")
        waive = v.get("waive") or ()
        if isinstance(waive, str):
            waive = (waive,)
        if not isinstance(waive, (list, tuple)) or not all(isinstance(w, (str, int)) for w in waive):
            raise AltFileError(f"{path}: entry {str(key)[:12]}… has `waive: {brief(waive)}`; write a list of rule ids")
        waive = _rule_ids(path, f"entry {str(key)[:12]}…'s `waive`", [str(w) for w in waive])
        e = Entry(text, str(v.get("source") or HUMAN), str(v.get("signature") or ""), _flag(path, key, v, "reviewed"),
                  str(v.get("seen") or ""), decorative, str(v.get("reason") or ""), waive)
        if e.source != HUMAN and v.get("check") != text_check(e.signature, e.text, e.decorative):
            e.source, e.signature, e.reason = HUMAN, "", ""   # a person edited machine text: it is theirs now
        out[str(key)] = e
    return out, _waivers(path, data.get("waivers"))


_PLAIN = Pattern(r"[A-Za-z][\w ,.()'&/+:;!?-]*[\w.)!?]")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _scalar(v) -> str:
    """One YAML scalar; ordinary sentences stay plain (readable diffs), anything else is quoted by PyYAML.

    The fast path matters: PyYAML's emitter per field made writing a big course's file take seconds.
    """
    if v is True or v is False:
        return "true" if v else "false"
    if (isinstance(v, str) and _PLAIN.fullmatch(v) and ": " not in v and " #" not in v
            and v.lower() not in _YAML_WORDS):
        return v
    import yaml                         # here: a no-op run reads the store's SQLite copy, never this file
    return yaml.safe_dump(v, default_flow_style=True, allow_unicode=True, width=10**9).rstrip("\n") \
        .removesuffix("\n...").rstrip("\n")


def _lines(items, waivers=None):
    """The file's text, a line at a time, from (key, Entry) pairs in key order, then the deck waivers."""
    yield HEADER
    first = next(items, None)
    yield f"version: {VERSION}\n" + "objects:" + ("\n" if first else " {}\n")
    for key, e in itertools.chain([first], items) if first is not None else ():
        yield f"  {key}:\n"
        fields = {"text": e.text, "decorative": e.decorative, "reason": e.reason, "source": e.source,
                  "reviewed": e.reviewed, "seen": e.seen}
        if e.source != HUMAN:
            fields.update(signature=e.signature, check=text_check(e.signature, e.text, e.decorative))
        for k, v in fields.items():
            if (v != "" and v is not False) or (k == "text" and not e.decorative) or k == "reviewed":
                yield f"    {k}: {_scalar(v)}\n"
        if e.waive:
            yield f"    waive: [{', '.join(_scalar(w) for w in sorted(e.waive))}]\n"
    waivers = {deck: ws for deck, ws in (waivers or {}).items() if ws}
    if waivers:
        yield "waivers:\n"
    for deck in sorted(waivers):
        yield f"  {_scalar(deck)}:\n"
        for w in waivers[deck]:
            fields = [("rule", w.rule), ("slide", w.slide), ("shape", w.shape), ("reason", w.reason)]
            lines = [f"{k}: {v if k == 'slide' else _scalar(v)}" for k, v in fields if v not in (None, "")]
            yield "  - " + "\n    ".join(lines) + "\n"


def _sorted_items(entries):
    """A dict's entries in key order, or pairs that already come in key order (e.g. from SQLite)."""
    return iter(sorted(entries.items())) if isinstance(entries, dict) else iter(entries)


def dumps(entries, waivers=None) -> str:
    return "".join(_lines(_sorted_items(entries), waivers))


def check_writable(path):
    """AltFileError unless altdeck may replace the file: a read-only file is a person's decision.

    The mode is what counts, not whether this process could write anyway (root can).
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        read(path)                                    # says what to do about a folder
    if not st.st_mode & 0o222 or not os.access(path, os.W_OK):
        raise AltFileError(f"{path}: is read-only (mode {stat.S_IMODE(st.st_mode):o}), so altdeck does not "
                           f"replace it; make it writable (chmod u+w {os.path.basename(path)}) and run altdeck "
                           "again")


def target(path) -> str:
    """The file to replace: a symlinked alt-text.yaml is written through its link, which stays."""
    return os.path.realpath(path)


def write(path, entries, temp_dir=None, expect=None, waivers=None) -> str | None:
    """Write atomically, only when the content changes (keeps mtimes, and git diffs, quiet);
    -> the stamp of the file as written (None: nothing to write).

    `entries`: a dict, or (key, Entry) pairs in key order, streamed to the file as they come,
    so writing a course's file takes memory for one entry, not for the whole course.
    `expect`: the file's stamp when it was read; files.Changed when it was saved since.
    `waivers`: {deck: [Waiver]}, what `read_all` gave: whoever rewrites the file passes them on.
    """
    path = target(path)
    check_writable(path)
    items = _sorted_items(entries)
    if not os.path.exists(path):
        first = next(items, None)
        if first is None and not any((waivers or {}).values()):
            return None                   # no images described yet: no empty file in the course
        items = itertools.chain([first], items) if first is not None else iter(())
    done = {}
    with atomic_path(path, only_if_changed=True, temp_dir=temp_dir, expect=expect, done=done) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(_lines(items, waivers))
    return done["stamp"]
