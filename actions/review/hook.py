"""The git pre-push hook: refuse a push while `altdeck check` finds gaps.

`altdeck install-hook [COURSE_DIR]` writes it.  The hook runs the check (no
model, no network) on the course folder at the same place inside the
repository, with the Python that installed it while that still has altdeck
(as pre-commit does), else with the `altdeck` on PATH; it names no checkout.
A hook that altdeck did not write is never overwritten.
"""
import os
import shlex
import stat
import subprocess
from pathlib import Path

from ..errors import AltdeckError
from ..procs import IMPORT_NAME, altdeck_python

MARKER = "# altdeck pre-push hook"
USAGE = """usage: altdeck install-hook [COURSE_DIR]

Write .git/hooks/pre-push in the repository holding COURSE_DIR (default: the
current folder): `git push` then runs `altdeck check` on the course and is
refused while an object lacks alt text.  `git push --no-verify` skips it."""


def hook_text(course_rel: str) -> str:
    course = '"$top"' if course_rel in ("", ".") else f'"$top"/{shlex.quote(course_rel)}'
    argv, pythonpath = altdeck_python("", "-d", "COURSE", "check")
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
    exec altdeck -d "$course" check
fi
echo "altdeck pre-push hook: altdeck is not installed here (pip install altdeck); git push --no-verify skips the check" >&2
exit 1
"""


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
