"""altdeck's tasks: `doit` builds an accessible copy of every deck in the folder.

Task definitions only; the work is done by the `actions` package.
Run on another folder with `doit -f path/to/altdeck/dodo.py -d FOLDER`.
`doit check`, `doit review` and `doit alt` work on the alt text (see README).
"""
from actions.tasks import *  # noqa: F401,F403  (DOIT_CONFIG and every task_* creator)
