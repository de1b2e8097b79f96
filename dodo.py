"""altdeck's tasks: `doit` builds an accessible copy of every deck in the folder.

Task definitions only; the work is done by the package in actions/ (installed as `altdeck`).
Run on another folder with `doit -f path/to/altdeck/dodo.py -d FOLDER` (or `altdeck -d FOLDER`).
`doit check`, `doit review` and `doit alt` work on the alt text (see README).
"""
import importlib.util

if importlib.util.find_spec("altdeck") is None:   # a checkout that was not pip-installed
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from actions.tasks import *  # noqa: F401,F403
else:
    from altdeck.tasks import *  # noqa: F401,F403
