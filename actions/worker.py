"""One deck's build in its own process: `python3 -m actions.worker RESULT_FILE` (job on stdin).

batch.run_deck starts this in a new process group, so a deck that hangs the
parser, the converter or a model request is killed with everything it started.
The job is JSON on stdin: {"rel", "config", "backend"}.  The outcome goes to
RESULT_FILE as JSON: {"summary": {...}} or {"error": "<one line naming the deck>"};
stdout and stderr are free for whatever the libraries print.
"""
import json
import os
import sys
import threading
import time

from . import freshness
from .backend import describer_for
from .build import build_deck
from .config import from_dict
from .errors import AltdeckError
from .report import read_report
from .store import Store

EXIT_DECK_ERROR = 3


def _die_with_parent():
    """Exit when the process that started us is gone (doit killed with -9): no orphan keeps writing."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(EXIT_DECK_ERROR)
    threading.Thread(target=watch, daemon=True).start()


def main(argv) -> int:
    result_file = argv[0]
    job = json.load(sys.stdin)
    cfg = from_dict(job["config"])
    _die_with_parent()
    describer, store, report = describer_for(cfg, job["backend"]), None, None
    try:
        store = Store.for_course(cfg)
        outcome = {"summary": build_deck(cfg, job["rel"], describer, store)}
        report = read_report(cfg, job["rel"])
        code = 0
    except AltdeckError as e:
        outcome, code = {"error": str(e)}, EXIT_DECK_ERROR
    finally:
        describer.close()
        if store:
            # where images were seen; the batch runner folds the journal into alt-text.yaml at the end
            store.close(seen=freshness.seen_hints(report) if report else None, fold=False)
    with open(result_file, "w", encoding="utf-8") as f:
        json.dump(outcome, f)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
