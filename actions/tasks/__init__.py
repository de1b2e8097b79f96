"""altdeck's doit tasks: what a course's dodo.py imports (`from altdeck.tasks import *`).

Task creators only: `build` (one task per deck) in build.py; `check`, `review`,
`alt` and `waive` in alt.py.  Importing this package reads no file and contacts no
server; creating the tasks reads the course's config.yaml.
"""
from ..run.console import Console
from ..run.doit_ext import guard_database
from .alt import task_alt, task_check, task_review, task_waive
from .build import task_build

guard_database()       # before doit opens its database: a read-only course folder is one line, not a traceback

DOIT_CONFIG = {
    "backend": "sqlite3",        # commits atomically; dbm.dumb can lose its index (doit-facts)
    "dep_file": ".doit.db",
    "default_tasks": ["build"],
    "reporter": Console,
    "continue": True,            # one bad deck must not stop the others
    # `-n N` runs N decks at once in threads: each deck's work is already its own process
    # (run.deckproc), and doit's process pool would copy every task into each worker.
    "par_type": "thread",
}

__all__ = ["DOIT_CONFIG", "task_build", "task_check", "task_review", "task_alt", "task_waive"]
