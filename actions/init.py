"""`python3 -m actions init FOLDER`: make plain `doit` work in a course repo.

Writes a starter dodo.py (which finds altdeck even when it is not pip-installed),
a config.yaml holding only commented examples (altdeck's defaults apply), and
git-ignore lines for run state and outputs.  Existing files are never overwritten.
"""
from pathlib import Path

from .config import ALTDECK_ROOT

DODO = '''"""Accessible copies of this course's decks, built by altdeck: run `doit` here.

`doit list` shows the decks, `doit` builds what changed, `doit clean` removes outputs.
"""
import sys

try:
    import actions.tasks  # noqa: F401  (altdeck installed with pip)
except ImportError:
    sys.path.insert(0, {root!r})  # where altdeck was when `python3 -m actions init` ran

from actions.tasks import *  # noqa: F401,F403
'''

CONFIG = '''# altdeck settings for this course.  Only what you write here changes;
# everything else keeps altdeck's documented defaults ({defaults}).
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

IGNORE = [".doit.db", ".doit.db.*", ".altdeck/", "build/"]


def init(folder) -> list:
    """Write the starter files into `folder`; returns what was written or left alone."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    done = []
    for name, text in (("dodo.py", DODO.format(root=str(ALTDECK_ROOT))),
                       ("config.yaml", CONFIG.format(defaults=ALTDECK_ROOT / "config.yaml"))):
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
    return done
