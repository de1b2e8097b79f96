"""A real HTTP model server on 127.0.0.1 for tests, speaking Ollama and OpenAI protocols.

No model weights can be downloaded here, so the answers are canned: by
default "<prefix> <n>." where n numbers the distinct images received, so a
test can tell which image got which text.  The server can be told to be
slow, hang, fail its first requests with 500 or 429, answer garbage or
chatty text, lack the model, or stop answering after N answers (to kill a
run at a known point); it can hold every chat until the test releases it
(`hold=True`, `release()`: to change a file while a deck is being built), and
trickle its answers a byte at a time (`trickle_s`, chats only, or every
request with `trickle_all`); with `slots=K` and `delay_s=L` it behaves like a model
server with K parallel slots and a fixed latency (the benchmarks' stand-in).  It records every request: path, headers
(the Authorization value kept apart, as `auth`), prompt text, image count,
the most requests it ever had in flight at once, and every TCP connection (a bare
connect with no request counts too).

    with ModelServer(models=["llava:latest"]) as srv:
        srv.url          # http://127.0.0.1:PORT  (Ollama base; srv.url + "/v1" for OpenAI)
"""
import base64
import contextlib
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ModelServer:
    def __init__(self, models=("llava:latest",), answer=None, prefix="Canned description",
                 delay_s=0.0, hang=False, fail_first=(), garbage=False, api_key=None, answer_limit=None,
                 slots=None, hold=False, trickle_s=0.0, trickle_all=False):
        self.models = list(models)
        self.answer = answer              # None, a string, or callable(record) -> str
        self.prefix, self.delay_s, self.hang = prefix, delay_s, hang
        self.fail_first = list(fail_first)   # statuses for the first chat requests, e.g. [500, 429]; 0 drops
        self.garbage, self.api_key = garbage, api_key
        self.answer_limit = answer_limit      # after this many answers, further chats hang (until exit)
        self.answered = []                    # image hashes of the chats answered with text, in order
        # like a GPU server: at most `slots` requests are worked on at once, the rest queue
        self._slots = threading.BoundedSemaphore(slots) if slots else contextlib.nullcontext()
        self.requests, self.images = [], {}     # images: sha256 of received PNG -> n
        self.in_flight = self.max_in_flight = 0
        self.released = threading.Event()     # hold=True: chats wait for release()
        if not hold:
            self.released.set()
        self.trickle_s, self.trickle_all = trickle_s, trickle_all
        self.connections = 0                  # TCP connections accepted (a bare connect probe counts)
        self._lock, self._stop = threading.Lock(), threading.Event()

    # ---- lifecycle
    def __enter__(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm holds the
            # body until the client's delayed ACK (40 ms) — an artifact of this stand-in, not of a model
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_GET(self):
                server._get(self)

            def do_POST(self):
                server._post(self)

        class Server(ThreadingHTTPServer):
            def get_request(self):                 # counts every TCP connection, even one sending nothing
                got = super().get_request()
                with server._lock:
                    server.connections += 1
                return got

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def release(self):
        """Let held chats (hold=True) answer, now and from now on."""
        self.released.set()

    # ---- what tests read
    def chats(self):
        return [r for r in self.requests if r["kind"] == "chat"]

    # ---- protocol
    def _send(self, h, status, body, content_type="application/json", headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        if self.trickle_s and (self.trickle_all or h.command == "POST"):
            return self._trickle(h, status, data, content_type)
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _trickle(self, h, status, data, content_type):
        """The whole response, status line first, one byte every trickle_s seconds (a stuck proxy)."""
        raw = (f"HTTP/1.1 {status} OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(data)}\r\n\r\n"
               ).encode() + data
        for i in range(len(raw)):
            if self._stop.wait(self.trickle_s):
                return
            try:
                h.wfile.write(raw[i:i + 1])
                h.wfile.flush()
            except OSError:              # the client gave up: what a deadline does
                return

    def _record(self, h, kind, body=None):
        headers = {k: v for k, v in h.headers.items() if k.lower() != "authorization"}
        rec = {"kind": kind, "path": h.path, "headers": headers, "auth": h.headers.get("Authorization"),
               "body": body}
        with self._lock:
            self.requests.append(rec)
        return rec

    def _authorized(self, h):
        return self.api_key is None or h.headers.get("Authorization") == f"Bearer {self.api_key}"

    def _get(self, h):
        self._record(h, "get")
        if h.path == "/api/tags":
            return self._send(h, 200, {"models": [{"name": m, "model": m} for m in self.models]})
        if h.path == "/v1/models":
            if not self._authorized(h):
                return self._send(h, 401, {"error": {"message": "invalid api key"}})
            return self._send(h, 200, {"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]})
        self._send(h, 404, {"error": "not found"})

    def _post(self, h):
        body = json.loads(h.rfile.read(int(h.headers.get("Content-Length", 0))) or b"{}")
        if h.path not in ("/api/chat", "/v1/chat/completions"):
            self._record(h, "other", body)
            return self._send(h, 404, {"error": "not found"})
        openai = h.path.startswith("/v1/")
        texts, images = [], []
        for m in body.get("messages", []):
            content = m.get("content")
            if isinstance(content, str):
                texts.append(content)
            for part in content if isinstance(content, list) else []:
                if part.get("type") == "text":
                    texts.append(part["text"])
                elif part.get("type") == "image_url":
                    images.append(part["image_url"]["url"].split(",", 1)[1])
            images += m.get("images", [])
        rec = self._record(h, "chat", None)
        rec.update(t0=time.time(), model=body.get("model"), prompt="\n".join(texts), image_count=len(images),
                   image_hashes=[hashlib.sha256(base64.b64decode(i)).hexdigest() for i in images],
                   image_bytes=[base64.b64decode(i) for i in images])
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            status = self.fail_first.pop(0) if self.fail_first else 200
            for sha in rec["image_hashes"]:
                self.images.setdefault(sha, len(self.images) + 1)
        try:
            with self._lock:
                gate_closed = self.answer_limit is not None and len(self.answered) >= self.answer_limit
            if self.hang or gate_closed:
                self._stop.wait(60)
                return
            while not self.released.wait(0.05):
                if self._stop.is_set():
                    return
            if self.delay_s:
                with self._slots:
                    time.sleep(self.delay_s)
            if openai and not self._authorized(h):
                return self._send(h, 401, {"error": {"message": "invalid api key"}})
            if status == 0:                      # drop the connection without an answer
                h.close_connection = True
                return
            if status != 200:
                return self._send(h, status, {"error": f"canned {status}"}, headers=[("Retry-After", "0")])
            if self.garbage:
                return self._send(h, 200, b"<html>502 upstream gateway says hello</html>", "text/html")
            text = self._text(rec)
            if openai:
                self._send(h, 200, {"object": "chat.completion", "model": body.get("model"), "choices": [
                    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}]})
            else:
                self._send(h, 200, {"model": body.get("model"), "done": True,
                                    "message": {"role": "assistant", "content": text}})
            with self._lock:
                self.answered += rec["image_hashes"]
        finally:
            rec["t1"] = time.time()
            with self._lock:
                self.in_flight -= 1

    def _text(self, rec):
        if callable(self.answer):
            return self.answer(rec)
        if self.answer is not None:
            return self.answer
        n = self.images[rec["image_hashes"][0]] if rec["image_hashes"] else 0
        return f"{self.prefix} {n}."
