"""Choose the run's describer: the configured backend, or for `auto` the first that works.

Chosen once per build, by the runner before any deck is checked, so that a
configured server that does not answer (or lacks the model) stops the build
with one line before any deck is touched, instead of failing every deck the
same way.  Commands that build nothing (list, info, check, review, alt,
clean, forget) never contact a server: they read the last choice made here.
"""
import hashlib
import json
import os
import time

from ..config import DEFAULT_OLLAMA_URL
from ..errors import DescribeError
from ..files import write_text


def _closed(url, timeout=0.5) -> str | None:
    """Why nothing can answer at url's host and port (a bare TCP connect), or None if something listens.

    Keeps a no-op `doit` with backend auto and no Ollama cheap: no HTTP client is even imported.
    """
    import socket                    # only a build with backend auto asks
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = parts.hostname or "localhost"
        if host.isascii():
            host = host.encode()          # as bytes: a str host makes socket import the IDNA codec (~0.7 ms)
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except ConnectionRefusedError:
        return "connection refused"
    except socket.timeout:
        return "timed out"
    except (OSError, ValueError) as e:
        return e.strerror or type(e).__name__ if isinstance(e, OSError) else "bad URL"


PROBE_TTL_S = 600


def _probes_file(cfg) -> str:
    return os.path.join(cfg.root_dir, cfg.state_dir, "probes.json")


def _read_probes(cfg) -> dict:
    try:
        with open(_probes_file(cfg), encoding="utf-8") as f:
            seen = json.load(f)
        return seen if isinstance(seen, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_probes(cfg, seen: dict):
    try:
        write_text(_probes_file(cfg), json.dumps(seen))
    except OSError:
        pass                              # remembering is an optimisation only


def _remembered(cfg, key: tuple, probe) -> tuple:
    """A server's good answer, remembered for PROBE_TTL_S in the state folder.

    A no-op build then costs no HTTP round trip (nor importing an HTTP client); a failed
    probe is never remembered, so a fixed server is seen at once.  If the server goes away
    meanwhile, each deck that needs it fails with its own one-line reason.
    """
    seen, name = _read_probes(cfg), json.dumps(key)
    hit = seen.get(name)
    if isinstance(hit, list) and len(hit) == 2 and 0 <= time.time() - hit[0] < PROBE_TTL_S:
        return True, hit[1]
    ok, why = probe()
    if ok:
        seen = {k: v for k, v in seen.items()
                if not isinstance(v, list) or time.time() - v[0] < PROBE_TTL_S}   # old probes go
        seen[name] = [time.time(), why]
        _write_probes(cfg, seen)
    return ok, why


def _server():
    from . import server           # imported when probing: a no-op build that remembers its probe skips it
    return server


def resolve(cfg) -> tuple:
    """-> (backend name, why): which describer a build uses, probing the server when needed.

    Raises DescribeError (one line) when the configured server cannot be used.
    """
    d = cfg.describer
    backend = d.backend
    if backend == "offline":
        return "offline", "describer.backend is offline"
    if backend in ("auto", "ollama"):
        url = (d.url or DEFAULT_OLLAMA_URL).rstrip("/")
        closed = _closed(url) if backend == "auto" else None
        if closed:
            return "offline", f"no Ollama answers at {url} ({closed}); pictures stay pending (describer.backend is auto)"
        ok, why = _remembered(cfg, ("ollama", url, d.model),
                              lambda: _server().probe_ollama(url, d.model, d.timeout_s))
        if ok:
            return "ollama", f"{why} (describer.backend is {backend})"
        if backend == "auto":
            return "offline", f"{why}; pictures stay pending (describer.backend is auto)"
        raise DescribeError(why)
    if backend == "openai":
        if not d.url:
            raise DescribeError("describer.backend is openai but describer.url is empty; set it to the "
                                "server's base URL, such as http://host:8000/v1")
        key = hashlib.sha256(os.environ.get(d.api_key_env, "").encode()).hexdigest()[:16]   # never the key
        ok, why = _remembered(cfg, ("openai", d.url, d.model, key), lambda: _server().probe_openai(cfg))
        if not ok:
            raise DescribeError(why)
        return "openai", f"{why}, model {d.model} (describer.backend is openai)"
    return backend, f"describer.backend is {backend}"


def last_choice(cfg) -> str:
    """The backend without contacting any server: the configured one, or for `auto` the last build's."""
    if cfg.describer.backend != "auto":
        return cfg.describer.backend
    return "ollama" if _read_probes(cfg).get("last-auto") == "ollama" else "offline"


def _remember_choice(cfg, backend: str):
    """Say what `auto` chose, for commands that must not probe (altdeck info)."""
    if cfg.describer.backend == "auto" and last_choice(cfg) != backend:
        _write_probes(cfg, {**_read_probes(cfg), "last-auto": backend})


class Choice:
    """The describer of one course folder's run, chosen at most once and only when asked.

    Tasks hold it without resolving it; the runner resolves it (probing) before a build;
    anything else that asks (an up-to-date check of `altdeck info`) gets the last choice.
    """

    def __init__(self, cfg):
        self.cfg = cfg
        self.backend, self.why = None, ""
        self._last = None                   # last_choice, read once: every deck's up-to-date check asks

    def resolve(self) -> str:
        """Probe and choose now (once); raises DescribeError when the configured server is unusable."""
        if self.backend is None:
            self.backend, self.why = resolve(self.cfg)
            _remember_choice(self.cfg, self.backend)
        return self.backend

    def name(self) -> str:
        """The chosen backend, or without contacting any server the last one chosen (read once)."""
        if self.backend is not None:
            return self.backend
        if self._last is None:
            self._last = last_choice(self.cfg)
        return self._last


_CHOICES = {}


def for_course(cfg) -> Choice:
    """The one Choice of this process for cfg's course folder: its tasks and its runner share it."""
    return _CHOICES.setdefault(cfg["_root"], Choice(cfg))
