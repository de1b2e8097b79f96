"""One queue of model requests for a whole build: every deck's worker sends through it.

The model server is the expensive part, and its slots must never wait for us.
Deck workers are separate processes (each deck is killed alone on its
timeout), so their requests meet here, in the build's own process:
- a freed slot goes to the next request at once (a semaphore, no polling);
- requests queue across deck boundaries: while one deck writes its copy and
  the next one starts, the other decks' pictures keep the slots busy;
- the same picture asked by two decks at the same moment is sent once (the
  second waits for the first's answer), and a picture answered a moment ago
  is answered again from memory, so no image is sent twice in a build;
- workers import no HTTP client.

The broker listens on an abstract Unix socket named for this build (no file
to clean up, no path-length limit) and answers only processes of its own
user.  One request per connection: a 4-byte length and JSON
{"path", "payload", "expected", "key"}; the reply is {"data": {...}} or
{"error": "<one line>"} (a DescribeError in the worker, failing its deck).
"""
import json
import os
import secrets
import socket
import struct
import threading
from collections import OrderedDict
from concurrent.futures import Future

from ..errors import DescribeError

# Answers kept for a deck that asks a picture another deck's worker has been answered but not yet
# stored: a window of milliseconds, so the last few hundred answers cover it; more would make the
# build's memory grow with the course's pictures.
RECENT = 256
MAX_MESSAGE = 64 * 2**20       # a request carries one prepared picture (1024 px PNG, base64)


def _send(sock, obj):
    data = json.dumps(obj).encode()
    sock.sendall(struct.pack(">I", len(data)) + data)


def _recv(sock):
    head = _read(sock, 4)
    if head is None:
        return None
    n = struct.unpack(">I", head)[0]
    if n > MAX_MESSAGE:
        raise ValueError(f"message of {n} bytes")
    body = _read(sock, n)
    return None if body is None else json.loads(body)


def _read(sock, n):
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


class Broker:
    """The build's model requests to the configured server of `backend`, max_concurrency at a time."""

    def __init__(self, cfg, backend):
        self.cfg, self.backend = cfg, backend
        self._client = None
        self.address = f"\0altdeck-model-{os.getpid()}-{secrets.token_hex(8)}"
        self._lock = threading.Lock()
        self._inflight, self._recent = {}, OrderedDict()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(self.address)
        self._sock.listen(128)

    def start(self) -> str:
        """Listen, and make the HTTP client (importing it) in the background now, not before the first
        request (a build starts its broker only when decks will be described)."""
        threading.Thread(target=self._accept, daemon=True, name="altdeck-broker").start()
        threading.Thread(target=lambda: self.client, daemon=True, name="altdeck-broker-client").start()
        return self.address

    def close(self):
        """Stop listening, at once: shutdown() wakes the blocked accept() (no polling loop to wait out)."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        if self._client is not None:
            self._client.close()

    def _accept(self):
        """One thread per connection: a request waits for a slot or for another deck's same picture."""
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return                # closed: the build is over
            threading.Thread(target=self._serve, args=(conn,), daemon=True, name="altdeck-broker-req").start()

    @property
    def client(self):
        """The HTTP client, made once (see start)."""
        with self._lock:
            if self._client is None:
                from .vision import direct_client
                self._client = direct_client(self.cfg, self.backend)
            return self._client

    def _serve(self, sock):
        with sock:
            self._answer(sock)

    def _answer(self, sock):
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        if struct.unpack("3i", creds)[1] != os.getuid():
            return
        try:
            req = _recv(sock)
            if req is None:
                return
            reply = {"data": self.ask(req["path"], req["payload"], req["expected"], req.get("key") or "")}
        except DescribeError as e:
            reply = {"error": str(e)}
        except (ValueError, KeyError, TypeError) as e:
            reply = {"error": f"altdeck's model broker got a bad request ({type(e).__name__}: {e})"}
        try:
            _send(sock, reply)
        except OSError:
            pass                      # the deck's worker is gone (killed on its timeout)

    def ask(self, path, payload, expected, key="") -> dict:
        """The server's answer; one request per key at a time and per build (see the module docstring)."""
        with self._lock:
            if key and key in self._recent:
                return self._recent[key]
            pending = self._inflight.get(key) if key else None
            if pending is None:
                mine = Future()
                if key:
                    self._inflight[key] = mine
        if pending is not None:
            return pending.result()
        try:
            data = self.client.post_json(path, payload, expected)
        except BaseException as e:
            mine.set_exception(e)
            raise
        finally:
            with self._lock:
                self._inflight.pop(key, None)
        if key:
            with self._lock:
                self._recent[key] = data
                if len(self._recent) > RECENT:
                    self._recent.popitem(last=False)
        mine.set_result(data)
        return data


class BrokerClient:
    """A deck worker's side: the same post_json as describe.http.Client, through the build's broker."""

    def __init__(self, address: str):
        self.address = address

    def post_json(self, path: str, payload: dict, expected: str, key: str = "") -> dict:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(self.address)
            _send(sock, {"path": path, "payload": payload, "expected": expected, "key": key})
            reply = _recv(sock)
        except OSError as e:
            raise DescribeError(f"altdeck's model broker is gone ({e.strerror or e}); the build was stopped") from None
        finally:
            sock.close()
        if reply is None:
            raise DescribeError("altdeck's model broker closed the connection; the build was stopped")
        if "error" in reply:
            raise DescribeError(reply["error"])
        return reply["data"]

    def close(self):
        pass
