"""Which files under a course folder are decks, and what each deck's task and outputs are called.

Globs from config (`decks`, `exclude`) are matched case-insensitively against
the path relative to the folder.  Never inputs: the output, report and state
folders, hidden files and folders, PowerPoint lock files (`~$x.pptx`).
"""
import fnmatch
import os
import re
from functools import lru_cache


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


def matches(rel: str, patterns) -> bool:
    return any(_glob_regex(p).match(rel) for p in patterns)


def _never_inputs(cfg) -> set:
    """The output, report and state folders (relative POSIX paths): nothing in them is a deck."""
    return {os.path.normpath(d).replace(os.sep, "/") for d in (cfg.output_dir, cfg.report_dir, cfg.state_dir)}


def is_deck(cfg, rel: str) -> bool:
    """Whether find_decks would list the file at `rel` (a relative POSIX path), were it there."""
    parts = rel.split("/")
    skip = _never_inputs(cfg)
    if any(p.startswith(".") for p in parts) or parts[-1].startswith("~$") or \
            any("/".join(parts[:i]) in skip for i in range(1, len(parts))):
        return False
    return matches(rel, cfg.decks) and not matches(rel, cfg.exclude)


def find_decks(cfg) -> list:
    """Relative POSIX paths of the decks under cfg.root_dir, sorted."""
    root = cfg.root_dir
    skip = _never_inputs(cfg)
    candidates = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        keep = []
        for d in sorted(dirnames):
            rel = rel_dir + d
            if d.startswith(".") or rel in skip:
                continue
            if matches(rel, cfg.decks):
                candidates.append(rel)      # a folder named like a deck fails with a clear reason
            else:
                keep.append(d)
        dirnames[:] = keep
        candidates += [rel_dir + f for f in filenames if not f.startswith((".", "~$"))]
    return sorted(rel for rel in candidates if matches(rel, cfg.decks) and not matches(rel, cfg.exclude))


# The one rule for where a deck's accessible copy and report go. Strings, not Paths: these are
# made for every deck of a run (doit's targets), and pathlib interns every part it parses.

def output_target(cfg, rel: str) -> str:
    """The accessible copy, relative to the course folder (doit's target)."""
    return f"{cfg.output_dir.rstrip('/')}/{rel}"


def report_target(cfg, rel: str) -> str:
    """The deck's JSON report, relative to the course folder (doit's target)."""
    return f"{cfg.report_dir.rstrip('/')}/{rel}.json"


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
