"""Which files under a course folder are decks, and what each deck's task and outputs are called.

Globs from config (`decks`, `exclude`) are matched case-insensitively against
the path relative to the folder.  Never inputs: the output, report and state
folders, hidden files and folders, PowerPoint lock files (`~$x.pptx`).
"""
import fnmatch
import hashlib
import os
import re
from functools import lru_cache

NAME_MAX = 255                 # bytes in one file name (ext4, xfs, btrfs, tmpfs, NTFS and SMB alike)


@lru_cache(maxsize=256)
def _glob_regex(pattern: str):
    """A glob with `**` (any folders, also none) as a case-insensitive regex."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            c = pattern[i]
            out.append("[^/]*" if c == "*" else "[^/]" if c == "?" else
                       fnmatch.translate(c)[4:-3] if c == "[" else re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z", re.I)


@lru_cache(maxsize=64)
def _globs_regex(patterns: tuple):
    """Any of the globs, as one regex (one match per file of a big course, not one per glob)."""
    return re.compile("|".join(f"(?:{_glob_regex(p).pattern})" for p in patterns) or "(?!)", re.I)


def matches(rel: str, patterns) -> bool:
    return _globs_regex(tuple(patterns)).match(rel) is not None


def _never_inputs(cfg) -> set:
    """The output, report, review and state folders (relative POSIX paths): nothing in them is a deck.

    However config.yaml spells them (`./build`, an absolute path, a symlink): a folder that is
    not recognised here would have its copies found as decks by the next run.
    """
    root = os.path.realpath(cfg.root_dir)
    out = set()
    for d in (cfg.output_dir, cfg.report_dir, cfg.review_dir, cfg.state_dir):
        out.add(os.path.normpath(d).replace(os.sep, "/"))
        real = os.path.realpath(os.path.join(root, d))
        if real.startswith(root + os.sep):
            out.add(os.path.relpath(real, root).replace(os.sep, "/"))
    return out


def is_deck(cfg, rel: str) -> bool:
    """Whether find_decks would list the file at `rel` (a relative POSIX path), were it there."""
    parts = rel.split("/")
    skip = _never_inputs(cfg)
    if any(p.startswith(".") for p in parts) or parts[-1].startswith("~$") or \
            any("/".join(parts[:i]) in skip for i in range(1, len(parts))):
        return False
    return matches(rel, cfg.decks) and not matches(rel, cfg.exclude)


def is_source(cfg, path) -> bool:
    """Whether the file at `path` (any spelling, symlinks resolved) is one of the course's decks:
    the writer refuses to replace one."""
    root = os.path.realpath(cfg.root_dir)
    real = os.path.realpath(path)
    return real.startswith(root + os.sep) and os.path.isfile(real) and \
        is_deck(cfg, os.path.relpath(real, root).replace(os.sep, "/"))


class Decks(list):
    """Deck paths, sorted; `not_files` holds those that are not regular files (a folder named like a
    deck, a FIFO, a broken link): their task fails with the reason instead of doit hashing them."""

    not_files: frozenset = frozenset()


def find_decks(cfg) -> Decks:
    """Relative POSIX paths of the decks under cfg.root_dir, sorted.

    One scandir per folder: entries say whether they are files without a stat each, which a
    no-op build over a big course would otherwise pay for every deck.
    """
    skip = _never_inputs(cfg)
    is_deck_name, excluded = _globs_regex(tuple(cfg.decks)).match, _globs_regex(tuple(cfg.exclude)).match
    found, not_files = [], set()
    todo = [(os.fspath(cfg.root_dir), "")]
    while todo:
        folder, rel_dir = todo.pop()
        try:
            with os.scandir(folder) as entries:
                entries = sorted(entries, key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            name, rel = e.name, rel_dir + e.name
            if name.startswith((".", "~$")):
                continue
            try:
                is_dir = e.is_dir(follow_symlinks=False)      # a linked folder is listed, never entered
            except OSError:
                is_dir = False
            if is_dir and rel in skip:
                continue
            if is_deck_name(rel):
                if not excluded(rel):
                    found.append(rel)             # a folder named like a deck fails with a clear reason
                    try:
                        if not e.is_file():
                            not_files.add(rel)
                    except OSError:
                        not_files.add(rel)
            elif is_dir:
                todo.append((e.path, rel + "/"))
    decks = Decks(sorted(found))
    decks.not_files = frozenset(not_files)
    return decks


# -- names that cannot travel ------------------------------------------------------------------

def shown(rel: str) -> str:
    """How a deck's path is printed, logged and named in doit: bytes that are not UTF-8 as \\xNN."""
    return os.fsencode(rel).decode("utf-8", "backslashreplace")


def name_problem(rel: str) -> str | None:
    """Why a deck cannot be built under its name, or None.

    A name from a Latin-1 zip or an SMB share is not UTF-8; doit's database, the log, the report
    and the review page all store text, so such a deck is refused with one line, not carried.
    """
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return ("its file name is not valid UTF-8 (made on a system with another encoding, e.g. a zip "
                "or a network share); rename it, e.g. convmv -f latin1 -t utf-8 --notest")
    return None


def _fit(name: str, suffix: str) -> str:
    """`name + suffix` as a file name of at most NAME_MAX bytes (shortened with a digest when longer)."""
    if 4 * (len(name) + len(suffix)) <= NAME_MAX or len(os.fsencode(name + suffix)) <= NAME_MAX:  # UTF-8: <= 4 bytes a character
        return name + suffix
    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:12]
    keep = os.fsencode(name)[:NAME_MAX - len(os.fsencode(suffix)) - len(digest) - 2].decode("utf-8", "ignore")
    return f"{keep}~{digest}{suffix}"


# The one rule for where a deck's accessible copy and report go. Strings, not Paths: these are
# made for every deck of a run (doit's targets), and pathlib interns every part it parses.

def output_target(cfg, rel: str) -> str:
    """The accessible copy, relative to the course folder (doit's target)."""
    return f"{cfg['output_dir'].rstrip('/')}/{rel}"          # (cfg[...]: made for every deck of a run)


def report_target(cfg, rel: str) -> str:
    """The deck's JSON report, relative to the course folder (doit's target); `<deck>.json`, shortened
    when a long deck name would make it longer than a file name can be."""
    folder, _, name = rel.rpartition("/")
    return f"{cfg['report_dir'].rstrip('/')}/{folder + '/' if folder else ''}{_fit(name, '.json')}"


def output_path(cfg, rel: str) -> str:
    return os.path.join(cfg.root_dir, output_target(cfg, rel))


def report_path(cfg, rel: str) -> str:
    return os.path.join(cfg.root_dir, report_target(cfg, rel))


# The one rule for naming a deck's doit task: `build:<deck>`, the deck also in the task's meta.

TASK_GROUP = "build"


def task_name(rel: str) -> str:
    """The deck's sub-task name; doit forbids '=' in task names: percent-encode it (and '%')."""
    return rel.replace("%", "%25").replace("=", "%3D")


def deck_of(task) -> str | None:
    """The deck a task builds (None for any other task)."""
    if not task.name.startswith(TASK_GROUP + ":"):
        return None
    deck = (task.meta or {}).get("deck")
    if deck:
        return deck
    return task.name[len(TASK_GROUP) + 1:].replace("%3D", "=").replace("%25", "%")
