"""The review app: `altdeck review --serve`, the review page with decisions, on 127.0.0.1.

Standard library only (http.server, one thread per request).  What keeps it
safe on a shared machine and from web pages the reviewer visits meanwhile:
- it listens on 127.0.0.1 only, on a free port unless --port says which;
- every address lives under a per-session token (`/s/<token>/`, printed
  once), so no other local user or page can read it or guess its URLs;
- a request whose Host is not this app's loopback address:port is refused
  (DNS rebinding), and so is a POST from another Origin;
- every state-changing request is a JSON POST carrying the token again in
  the X-Altdeck-Token header (CSRF: a cross-site form can send neither);
- every text is escaped by page.py, and the Content-Security-Policy runs no
  script but review.js, so a model's "<script>" is only ever text;
- files: pictures are read from the decks by object key (and checked against
  the key's hash), thumbnails written to and served from the review folder,
  the rebuild's output kept in the state folder; no request names a path.
Decisions go through decisions.py (the store's lock, altdeck alt's
precedence, refused when the entry changed since the page showed it), and
so do waivers of the findings the page shows (altdeck waive's).
"""
import hmac
import http.server
import json
import os
import re
import secrets
import signal
import subprocess
import threading
import urllib.parse

from ..errors import AltdeckError
from ..procs import altdeck_python, with_pythonpath
from . import decisions, page, scorecard
from .data import Course, crop_of, find_image, warnings
from .previews import NoPreview, Renders, for_browser, thumb_name, thumbnail

MAX_BODY = 1 << 20
MAX_TEXT = 5000
BUILD_LOG = "review-build.log"        # in the state folder: a rebuild's output outlives the app
_UID = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
NOT_DONE = {"save": "Not saved", "accept": "Not accepted", "decorative": "Not marked decorative",
            "revert": "Not reverted"}
TYPES = {"review.js": "text/javascript; charset=utf-8", "review.css": "text/css; charset=utf-8"}


class Refused(Exception):
    """A request the app does not answer; (status, one line)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class Rebuild:
    """`altdeck` on the course folder, started from the page: one at a time, its output in the state folder.

    A second build anywhere (the command line, CI) is refused by the run lock itself; the app only
    keeps the page from starting two.  The build is its own process group and outlives the app.
    """

    def __init__(self, cfg):
        self.cfg = cfg
        self.log = cfg.root_dir / cfg.state_dir / BUILD_LOG
        self.proc = None
        self.id = 0
        self._lock = threading.Lock()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> str:
        with self._lock:
            if self.running():
                raise Refused(409, "a rebuild started from this page is still running")
            argv, extra = altdeck_python("", "-d", os.fspath(self.cfg.root_dir))
            env = with_pythonpath(dict(os.environ, PYTHONUNBUFFERED="1"), extra)
            os.makedirs(self.log.parent, exist_ok=True)
            with open(self.log, "wb") as out:
                self.proc = subprocess.Popen(argv, cwd=self.cfg.root_dir, stdin=subprocess.DEVNULL, stdout=out,
                                             stderr=subprocess.STDOUT, start_new_session=True, env=env)
            self.id += 1
            return f"Rebuild started (altdeck, pid {self.proc.pid})"

    def state(self, start: int) -> dict:
        lines = []
        if self.proc is not None:
            try:
                lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                pass
        running = self.running()
        return {"ok": True, "id": self.id, "running": running, "lines": lines[max(0, start):],
                "exit": None if running or self.proc is None else self.proc.returncode}


class ReviewApp:
    """The app's state: the course, the session token, the rebuild."""

    def __init__(self, cfg, port: int = 0):
        self.cfg = cfg
        self.course = Course(cfg)
        self.token = secrets.token_urlsafe(24)
        self.rebuild = Rebuild(cfg)
        self.urls = page.AppUrls(self.course)
        self.renders = Renders(cfg)
        self._crops = {}
        self._view = None
        self._thumb_lock = threading.Lock()
        self._view_lock = threading.Lock()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.server.app = self
        self.port = self.server.server_address[1]
        self.hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/s/{self.token}/"

    def view(self):
        with self._view_lock:                 # one reading at a time: requests come in threads
            self._view = self.course.view()
            return self._view

    def item(self, uid, fresh=True):
        """The row `uid` in a view read now (fresh) or in the last one (pictures: they never change by uid)."""
        if not isinstance(uid, str) or not _UID.fullmatch(uid):
            raise Refused(404, "no such object")
        view = self._view if (not fresh and self._view is not None) else self.view()
        item = view.by_uid.get(uid)
        if item is None and not fresh:
            item = self.view().by_uid.get(uid)
        if item is None:
            raise Refused(404, "no such object (reload the page)")
        return item

    # -- pages and pictures ----------------------------------------------------------------------
    def index(self) -> bytes:
        return page.render(self.view(), self.course, self.urls, self.token).encode("utf-8")

    def _crop(self, item) -> tuple:
        """(thumbnail, full crop) paths of a row cut out of its rendered slide; NoPreview if it cannot be.

        A deck's crops are made together (one LibreOffice call for the deck's missing slides)."""
        if item.uid in self._crops:
            return self._crops[item.uid]
        where = crop_of(self.course, item)
        if where is None:
            raise NoPreview(self.urls.why(item))
        deck = where[0]
        view = self._view or self.view()
        rows = [(i, w[1]) for i in view.items if not i.image for w in [crop_of(self.course, i)] if w and w[0] == deck]
        rows = rows if any(i is item for i, _ in rows) else rows + [(item, where[1])]
        done = self.renders.crops(deck, [w for _, w in rows])
        for i, w in rows:
            if isinstance(done.get(w), tuple):
                self._crops[i.uid] = done[w]
        got = done.get(where[1])
        if not isinstance(got, tuple):
            raise got or NoPreview("no preview")
        return got

    def _file(self, rel) -> bytes:
        return (self.cfg.root_dir / self.cfg.review_dir / rel).read_bytes()

    def thumb(self, uid) -> bytes:
        item = self.item(uid, fresh=False)
        try:
            if item.image:
                dest = self.cfg.root_dir / self.cfg.review_dir / thumb_name(item.image)
                if not dest.exists():
                    with self._thumb_lock:        # one writer of a thumbnail (its temp file is per process)
                        if not dest.exists() and thumbnail(find_image(self.course, item)[0], dest):
                            return self._file(self._crop(item)[0])      # Pillow cannot draw it: the render
                return dest.read_bytes()
            return self._file(self._crop(item)[0])
        except (AltdeckError, OSError) as e:
            raise Refused(404, str(e)) from None

    def image(self, uid) -> tuple:
        item = self.item(uid, fresh=False)
        try:
            if item.image:
                try:
                    return for_browser(*find_image(self.course, item))
                except NoPreview:
                    pass
            return self._file(self._crop(item)[1]), "image/png"
        except (AltdeckError, OSError) as e:
            raise Refused(404, str(e)) from None

    def slide(self, uid) -> bytes:
        """The render of the row's first slide, where LibreOffice made one (never rendered for this)."""
        item = self.item(uid, fresh=False)
        place = item.places[0]
        path = self.renders.slides(place.deck, [place.slide]).get(place.slide)
        if path is None:
            raise Refused(404, "no render of this slide")
        with open(path, "rb") as f:
            return f.read()

    # -- decisions ----------------------------------------------------------------------------------
    def _row(self, item, view):
        return page.row_html(item, self.course, self.urls, view.max_chars)

    def answer(self, ok, message, uids=()) -> dict:
        """What a decision answers: its message, the rows it touched (None: every row) and the totals,
        all read now, once."""
        view = self.view()
        rows = view.items if uids is None else [view.by_uid[u] for u in uids if u in view.by_uid]
        return {"ok": ok, "message": message, "rows": {i.uid: self._row(i, view) for i in rows},
                "totals": page.totals_html(view, static=False), "status_options": page.status_options(view),
                "sources": view.sources, "scores": scorecard.course_section(view.checked),
                "deck_findings": page.deck_findings_html(view, static=False)}

    def decide(self, act, body) -> dict:
        if act not in NOT_DONE:
            raise Refused(404, "no such action")
        item = self.item(body.get("uid"))
        if not item.editable:
            raise Refused(409, "alt-text.yaml cannot hold a decision for this object")
        base = body.get("base")
        base = base if isinstance(base, str) else None
        key = item.key
        try:
            if act == "save":
                text = body.get("text")
                if not isinstance(text, str) or len(text) > MAX_TEXT:
                    raise Refused(400, f"the text must be a string of at most {MAX_TEXT} characters")
                done = decisions.set_text(self.cfg, key, text, base)
                message = f"Saved {item.key12}: “{done.entry.text}”"
            elif act == "accept":
                decisions.accept(self.cfg, key, base)
                message = f"Accepted {item.key12}: the model's text is marked reviewed"
            elif act == "decorative":
                decisions.set_decorative(self.cfg, key, base)
                message = f"Marked {item.key12} decorative: screen readers will skip it"
            elif act == "revert":
                if item.model is None:
                    raise Refused(409, "no model's text is known for this object")
                decisions.revert(self.cfg, key, item.model, base)
                message = f"Reverted {item.key12} to the model's text (not reviewed yet)"
        except AltdeckError as e:                # Changed meanwhile, or nothing to accept: one line
            return self.answer(False, f"{NOT_DONE[act]}: {e}", [item.uid])
        out = self.answer(True, message, [item.uid])
        n = len(self._view.rebuild)
        out["message"] += f". {n} deck{'s' if n != 1 else ''} need{'s' if n == 1 else ''} rebuilding." if n else "."
        return out

    def waive(self, body) -> dict:
        """Waive one finding the page shows (by its id), with decisions.waive: on the object's entry, or
        on its deck, slide and shape; nothing rebuilds, the page's findings and scores change."""
        reason = body.get("reason") or ""
        if not isinstance(reason, str) or len(reason) > page.MAX_REASON:
            raise Refused(400, f"the reason must be a string of at most {page.MAX_REASON} characters")
        fid = body.get("finding")
        shown = self.view().findings.get(fid) if isinstance(fid, str) else None
        if shown is None:
            raise Refused(409, "Not waived: this finding is no longer there (waived meanwhile, or its deck was "
                               "rebuilt); reload the page")
        rule = shown.finding["rule"]
        try:
            where = decisions.waive(self.cfg, reason=reason, **shown.waiver())
        except AltdeckError as e:
            return self.answer(False, f"Not waived: {e}", [shown.uid])
        return self.answer(True, f"Waived {rule} on {shown.target} in {self.cfg.store_file} ({where}): "
                                 "altdeck check no longer counts it.", [shown.uid])

    def accept_all(self, body) -> dict:
        chosen = body.get("rows")
        if not isinstance(chosen, dict) or not chosen:
            raise Refused(400, "no rows to accept")
        view = self.view()
        expected, uids = {}, {}
        for uid, base in chosen.items():
            item = view.by_uid.get(uid) if isinstance(uid, str) else None
            if item is None or not item.editable or not isinstance(base, str):
                raise Refused(409, "an object shown is no longer in the course; reload the page")
            expected[item.key], uids[item.key] = base, uid
        done, refused = decisions.accept_many(self.cfg, expected)
        message = f"Accepted {len(done)} text{'s' if len(done) != 1 else ''}"
        if refused:
            message += (f"; {len(refused)} not accepted because they changed meanwhile or have no text: "
                        + ", ".join(k[:12] for k in sorted(refused)))
        return self.answer(not refused, message + ".", [uids[k] for k in expected])

    def lint(self, query) -> dict:
        item = self.item((query.get("uid") or [""])[0], fresh=False)
        text = (query.get("text") or [""])[0][:MAX_TEXT]
        titles = [self.course.slide(p.deck, p.slide).title for p in item.places]
        return {"ok": True, "text": text, "warnings": warnings(text, titles, self.cfg.alt_text.max_chars)}


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "altdeck-review"

    def version_string(self):
        return self.server_version
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):            # the console shows the address and nothing else
        pass

    # -- the guards ---------------------------------------------------------------------------------
    def _route(self) -> tuple:
        """-> (what is asked for, query); Refused unless Host and token are this app's."""
        app = self.server.app
        if self.headers.get("Host", "") not in app.hosts:
            raise Refused(403, "refused: the Host header is not this app's address (open the address "
                               "altdeck review printed)")
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.split("/", 3)
        if len(parts) < 4 or parts[0] or parts[1] != "s" or not hmac.compare_digest(parts[2], app.token):
            raise Refused(403, "refused: this address needs the session token (open the address altdeck "
                               "review printed)")
        return parts[3], urllib.parse.parse_qs(url.query)

    def _state_changing(self):
        app = self.server.app
        if not hmac.compare_digest(self.headers.get("X-Altdeck-Token", ""), app.token):
            raise Refused(403, "refused: a change needs the session token in X-Altdeck-Token")
        origin = self.headers.get("Origin")
        if origin is not None and origin not in {f"http://{h}" for h in app.hosts}:
            raise Refused(403, "refused: a change from another site")
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            raise Refused(415, "refused: a change is a JSON request")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            raise Refused(413, "refused: the request is too large")
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            raise Refused(400, "refused: the request is not JSON") from None
        if not isinstance(body, dict):
            raise Refused(400, "refused: the request is not a JSON object")
        return body

    # -- answers --------------------------------------------------------------------------------------
    def _send(self, status, data: bytes, ctype, cache="no-store"):
        self.send_response(status)
        for k, v in HEADERS.items():
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", cache)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _json(self, data, status=200):
        self._send(status, json.dumps(data).encode("utf-8"), "application/json")

    def _refuse(self, e: Refused, api: bool):
        if api:
            self._json({"ok": False, "message": str(e)}, e.status)
        else:
            self._send(e.status, (str(e) + "\n").encode("utf-8"), "text/plain; charset=utf-8")

    def do_GET(self):
        app, api = self.server.app, False
        try:
            if self.path == "/favicon.ico" and self.headers.get("Host", "") in app.hosts:
                self._send(204, b"", "image/x-icon", "max-age=86400")    # browsers ask; there is none
                return
            what, query = self._route()
            api = what.startswith("api/")
            if what in ("", "index.html"):
                self._send(200, app.index(), "text/html; charset=utf-8")
            elif what in page.ASSETS:
                self._send(200, page.asset(what), TYPES[what])
            elif what.startswith("thumb/"):
                self._send(200, app.thumb(what[6:]), "image/png", "private, max-age=600")
            elif what.startswith("image/"):
                data, ctype = app.image(what[6:])
                self._send(200, data, ctype, "private, max-age=600")
            elif what.startswith("slide/"):
                self._send(200, app.slide(what[6:]), "image/png", "private, max-age=600")
            elif what == "api/rows":
                self._json(app.answer(True, "", None))
            elif what == "api/lint":
                self._json(app.lint(query))
            elif what == "api/build":
                try:
                    start = int((query.get("from") or ["0"])[0])
                except ValueError:
                    start = 0
                self._json(app.rebuild.state(start))
            else:
                raise Refused(404, "not found")
        except Refused as e:
            self._refuse(e, api)
        except AltdeckError as e:                # e.g. alt-text.yaml broken by a hand edit: one line
            self._refuse(Refused(500, str(e)), api)

    do_HEAD = do_GET

    def do_POST(self):
        app = self.server.app
        try:
            what, _ = self._route()
            body = self._state_changing()
            if what == "api/accept-all":
                self._json(app.accept_all(body))
            elif what == "api/build":
                self._json({"ok": True, "message": app.rebuild.start()})
            elif what == "api/waive":
                self._json(app.waive(body))
            elif what.startswith("api/"):
                self._json(app.decide(what[4:], body))
            else:
                raise Refused(404, "not found")
        except Refused as e:
            self._refuse(e, True)
        except AltdeckError as e:
            self._refuse(Refused(500, str(e)), True)


class _Stop(BaseException):
    """SIGTERM: stop serving like Ctrl+C does."""


def _stop(signum, frame):
    raise _Stop()


def serve(cfg, port: int = 0, say=print):
    """Serve the review until Ctrl+C or SIGTERM; prints one line with the address (token included)."""
    if not 0 <= port <= 65535:
        raise AltdeckError(f"review: --port {port} is not a port number (1-65535, or 0 for a free one)")
    try:
        app = ReviewApp(cfg, port)
    except OSError as e:
        raise AltdeckError(f"review: cannot listen on 127.0.0.1:{port} ({e.strerror}); choose another --port, "
                           "or leave it out for a free one") from None
    try:
        app.view()                         # scan the decks now: the first page comes quickly
        say(f"review: {app.url}  (Ctrl+C stops it)")
        previous = signal.signal(signal.SIGTERM, _stop)
        try:
            app.server.serve_forever(poll_interval=0.2)
        except (KeyboardInterrupt, _Stop):
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
    finally:
        app.server.server_close()
        app.renders.close()
    if app.rebuild.running():
        say(f"review: stopped; the rebuild it started goes on (pid {app.rebuild.proc.pid}, output in "
            f"{os.path.join(cfg.state_dir, BUILD_LOG)})")
    else:
        say("review: stopped")
