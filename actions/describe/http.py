"""HTTP to model servers: timeouts, bounded retries, and one request pool per run.

A single Ollama serves only a few requests at a time, and `doit -n N` builds
decks in N processes, so the pool is a set of `max_concurrency` slot files
in the state dir, each taken with an exclusive flock: any thread of any
process sending a model request holds one slot.  flock locks belong to the
open file, so threads of one process compete for slots like processes do,
and a killed process's slots are freed by the kernel.

`describer.timeout_s` bounds a whole request, connect to last byte: requests'
read timeout bounds each read, so a server trickling a byte a second would
never time out.  The request runs on a helper thread the caller stops waiting
for at the deadline; the deck then fails and its worker process ends, and the
abandoned read with it.
"""
import json
import random
import threading
import time
from pathlib import Path

import requests

from ..errors import DescribeError
from ..files import try_lock, unlock

BACKOFF_S = 0.5          # first retry delay; doubles each try, with jitter
BACKOFF_MAX_S = 15.0
POLL_S = 0.05            # how often a waiting request looks for a free slot (requests take seconds)
RETRY_STATUS = {429, 500, 502, 503, 504}


class TooSlow(Exception):
    """No complete answer within the deadline."""


def within(seconds: float, call):
    """call()'s result, or TooSlow when it has not returned within `seconds` (its exception is raised)."""
    box, done = {}, threading.Event()

    def run():
        try:
            box["value"] = call()
        except BaseException as e:           # noqa: B036 - handed to the waiting thread
            box["error"] = e
        finally:
            done.set()
    threading.Thread(target=run, daemon=True, name="altdeck-http").start()
    if not done.wait(seconds):
        raise TooSlow()
    if "error" in box:
        raise box["error"]
    return box["value"]


class Slots:
    """At most `n` holders at once across threads and processes sharing `folder`."""

    def __init__(self, folder, n: int):
        self.folder, self.n = Path(folder), n

    def acquire(self):
        """-> an open slot file (held until release); waits for a free slot."""
        self.folder.mkdir(parents=True, exist_ok=True)
        order = list(range(self.n))
        while True:
            random.shuffle(order)
            for i in order:
                f = try_lock(self.folder / f"slot-{i}.lock")
                if f:
                    return f
            time.sleep(POLL_S)

    release = staticmethod(unlock)


class Claims:
    """One describer at a time per image, across threads and processes sharing `folder`.

    Two decks built in parallel that hold the same picture (a course logo)
    must not both send it: the second waits for the first's claim, then finds
    the result in the store.  Objects share 256 lock files by the last two hex
    digits of their key (a picture's hash, another object's `<kind>-<digest>`),
    so the folder stays small; a shared bucket only means a short wait.
    """

    def __init__(self, folder):
        self.folder = Path(folder)

    def try_acquire(self, key: str):
        """-> the held claim, or None when another holder has it now."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return try_lock(self.folder / f"{key[-2:]}.lock")

    release = staticmethod(unlock)


def _delay(attempt: int, retry_after: str | None) -> float:
    if retry_after:
        try:
            return min(float(retry_after), BACKOFF_MAX_S)
        except ValueError:
            pass
    return min(BACKOFF_S * 2 ** attempt, BACKOFF_MAX_S) * random.uniform(0.5, 1.5)


def _snippet(text: str) -> str:
    text = " ".join((text or "").split())
    return (text[:120] + "…") if len(text) > 120 else text or "an empty body"


class Client:
    """JSON over HTTP to one model server; secrets stay in headers and out of every message."""

    def __init__(self, base_url: str, timeout_s: float, retries: int, slots: Slots | None, headers=None):
        self.base = base_url.rstrip("/")
        self.timeout = (min(timeout_s, 10.0), timeout_s)     # (connect, each read)
        self.timeout_s = timeout_s                            # the whole request
        self.retries, self.slots = retries, slots
        self.session = requests.Session()
        self.session.headers.update(headers or {})

    def post_json(self, path: str, payload: dict, expected: str) -> dict:
        """POST with retries on connection errors, 429 and 5xx; DescribeError (one line) otherwise."""
        url = self.base + path
        body = json.dumps(payload).encode()
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            slot = self.slots.acquire() if self.slots else None     # held for the request, not the backoff
            try:
                r = within(self.timeout_s, lambda: self.session.post(
                    url, data=body, timeout=self.timeout, headers={"Content-Type": "application/json"}))
            except (requests.exceptions.ReadTimeout, TooSlow):
                raise DescribeError(f"{url}: no complete answer within describer.timeout_s={self.timeout_s:g}s, "
                                    f"expected {expected}; is the model too slow or the server stuck?") from None
            except requests.exceptions.ConnectionError as e:
                if last:
                    raise DescribeError(f"{url}: cannot connect ({reason(e)}) after {attempt + 1} "
                                        f"tries, expected {expected}") from None
                r = None
            finally:
                if slot:
                    Slots.release(slot)
            if r is not None and r.status_code == 200:
                data = _json_or_none(r)
                if not isinstance(data, dict):
                    raise DescribeError(f"{url}: HTTP 200 with {_snippet(r.text)!r}, expected {expected}")
                return data
            if r is not None and (r.status_code not in RETRY_STATUS or last):
                tries = f" after {attempt + 1} tries" if attempt else ""
                raise DescribeError(f"{url}: HTTP {r.status_code}{tries} ({_snippet(r.text)}), expected {expected}")
            time.sleep(_delay(attempt, r.headers.get("Retry-After") if r is not None else None))
        raise AssertionError("unreachable")

    def close(self):
        self.session.close()


def reason(e) -> str:
    """A connection error in a few words (requests' own text is a paragraph)."""
    text = str(e)
    for known in ("Connection refused", "Name or service not known", "timed out", "No route to host",
                  "Connection reset", "Remote end closed connection"):
        if known.lower() in text.lower():
            return known.lower()
    return type(e).__name__


def _json_or_none(r):
    try:
        return r.json()
    except ValueError:
        return None


def slots_for(cfg) -> Slots:
    """The run's shared model-request pool, in the course folder's state dir."""
    return Slots(cfg.root_dir / cfg.state_dir / "model-slots", cfg.describer.max_concurrency)


def claims_for(cfg) -> Claims:
    return Claims(cfg.root_dir / cfg.state_dir / "model-claims")
