"""HTTP to model servers: timeouts, bounded retries, and a pool of `max_concurrency` request slots.

A single Ollama serves only a few requests at a time.  In a build, decks are
built by N worker processes; their requests all go through the build's
broker (describe.broker), which owns the one Client and its Slots.

`describer.timeout_s` bounds a whole request, connect to last byte: requests'
read timeout bounds each read, so a server trickling a byte a second would
never time out.  The request runs on a helper thread the caller stops waiting
for at the deadline; the deck then fails (its slot is freed), and the
abandoned read ends when the server gives up or the build ends.
"""
import json
import random
import threading
import time

import requests

from ..errors import DescribeError
from .server import TooSlow, reason, within

BACKOFF_S = 0.5          # first retry delay; doubles each try, with jitter
BACKOFF_MAX_S = 15.0
RETRY_STATUS = {429, 500, 502, 503, 504}


class Slots:
    """At most `n` requests at once from this process's threads; a freed slot goes to a waiter at once.

    A build's deck workers share one such pool through its broker (describe.broker).
    """

    def __init__(self, n: int):
        self._sem = threading.BoundedSemaphore(n)

    def acquire(self):
        self._sem.acquire()
        return True

    def release(self, token):
        self._sem.release()


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

    def __init__(self, base_url: str, timeout_s: float, retries: int, slots: Slots, headers=None):
        self.base = base_url.rstrip("/")
        self.timeout = (min(timeout_s, 10.0), timeout_s)     # (connect, each read)
        self.timeout_s = timeout_s                            # the whole request
        self.retries, self.slots = retries, slots
        self.session = requests.Session()
        self.session.headers.update(headers or {})

    def post_json(self, path: str, payload: dict, expected: str, key: str = "") -> dict:
        """POST with retries on connection errors, 429 and 5xx; DescribeError (one line) otherwise.

        `key` names the picture (the broker's transport uses it; here every call is sent).
        """
        url = self.base + path
        body = json.dumps(payload).encode()
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            slot = self.slots.acquire()          # held for the request, not the backoff
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
                self.slots.release(slot)
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


def _json_or_none(r):
    try:
        return r.json()
    except ValueError:
        return None
