"""What a run prints: one line per finished deck, failures as one line naming the deck.

A doit reporter.  When the run builds decks (run.runner.Batch attaches its
log), each line also carries the run's progress, the first deck's start says
which describer writes and why, and the run ends with a summary.
`altdeck progress=quiet` prints only failures and the summary;
`altdeck progress=verbose` also each deck's start and the decks that were up
to date.  Progress goes to stdout, failures to stderr.
"""
import sys
import time

from doit import get_var
from doit.exceptions import UnmetDependency
from doit.reporter import ConsoleReporter

from ..discover import TASK_GROUP, deck_of
from ..errors import printable
from ..vocab import Decision
from .doit_ext import failure_line
from .log import clock


class Console(ConsoleReporter):
    """Console output in deck terms; errors go to stderr, progress to stdout."""

    desc = "altdeck: one line per deck"

    def __init__(self, outstream, options):
        super().__init__(outstream, options)
        self.started = {}
        self.log = None
        self.describer = None
        self.mode = get_var("progress", "normal") or "normal"

    def use_run(self, log, describer: str):
        """Called by the batch: progress and the summary come from the run's log; `describer` is said once."""
        self.log, self.describer = log, describer

    def _progress(self):
        return f"  {self.log.progress()}" if self.log else ""

    def execute_task(self, task):
        self.started[task.name] = time.monotonic()
        if self.describer and deck_of(task) and self.mode != "quiet":      # which model writes, and why
            self.outstream.write(f"describer: {self.describer}\n")
            self.describer = None
        if self.mode == "verbose" and deck_of(task):
            self.outstream.write(f"start  {printable(deck_of(task))}\n")

    def add_success(self, task):
        if not deck_of(task):
            return super().add_success(task)
        s = task.values if isinstance(task.values, dict) else {}
        took = time.monotonic() - self.started.pop(task.name, time.monotonic())
        if self.mode == "quiet":
            return
        parts = ", ".join(f"{s[k]} {k}" for k in Decision if s.get(k)) or "nothing to describe"
        found = s.get("findings") or {}
        if any(found.values()):
            parts += "; " + ", ".join(f"{n} {k}{'s' if n > 1 else ''}" for k, n in found.items() if n)
        self.outstream.write(f"built  {printable(deck_of(task))} ({parts}) in {took:.1f}s"
                             f"{self._progress()}\n")

    def add_failure(self, task, fail):
        self.started.pop(task.name, None)
        if task.name == TASK_GROUP and isinstance(fail, UnmetDependency):
            return                   # the group task: its failed decks were already reported
        # deck names and messages come from decks: no escape sequence reaches the terminal
        sys.stderr.write(f"FAILED {printable(failure_line(task, fail))}{self._progress()}\n")

    def skip_uptodate(self, task):
        if self.mode == "verbose" and deck_of(task):
            self.outstream.write(f"-- up to date: {printable(deck_of(task))}\n")

    def complete_run(self):
        # Failures were printed as one line each and are not kept (doit's default keeps every one
        # to repeat it with a traceback here): a run of 10,000 failing decks holds none in memory.
        super().complete_run()
        if self.log:
            self._summary()

    def _summary(self):
        log, w = self.log, self.outstream.write
        t = log.totals()
        stopped = f"{t['stopped_mid_build']} stopped mid-build, " if t["stopped_mid_build"] else ""
        w(f"altdeck: {t['built']} built, {t['failed']} failed, {t['up_to_date']} up to date, {stopped}"
          f"{t['not_started']} not started, of {t['total']} decks in {clock(t['elapsed_s'])}\n")
        if log.failures:
            w("failed:\n")
            for line in log.failures:
                w(f"  {printable(line)}\n")
            if log.failed > len(log.failures):
                w(f"  … and {log.failed - len(log.failures)} more (see the log)\n")
        if log.slowest and self.mode != "quiet":
            w("slowest: " + ", ".join(f"{printable(deck)} {took:.1f}s" for took, deck in log.slowest_first()) + "\n")
        if log.stop_reason:
            w(log.stop_reason + "\n")
        w(f"log: {printable(log.path)}\n")
