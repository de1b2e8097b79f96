"""Load config.yaml: altdeck's documented defaults, then the course folder's overrides.

The defaults ship inside the package (defaults.yaml, the same document as the
repository's config.yaml), so an installed altdeck reads no file outside it.
One Config object for the whole run; a bad file stops the run with one line
naming the file and the key.
"""
import os
from pathlib import Path

from .errors import ConfigError, brief
from .files import YAMLFileError, read_yaml
from .vocab import OFF, POLICIES, Rule, Severity

DEFAULTS_FILE = Path(__file__).resolve().parent / "defaults.yaml"
BACKENDS = ("auto", "ollama", "openai", "offline")
DEFAULT_OLLAMA_URL = "http://localhost:11434"      # describer.url when empty (auto, ollama)
# Both files' parsed documents, by content, in the default state folder when it exists (not in a
# state_dir moved elsewhere: its place is known only after parsing): a run imports no YAML parser.
PARSED = Path(".altdeck") / "config-parsed.json"


def _str(v):
    return isinstance(v, str)


def _str_list(v):
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _number(lo=None, hi=None, integer=False):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, int if integer else (int, float)):
            return False
        return (lo is None or v >= lo) and (hi is None or v <= hi)
    return check


def _one_of(*choices):
    return lambda v: v in choices


def _severity(v):
    """A rule's severity or `off` (YAML reads a bare `off` as false, which means the same)."""
    return v is False or (isinstance(v, str) and v in (*Severity, OFF))


# key -> (check, what the value must be); nested dicts are sections.
SCHEMA = {
    "decks": (_str_list, "a list of globs"),
    "exclude": (_str_list, "a list of globs"),
    "output_dir": (_str, "a folder path"),
    "report_dir": (_str, "a folder path"),
    "state_dir": (_str, "a folder path"),
    "store_file": (_str, "a file path"),
    "review_dir": (_str, "a folder path"),
    "existing_alt": (_one_of(*POLICIES), "one of " + ", ".join(POLICIES)),
    "describer": {
        "backend": (_one_of(*BACKENDS), "one of " + ", ".join(BACKENDS)),
        "url": (_str, "a URL such as http://localhost:11434 (or empty)"),
        "model": (_str, "a model name"),
        "api_key_env": (_str, "an environment variable name"),
        "timeout_s": (_number(lo=0.1), "a number of seconds ≥ 0.1"),
        "max_concurrency": (_number(lo=1, integer=True), "a whole number ≥ 1"),
        "retries": (_number(lo=0, hi=20, integer=True), "a whole number from 0 to 20"),
        "ocr": (lambda v: isinstance(v, bool), "true or false"),
    },
    "alt_text": {
        "max_chars": (_number(lo=20, integer=True), "a whole number ≥ 20"),
        "language": (_str, "a language code such as en, or auto"),
    },
    "decorative": {
        "auto": (lambda v: isinstance(v, bool), "true or false"),
        "repeated_share": (_number(lo=0, hi=1), "a number from 0 to 1"),
        "repeated_min_slides": (_number(lo=2, integer=True), "a whole number ≥ 2"),
        "small_area": (_number(lo=0, hi=1), "a number from 0 to 1"),
        "line_thickness": (_number(lo=0, hi=1), "a number from 0 to 1"),
        "line_aspect": (_number(lo=1), "a number ≥ 1"),
        "background_area": (_number(lo=0, hi=1), "a number from 0 to 1"),
        "background_detail": (_number(lo=0, hi=1), "a number from 0 to 1"),
    },
    "check": {
        "strict": (lambda v: isinstance(v, bool), "true or false"),
        "rules": {rule.value: (_severity, "one of error, warning, tip, off") for rule in Rule},
    },
    "batch": {
        "deck_timeout_s": (_number(lo=1), "a number of seconds ≥ 1"),
        "stop_on_error_threshold": (_number(lo=0, hi=1), "a number from 0 to 1"),
        "min_decks_for_threshold": (_number(lo=1, integer=True), "a whole number ≥ 1"),
        "keep_logs": (_number(lo=1, integer=True), "a whole number ≥ 1"),
    },
}


class Section(dict):
    """A config section: a plain dict (picklable for doit's process runner) with attribute access."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Config(Section):
    """The merged, validated configuration of one course folder."""

    @property
    def root_dir(self) -> Path:
        return Path(self["_root"])


def _read(path: Path, root: Path) -> dict:
    try:
        data = read_yaml(path, cache=root / PARSED)
    except YAMLFileError as e:
        raise ConfigError(str(e)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: must be a mapping of keys to values, not {type(data).__name__}")
    return data


def _validate(path, data, schema, prefix=""):
    for key, value in data.items():
        full = f"{prefix}{key}"
        if key not in schema:
            known = ", ".join(prefix + k for k in schema)
            raise ConfigError(f"{path}: unknown key '{full}' (known: {known})")
        rule = schema[key]
        if isinstance(rule, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: '{full}' must be a section of keys, got {brief(value)}")
            _validate(path, value, rule, full + ".")
        else:
            check, what = rule
            if value is None and rule[0] is _str:
                continue
            if not check(value):
                raise ConfigError(f"{path}: '{full}' must be {what}, got {brief(value)}")


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return out


def _sections(data, schema):
    return Section({k: _sections(v, schema[k]) if isinstance(schema[k], dict) else
                    ("" if v is None else v) for k, v in data.items()})


def from_dict(data: dict) -> Config:
    """A Config sent as JSON (to a deck's worker process) back as a Config."""
    cfg = Config(_sections({k: v for k, v in data.items() if k in SCHEMA}, SCHEMA))
    cfg["_root"] = data["_root"]
    return cfg


_LOADED = {}      # root -> (the course file's stamp, Config): a build's tasks and runner read it once


def _stamp(path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def load(root=".") -> Config:
    """Defaults from altdeck's config.yaml, overridden by `root`/config.yaml when present.

    Loaded again only when the course's config.yaml changed (the tasks and the runner of one
    build both ask for it).
    """
    root = Path(root).resolve()
    stamp = _stamp(root / "config.yaml")
    hit = _LOADED.get(root)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    cfg = _load(root)
    _LOADED[root] = (stamp, cfg)
    return cfg


def _load(root: Path) -> Config:
    defaults = _read(DEFAULTS_FILE, root)
    _validate(DEFAULTS_FILE, defaults, SCHEMA)
    merged = defaults
    course = root / "config.yaml"
    if course.exists() and course.resolve() != DEFAULTS_FILE:
        data = _read(course, root)
        _validate(course, data, SCHEMA)
        merged = _merge(defaults, data)
    missing = [k for k in SCHEMA if k not in merged]
    if missing:
        raise ConfigError(f"{DEFAULTS_FILE}: missing key '{missing[0]}'")
    cfg = Config(_sections(merged, SCHEMA))
    cfg["_root"] = os.fspath(root)
    _check_folders(course if course.exists() else DEFAULTS_FILE, cfg, defaults)
    return cfg


FOLDERS = {"output_dir": "the accessible copies", "report_dir": "the reports", "review_dir": "the review page",
           "state_dir": "the run state"}


def _check_folders(path, cfg, defaults):
    """Refuse an output, report, review or state folder that is the course folder or holds it.

    `output_dir: .` would write every accessible copy onto its source deck (and `..` onto a
    deck one level down); a folder inside the course, or beside it, never meets a source:
    discovery skips it.
    """
    root = os.path.realpath(cfg.root_dir)
    for key, what in FOLDERS.items():
        value = cfg[key]
        where = os.path.realpath(os.path.join(root, value))
        if not value.strip() or where == root or root.startswith(where.rstrip(os.sep) + os.sep):
            said = "the course folder itself" if where == root or not value.strip() else "a folder holding the course"
            raise ConfigError(f"{path}: {key} {brief(value)} is {said}: {what} would be written among "
                              f"(or over) the source decks; use a folder inside it, e.g. "
                              f"{defaults[key]}")
