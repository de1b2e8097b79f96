"""The git pre-push hook: refuse a push while `altdeck check` finds gaps in what is pushed.

`altdeck install-hook [COURSE_DIR]` writes it.  The hook runs `altdeck
pre-push` (no model, no network) on the course folder at the same place
inside the repository, with the Python that installed it while that still has
altdeck (as pre-commit does), else with the `altdeck` on PATH; it names no
checkout.  A hook that altdeck did not write is never overwritten.

The check reads the working tree (its reports and alt-text.yaml), but git
pushes commits: so `altdeck pre-push` first compares, for every commit being
pushed (git's ref lines on stdin), the files the check depends on — the decks,
config.yaml and alt-text.yaml — with the working tree, and refuses with one
line naming the files that differ (uncommitted, untracked, or deleted).  What
it then passes is what a clean clone of the commit builds and checks in CI.
"""
import os
import shlex
import stat
import subprocess
from pathlib import Path

from .. import config, discover
from ..errors import AltdeckError, printable
from ..procs import IMPORT_NAME, altdeck_python

MARKER = "# altdeck pre-push hook"
USAGE = """usage: altdeck install-hook [COURSE_DIR]

Write .git/hooks/pre-push in the repository holding COURSE_DIR (default: the
current folder): `git push` then runs `altdeck check` on the course and is
refused while an object lacks alt text, or while the decks, config.yaml or
alt-text.yaml differ from the commit being pushed.  `git push --no-verify` skips it."""
NO_COMMIT = "0" * 40
MAX_NAMED = 5


def hook_text(course_rel: str) -> str:
    course = '"$top"' if course_rel in ("", ".") else f'"$top"/{shlex.quote(course_rel)}'
    argv, pythonpath = altdeck_python("", "pre-push", "COURSE")
    env = f"PYTHONPATH={shlex.quote(pythonpath)} " if pythonpath else ""
    python = shlex.quote(argv[0])
    module_call = " ".join(shlex.quote(a) for a in argv[1:]).replace("COURSE", '"$course"')
    return f"""#!/bin/sh
{MARKER} (altdeck install-hook); `git push --no-verify` skips it.
top=$(git rev-parse --show-toplevel) || exit 1
course={course}
python={python}
if [ -x "$python" ] && {env}"$python" -P -c 'import {IMPORT_NAME}' 2>/dev/null; then
    {env}exec "$python" {module_call}
elif command -v altdeck >/dev/null 2>&1; then
    exec altdeck pre-push "$course"
fi
echo "altdeck pre-push hook: altdeck is not installed here (pip install altdeck); git push --no-verify skips the check" >&2
exit 1
"""


def _git(cwd, *args) -> str:
    r = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=120)
    if r.returncode != 0:
        raise AltdeckError(f"altdeck pre-push: git {' '.join(args[:2])} failed in {cwd}: "
                           f"{(r.stderr.decode(errors='replace').strip().splitlines() or [''])[-1]}")
    return r.stdout.decode("utf-8", "surrogateescape")


def pushed_commits(ref_lines) -> list:
    """(commit, local ref) of each ref git is pushing (its pre-push stdin); deletions push nothing."""
    out = []
    for line in ref_lines:
        parts = line.split()
        if len(parts) == 4 and parts[1] != NO_COMMIT:
            out.append((parts[1], parts[0]))
    return out


def differing_files(course_dir, commit: str) -> list:
    """The course's decks, config.yaml and alt-text.yaml that differ between `commit` and the working tree."""
    course = Path(course_dir).resolve()
    cfg = config.load(course)
    top = Path(_git(course, "rev-parse", "--show-toplevel").strip()).resolve()
    here = os.path.relpath(course, top).replace(os.sep, "/")
    prefix = "" if here == "." else here + "/"
    store = os.path.normpath(cfg.store_file).replace(os.sep, "/")
    paths = _git(top, "diff", "--name-only", "-z", "--no-renames", f"{commit}^{{commit}}", "--", here).split("\0")
    paths += _git(top, "ls-files", "-z", "--others", "--exclude-standard", "--", here).split("\0")
    found = set()
    for path in filter(None, paths):
        rel = path[len(prefix):] if path.startswith(prefix) else path
        if rel in ("config.yaml", store) or discover.is_deck(cfg, rel):
            found.add(rel)
    return sorted(found)


def refusal(course_dir, ref_lines) -> str | None:
    """One line refusing the push when what the check reads is not what is pushed; None to go on."""
    for commit, ref in pushed_commits(ref_lines):
        files = differing_files(course_dir, commit)
        if files:
            named = ", ".join(map(printable, files[:MAX_NAMED])) + (f" and {len(files) - MAX_NAMED} more" if len(files) > MAX_NAMED
                                                     else "")
            return (f"altdeck pre-push hook: {named} differ{'s' if len(files) == 1 else ''} from the pushed commit "
                    f"{commit[:10]} ({ref}), so the check would not judge what is pushed; commit or stash them "
                    "(git stash -u), then push again (git push --no-verify skips the check)")
    return None


def install(course_dir) -> list:
    """Write the hook for the course in `course_dir`; -> what was done, to print."""
    course = Path(course_dir).resolve()
    if not course.is_dir():
        raise AltdeckError(f"install-hook: {course} is not a folder")
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=course, capture_output=True,
                             text=True, check=True).stdout.strip()
        hooks = subprocess.run(["git", "rev-parse", "--git-path", "hooks"], cwd=course, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        raise AltdeckError(f"install-hook: {course} is not inside a git repository; run `git init` first") from None
    path = (course / hooks / "pre-push").resolve() if not os.path.isabs(hooks) else Path(hooks) / "pre-push"
    if path.exists() and MARKER not in path.read_text(errors="replace"):
        raise AltdeckError(f"install-hook: {path} exists and is not altdeck's; add this line to it instead: "
                           f"altdeck -d {shlex.quote(str(course))} check")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(hook_text(os.path.relpath(course, Path(top).resolve())))
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return [f"installed {path}: git push now runs altdeck's check"]
