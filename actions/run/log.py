"""A batch run's record: its id, the JSON-lines log, and the bounded tallies behind progress and summary.

Every event goes straight to `<state_dir>/logs/<batch id>.jsonl` (one JSON
object a line, flushed as written, so `tail -f` follows it); the newest
`batch.keep_logs` logs are kept.  In memory only
counters, the few slowest decks and the first failure lines are kept, so a
run of 10,000 failing decks takes as much memory as a run of ten.
"""
import heapq
import json
import os
import threading
import time
from datetime import datetime, timezone

SLOWEST_KEPT = 5
FAILURES_KEPT = 20
TAIL_CHARS = 400


def new_batch_id() -> str:
    """Sortable by start time, unique for runs started in the same second: 20250101-120000-<pid>-<random>.

    (os.urandom, not secrets: an id is no secret, and secrets imports hmac, ~0.5 ms of every no-op run.)"""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{os.urandom(3).hex()}"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def tail(text: str, limit: int = TAIL_CHARS) -> str:
    """The end of some output, on one line."""
    text = " | ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return text if len(text) <= limit else "…" + text[-limit:]


def clock(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def prune(state_dir, keep: int):
    """Remove all but the newest `keep` logs (batch ids sort by start time)."""
    folder = os.path.join(state_dir, "logs")
    try:
        logs = sorted(n for n in os.listdir(folder) if n.endswith(".jsonl"))
    except FileNotFoundError:
        return
    for name in logs[:-keep] if keep > 0 else logs:
        try:
            os.unlink(os.path.join(folder, name))
        except FileNotFoundError:
            pass


class BatchLog:
    """The run's events: appended to the JSON-lines file and tallied; thread-safe (doit -P thread)."""

    def __init__(self, state_dir, total: int, batch_id: str | None = None):
        self.batch_id = batch_id or new_batch_id()
        folder = os.path.join(state_dir, "logs")
        os.makedirs(folder, exist_ok=True)
        self.path = os.path.join(folder, f"{self.batch_id}.jsonl")
        self._file = open(self.path, "a", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()
        self.total = total
        self.started_at = time.monotonic()
        self.running = {}                 # deck -> monotonic start
        self.ok = self.failed = self.uptodate = 0
        self.slowest = []                 # min-heap of (seconds, deck), SLOWEST_KEPT long
        self.failures = []                # first FAILURES_KEPT one-line reasons
        self.stop_reason = ""
        self.broken = ""                  # why the log could not be written (disk full): said at the end

    # -- events --------------------------------------------------------------
    def event(self, kind: str, **fields):
        """Append a record; a log that cannot be written (disk full) is noted once, never a crash."""
        record = {"ts": now_iso(), "batch": self.batch_id, "event": kind, **fields}
        with self._lock:
            if not self._file.closed and not self.broken:
                try:
                    self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
                except OSError as e:
                    self.broken = f"{self.path}: the run's log cannot be written ({e.strerror})"

    def deck_start(self, deck: str):
        with self._lock:
            self.running[deck] = time.monotonic()
        self.event("deck_start", deck=deck)

    def deck_uptodate(self, deck: str):
        with self._lock:
            self.uptodate += 1

    def deck_end(self, deck: str, status: str, error: str = "", exit_code=None, stderr_tail: str = "",
                 costs: dict | None = None) -> float:
        """Record a finished deck (status ok | failed); returns its duration in seconds.

        `costs`: its phases' seconds, slides LibreOffice rendered, pictures OCR read (build._costs)."""
        with self._lock:
            took = time.monotonic() - self.running.pop(deck, time.monotonic())
            if status == "ok":
                self.ok += 1
            else:
                self.failed += 1
                if len(self.failures) < FAILURES_KEPT:
                    self.failures.append(error)
            item = (took, deck)
            if len(self.slowest) < SLOWEST_KEPT:
                heapq.heappush(self.slowest, item)
            else:
                heapq.heappushpop(self.slowest, item)
        fields = {"deck": deck, "status": status, "duration_s": round(took, 3)}
        if costs:
            fields["costs"] = costs
        if status != "ok":
            fields.update(error=error, error_ts=now_iso(), exit_code=exit_code, stderr_tail=stderr_tail)
        self.event("deck_end", **fields)
        return took

    def close(self, **fields):
        self.event("batch_end", **self.totals(), **fields)
        with self._lock:
            try:
                self._file.close()
            except OSError as e:              # the last flush on a full disk
                self.broken = self.broken or f"{self.path}: the run's log cannot be written ({e.strerror})"

    # -- tallies ---------------------------------------------------------------
    @property
    def finished(self) -> int:
        """Decks that ran to an end (built or failed); up-to-date and never-started decks don't count."""
        return self.ok + self.failed

    def totals(self) -> dict:
        return {"total": self.total, "built": self.ok, "failed": self.failed, "up_to_date": self.uptodate,
                "stopped_mid_build": len(self.running),
                "not_started": max(0, self.total - self.finished - self.uptodate - len(self.running)),
                "elapsed_s": round(time.monotonic() - self.started_at, 3)}

    def progress(self) -> str:
        """index/total, elapsed, ETA and success rate, for the line printed after each deck."""
        done = self.finished + self.uptodate
        elapsed = time.monotonic() - self.started_at
        width = len(str(self.total))
        parts = [f"[{done:>{width}}/{self.total}]", f"elapsed {clock(elapsed)}"]
        if self.finished and done < self.total:      # up-to-date decks take no time: rate from built ones
            parts.append(f"ETA {clock(elapsed / self.finished * (self.total - done))}")
        if self.finished:
            parts.append(f"{100 * self.ok / self.finished:.0f}% ok")
        return " · ".join(parts)

    def slowest_first(self) -> list:
        return sorted(self.slowest, reverse=True)
