"""The git pre-push hook: refuse a push while `doit check` finds gaps.

One command installs it: `python3 -m actions install-hook [COURSE_DIR]`.
The hook runs altdeck's check (no model, no network) with this Python and
this altdeck, on the course folder at the same place inside the repository.
A hook that altdeck did not write is never overwritten.
"""
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

from .config import ALTDECK_ROOT

MARKER = "# altdeck pre-push hook"


def hook_text(course_rel: str) -> str:
    course = '"$top"' if course_rel in ("", ".") else f'"$top"/{shlex.quote(course_rel)}'
    return f"""#!/bin/sh
{MARKER} (python3 -m actions install-hook); `git push --no-verify` skips it.
top=$(git rev-parse --show-toplevel) || exit 1
exec {shlex.quote(sys.executable)} -m doit -f {shlex.quote(str(ALTDECK_ROOT / "dodo.py"))} -d {course} check
"""


def install(course_dir) -> Path:
    course = Path(course_dir).resolve()
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=course, capture_output=True,
                             text=True, check=True).stdout.strip()
        hooks = subprocess.run(["git", "rev-parse", "--git-path", "hooks"], cwd=course, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        raise SystemExit(f"install-hook: {course} is not inside a git repository; run `git init` first")
    path = (course / hooks / "pre-push").resolve() if not os.path.isabs(hooks) else Path(hooks) / "pre-push"
    if path.exists() and MARKER not in path.read_text(errors="replace"):
        raise SystemExit(f"install-hook: {path} exists and is not altdeck's; add this line to it instead: "
                         f"{sys.executable} -m doit -f {ALTDECK_ROOT / 'dodo.py'} -d {course} check")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(hook_text(os.path.relpath(course, Path(top).resolve())))
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def install_main(argv) -> int:
    path = install(argv[0] if argv else ".")
    print(f"installed {path}: git push now runs altdeck's check")
    return 0
