"""altdeck's tasks: `doit` builds an accessible copy of every deck in the folder.

Task definitions only; the work is done by the `actions` package.
Run on another folder with `doit -f path/to/altdeck/dodo.py -d FOLDER`.
`doit check`, `doit review` and `doit alt` work on the alt text (see README).
"""
from actions.review_tasks import task_alt, task_check, task_review  # noqa: F401
from actions.tasks import DOIT_CONFIG, task_build  # noqa: F401
