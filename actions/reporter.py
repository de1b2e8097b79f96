"""The doit reporter: one line per finished deck, failures as one line naming the deck."""
import sys
import time

from doit.reporter import ConsoleReporter


class AltdeckReporter(ConsoleReporter):
    """Console output in deck terms; errors go to stderr, progress to stdout."""

    desc = "altdeck: one line per deck"

    def __init__(self, outstream, options):
        super().__init__(outstream, options)
        self.started = {}
        self.said_describer = False

    def execute_task(self, task):
        self.started[task.name] = time.monotonic()
        describer = (task.meta or {}).get("describer")
        if describer and not self.said_describer:        # which model writes the text, and why
            self.said_describer = True
            self.outstream.write(f"describer: {describer}\n")

    def add_success(self, task):
        if not task.name.startswith("build:"):
            return super().add_success(task)
        s = task.result if isinstance(task.result, dict) else {}
        took = time.monotonic() - self.started.pop(task.name, time.monotonic())
        parts = ", ".join(f"{v} {k}" for k, v in s.items() if v)
        self.outstream.write(f"built  {task.name[6:]} ({parts or 'nothing to describe'}) in {took:.1f}s\n")

    def add_failure(self, task, fail):
        deck = task.name[6:] if task.name.startswith("build:") else task.name
        msg = fail.get_msg().strip().splitlines()
        line = msg[-1] if msg else type(fail).__name__
        if not line.startswith(deck):
            line = f"{deck}: {line}"
        self.failures.append({"task": task, "exception": fail})
        sys.stderr.write(f"FAILED {line}\n")

    def skip_uptodate(self, task):
        pass

    def complete_run(self):
        # failures were already printed as one line each; doit's default would repeat them with tracebacks
        self.failures = []
        super().complete_run()
