"""Builds that survive: one run per folder, a log, graceful signals, a failure-rate stop.

A `Batch` is what a doit run becomes when it builds decks (doit_ext hands it
the run):
- before any deck: the folder's run lock, the describer chosen (a configured
  model server that does not answer stops the build here, with one line),
  old logs pruned, temp files of killed runs swept, answers a killed run left
  in the journal folded into alt-text.yaml;
- for each deck (its work runs in its own process: deckproc): a log record,
  progress, and the failure-rate check, which stops starting decks gently;
- SIGINT/SIGTERM: the first starts no new deck and lets running ones finish,
  the second kills them at once; finished decks are kept either way;
- at the end: the log's last record, the failed-deck history, one fold of
  the run's model answers into alt-text.yaml, the summary.

What cannot be written (a full disk, a read-only folder) is one line naming
the file and the cause: before any deck, the run does not start (exit 3);
after, finished decks are kept and the run exits 4 (EXIT_NOT_RECORDED), its
unrecorded part redone by the next run.

A run that builds no deck (`altdeck check`, `review`, `alt`) is plain doit:
no lock, no log, no summary, no fold.
"""
import gc
import os
import signal
import sys
import threading

from .. import config
from ..describe.choose import for_course as describer_choice
from ..errors import AltdeckError, printable
from ..files import sweep_temp_files
from . import history
from . import deckproc
from .deckproc import kill_running
from .lock import BatchLocked, RunLock
from .log import BatchLog, prune

EXIT_CANNOT_START = 3
EXIT_NOT_RECORDED = 4          # decks ran, but the run's state or alt-text.yaml could not be written


def _say(line: str):
    sys.stderr.write(printable(line) + "\n")           # file names and messages may come from decks
    sys.stderr.flush()


class Batch:
    """One doit run of altdeck's tasks; see the module docstring."""

    def __init__(self):
        self.log = None
        self.handle = None
        self.signals = 0
        self.first_signal = None
        self.main_pid = os.getpid()
        self.threshold, self.min_decks = 1.0, 1
        self.not_recorded = []          # one line per thing the run could not write

    # -- the run -----------------------------------------------------------------------------
    def run(self, handle, decks: int, group: bool, run_tasks) -> int:
        """Run doit's tasks (`run_tasks`) as a build when it considers decks; -> exit code."""
        if not decks and not group:
            return run_tasks()
        try:
            cfg = config.load(os.getcwd())
            cold = bool(decks) and _missing_reports(cfg, decks)
            if cold:
                # decks will build: their fork server imports while the describer is chosen (a server probed)
                deckproc.start_server(cfg.root_dir)
            choice = describer_choice(cfg)
            if decks:
                choice.resolve()
        except AltdeckError as e:
            _say(f"ERROR: {e}")
            return EXIT_CANNOT_START
        if not decks:
            excluded = f"; exclude: {', '.join(cfg.exclude)}" if cfg.exclude else ""
            print(f"altdeck: no decks in {cfg.root_dir} (decks: {', '.join(cfg.decks)}{excluded})")
        self.handle = handle
        batch = cfg.batch
        self.threshold, self.min_decks = batch.stop_on_error_threshold, batch.min_decks_for_threshold
        state = os.path.join(cfg.root_dir, cfg.state_dir)
        try:
            log = BatchLog(state, decks)
        except OSError as e:
            _say(f"ERROR: {e.filename or state}: cannot be written ({e.strerror}); altdeck keeps its run state "
                 "there: make it writable (or free space), or set state_dir in config.yaml")
            return EXIT_CANNOT_START
        lock = RunLock(state)
        try:
            holder = lock.acquire(log.batch_id)
        except (BatchLocked, OSError) as e:
            log.close(status="locked", error=str(e))
            os.unlink(log.path)              # this run never started: no log of its own
            why = e if isinstance(e, BatchLocked) else f"{e.filename or lock.path}: cannot be written ({e.strerror})"
            _say(f"ERROR: {why}")
            return EXIT_CANNOT_START
        self.log = log
        try:
            prune(state, batch.keep_logs)
            if lock.unclean:                       # a killed run: its temp files go (a clean run left none)
                for folder in (cfg.output_dir, cfg.report_dir):
                    sweep_temp_files(os.path.join(cfg.root_dir, folder))
                sweep_temp_files(state)            # writers still alive keep theirs
        except OSError as e:
            self.state_error(f"{e.filename or state}: {e.strerror}")
        if lock.unclean:
            self._fold(cfg)                # answers a killed run left in the journal join alt-text.yaml
        log.event("batch_start", folder=str(cfg.root_dir), total=log.total, pid=holder["pid"],
                  argv=sys.argv[1:], describer=choice.backend, deck_timeout_s=batch.deck_timeout_s,
                  stop_on_error_threshold=self.threshold, min_decks_for_threshold=self.min_decks)
        handle.reporter.use_run(log, f"{choice.backend} ({choice.why})" if decks else None)
        brokers = []                       # started by the first deck that asks (none in a no-op build)

        def start_broker():
            broker = _new_broker(cfg, choice.backend)
            if broker is None:
                return None
            brokers.append(broker)
            return broker.start()
        deckproc.use_broker(start_broker() if cold else start_broker)
        previous = self._install_signals()
        # The tasks live for the whole run. Frozen, the garbage collector of the `-n N -P process`
        # worker processes (forked next) never walks them, so their pages stay shared instead of copied.
        gc.freeze()
        status, result = "done", None
        try:
            result = run_tasks()
        except KeyboardInterrupt:
            status = "killed"              # second signal: stopped at once, finished decks kept
        finally:
            self._restore_signals(previous)
            ending = deckproc.stop_servers()      # they exit while the run's record is written
            deckproc.use_broker(None)
            for broker in brokers:
                broker.close()
            for deck in list(log.running):
                log.deck_end(deck, "interrupted", "stopped by a second signal before it finished")
            if self.first_signal and status == "done":
                status = "interrupted"
            elif log.stop_reason:
                status = "stopped"
            log.close(status=status, signal=self.first_signal and signal.Signals(self.first_signal).name,
                      stop_reason=log.stop_reason or None)
            try:
                try:
                    history.remember(cfg, log.path)
                except OSError as e:
                    self.state_error(f"{history.path(cfg)}: the list of failed decks cannot be written "
                                     f"({e.strerror})")
                self._fold(cfg, skip_if_empty=True)   # this run's answers join alt-text.yaml: one rewrite per run
            finally:
                for server in ending:
                    server.wait_closed()   # no process of this run outlives it
                lock.release()
            if log.broken:
                self.state_error(log.broken)
        if self.first_signal:
            return 128 + self.first_signal
        if self.not_recorded:
            return EXIT_NOT_RECORDED
        return result

    def state_error(self, line: str, stop: bool = False):
        """Something the run must record cannot be written: said once, exit 4; `stop`: no new deck starts
        (their builds could not be recorded either)."""
        if line in self.not_recorded:
            return
        self.not_recorded.append(line)
        _say(f"ERROR: {line}")
        if stop and self.handle is not None and not self.handle.stopping:
            self.handle.stop_gently()

    def _fold(self, cfg, skip_if_empty=False):
        try:
            _fold_store(cfg, skip_if_empty)
        except AltdeckError as e:          # e.g. a person's edit broke the YAML, or the file is read-only
            self.state_error(f"{e} (the new texts are kept in {cfg.state_dir} until then)")

    # -- each deck (called by doit_ext.Recorder) --------------------------------------------
    def deck_started(self, deck):
        if self.log:
            self.log.deck_start(deck)

    def deck_finished(self, deck, failure, costs=None):
        """`failure`: None, or (one line, exit code, stderr tail); `costs`: where a built deck's time went."""
        if not self.log:
            return
        if failure is None:
            self.log.deck_end(deck, "ok", costs=costs)
        else:
            self.log.deck_end(deck, "failed", *failure)

    def deck_uptodate(self, deck):
        if self.log:
            self.log.deck_uptodate(deck)

    def after_deck(self):
        """The failure-rate stop: no new deck once too many finished decks failed."""
        log = self.log
        if log is None or self.handle.stopping or log.finished < self.min_decks:
            return
        rate = log.failed / log.finished
        if rate > self.threshold:
            self.handle.stop_gently()
            log.stop_reason = (f"stopping: {log.failed} of {log.finished} finished decks failed ({rate:.0%}), "
                               f"above batch.stop_on_error_threshold {self.threshold:g}; no new deck started; "
                               f"fix the failures and run again to build the rest")
            log.event("stop", failed=log.failed, finished=log.finished, rate=round(rate, 4),
                      threshold=self.threshold)
            _say(log.stop_reason)

    # -- signals -----------------------------------------------------------------------------
    def _install_signals(self):
        if threading.current_thread() is not threading.main_thread():
            return None
        return {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}

    @staticmethod
    def _restore_signals(previous):
        for s, handler in (previous or {}).items():
            signal.signal(s, handler)

    def _on_signal(self, signum, frame):
        self.signals += 1
        if os.getpid() != self.main_pid:
            # a doit -n N -P process worker: the main process decides; stop at once when told to
            if signum == signal.SIGTERM or self.signals > 1:
                kill_running()
                os._exit(128 + signum)
            return
        name = signal.Signals(signum).name
        if self.signals == 1:
            self.first_signal = signum
            self.handle.stop_gently()
            self.log.event("signal", signal=name, action="finish running decks, start no new one")
            _say(f"altdeck: {name}: starting no new deck; running decks finish (send it again to stop at once)")
            return
        self.log.event("signal", signal=name, action="kill running decks and stop")
        _say(f"altdeck: {name} again: stopping now; finished decks are kept")
        kill_running()
        raise KeyboardInterrupt


def _missing_reports(cfg, decks: int) -> bool:
    """Fewer reports than decks: some deck has never been built, so this build will start workers.

    A cheap look (one folder listing) that keeps a no-op build from starting any.
    """
    n = 0
    for _, _, names in os.walk(os.path.join(cfg.root_dir, cfg.report_dir)):
        n += len(names)
        if n >= decks:
            return False
    return True


def _new_broker(cfg, backend):
    """The build's model broker (describe.broker) when decks are described by a vision model, else None.

    A cold build starts it with the build, so its HTTP client is made (and imported) before the
    first request; otherwise the first deck that is built starts it: a no-op build makes none.
    """
    from ..describe.signature import VISION_BACKENDS
    if backend not in VISION_BACKENDS:
        return None
    from ..describe.broker import Broker
    return Broker(cfg, backend)


def _fold_store(cfg, skip_if_empty=False):
    """Move the journal of model answers into the committed alt-text file (we hold the lock)."""
    from ..store.journal import DB_NAME, OLD_DB_NAME, Store, nothing_to_fold
    state = os.path.join(cfg.root_dir, cfg.state_dir)
    if not any(os.path.exists(os.path.join(state, n)) for n in (DB_NAME, OLD_DB_NAME)):
        return
    if skip_if_empty and nothing_to_fold(cfg) and not os.path.exists(os.path.join(state, OLD_DB_NAME)):
        return            # after a clean run that built nothing: no lock taken, no store opened
                          # (after a killed run the fold always runs: it also sweeps a killed fold's temp file)
    Store.for_course(cfg).close()


def run_locked(command: str, execute) -> int:
    """Run a doit command that removes outputs or doit's records (clean, forget) under the run lock:
    while a build is in progress it exits 3 naming it, like a second build does."""
    try:
        cfg = config.load(os.getcwd())
    except AltdeckError as e:
        _say(f"ERROR: {e}")
        return EXIT_CANNOT_START
    state = os.path.join(cfg.root_dir, cfg.state_dir)
    if not os.path.isdir(state):              # no run ever started here
        return execute()
    lock = RunLock(state)
    try:
        lock.acquire(f"altdeck {command}")
    except BatchLocked as e:
        _say(f"ERROR: {e}")
        return EXIT_CANNOT_START
    try:
        return execute()
    finally:
        lock.release()


def install():
    """Make doit's run, clean and forget commands altdeck's (see doit_ext)."""
    from . import doit_ext
    doit_ext.check_version()
    doit_ext.install(Batch, run_locked)
