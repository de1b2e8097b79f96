"""What every task creator needs first: the course's config, and doit extended for altdeck."""
import os

from doit.exceptions import InvalidDodoFile

from .. import config
from ..errors import AltdeckError
from ..run import runner


def course_config():
    """The course folder's config (doit prints a bad one as one line and exits 3)."""
    try:
        runner.install()          # doit's run, clean and forget become altdeck's (run/doit_ext.py)
        return config.load(os.getcwd())
    except AltdeckError as e:
        raise InvalidDodoFile(str(e)) from None
