"""`altdeck init [DIR]`: make a course repository ready for altdeck (and for plain `doit`).

Writes a starter dodo.py that imports the installed altdeck's tasks, a
config.yaml holding only commented examples (altdeck's defaults apply), and
git-ignore lines for run state and outputs.  Existing files are never
overwritten.  Run from a checkout that is not installed, the dodo.py also
says where that checkout is.
"""
from pathlib import Path

from .procs import IMPORT_NAME, PACKAGE_DIR

USAGE = """usage: altdeck init [DIR]

Write dodo.py, config.yaml and .gitignore lines into DIR (default: the current
folder) so that `altdeck` and plain `doit` build its decks.  Existing files are kept."""

DODO = '''"""Accessible copies of this course's decks, built by altdeck: run `altdeck` (or `doit`) here.

`altdeck list` shows the decks, `altdeck` builds what changed, `altdeck check` is the publish gate.
"""
{find}from {name}.tasks import *  # noqa: F401,F403
'''

FIND_CHECKOUT = '''import sys

sys.path.insert(0, {root!r})  # the altdeck checkout `altdeck init` ran from (altdeck is not pip-installed)
'''

CONFIG = '''# altdeck settings for this course.  Only what you write here changes;
# everything else keeps altdeck's documented defaults (`altdeck defaults` prints them).
#
# decks: ["lectures/**/*.pptx"]
# exclude: ["drafts/**"]
# output_dir: build/accessible
# existing_alt: replace_placeholder      # keep | replace_placeholder | replace_all
# describer:
#   backend: auto                        # auto | ollama | openai | offline
#   url: http://localhost:11434
#   model: llama3.2-vision
# alt_text:
#   max_chars: 150
#   language: auto
'''

# .doit.db-journal: doit's database mid-commit (kept by a kill -9: sqlite needs it back);
# .~altdeck.*: a temp file a killed write leaves beside its target (the next run sweeps it).
IGNORE = [".doit.db", ".doit.db.*", ".doit.db-journal", ".altdeck/", "build/", ".~altdeck.*",
          "__pycache__/"]          # doit compiles dodo.py there


def dodo_text() -> str:
    installed = IMPORT_NAME == "altdeck"
    find = "" if installed else FIND_CHECKOUT.format(root=str(Path(PACKAGE_DIR).parent)) + "\n"
    return DODO.format(find=find, name=IMPORT_NAME)


def init(folder) -> list:
    """Write the starter files into `folder`; returns what was written or left alone."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    done = []
    for name, text in (("dodo.py", dodo_text()), ("config.yaml", CONFIG)):
        path = folder / name
        if path.exists():
            done.append(f"kept     {path} (exists)")
        else:
            path.write_text(text, encoding="utf-8")
            done.append(f"wrote    {path}")
    ignore = folder / ".gitignore"
    have = ignore.read_text(encoding="utf-8").splitlines() if ignore.exists() else []
    missing = [line for line in IGNORE if line not in have]
    if missing:
        with open(ignore, "a", encoding="utf-8") as f:
            if have and have[-1].strip():
                f.write("\n")
            f.write("# altdeck run state and outputs\n" + "\n".join(missing) + "\n")
        done.append(f"updated  {ignore} ({', '.join(missing)})")
    return done + ["next: cd into the folder and run `altdeck`"]
