"""Choose the describer for a run: the configured backend, or for `auto` the first that works.

Checked once per run, when the tasks are created: a configured server that
does not answer (or lacks the model) stops the whole run with one line
before any deck is touched, instead of failing every deck the same way.
"""
import hashlib
import json
import os
import socket
import time
from urllib.parse import urlsplit

from .config import DEFAULT_OLLAMA_URL
from .describe import make_describer
from .errors import DescribeError


def _closed(url, timeout=0.5) -> str | None:
    """Why nothing can answer at url's host and port (a bare TCP connect), or None if something listens.

    Keeps a no-op `doit` with backend auto and no Ollama cheap: no HTTP client is even imported.
    """
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with socket.create_connection((parts.hostname or "localhost", port), timeout=timeout):
            return None
    except ConnectionRefusedError:
        return "connection refused"
    except socket.timeout:
        return "timed out"
    except (OSError, ValueError) as e:
        return e.strerror or type(e).__name__ if isinstance(e, OSError) else "bad URL"


PROBE_TTL_S = 600


def _remembered(cfg, key: tuple, probe) -> tuple:
    """A server's good answer, remembered for PROBE_TTL_S in the state folder.

    A no-op `doit` then costs no HTTP round trip (nor importing an HTTP client); a failed
    probe is never remembered, so a fixed server is seen at once.  If the server goes away
    meanwhile, each deck that needs it fails with its own one-line reason.
    """
    path = os.path.join(cfg.root_dir, cfg.state_dir, "probes.json")
    name = json.dumps(key)
    try:
        with open(path, encoding="utf-8") as f:
            seen = json.load(f)
        ok_at, why = seen[name]
        if 0 <= time.time() - ok_at < PROBE_TTL_S:
            return True, why
    except (OSError, ValueError, KeyError, TypeError):
        seen = {}
    ok, why = probe()
    if ok:
        seen = {k: v for k, v in seen.items() if isinstance(v, list) and time.time() - v[0] < PROBE_TTL_S}
        seen[name] = [time.time(), why]
        from .atomic import atomic_path
        try:
            with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
                json.dump(seen, f)
        except OSError:
            pass                          # remembering is an optimisation only
    return ok, why


def resolve(cfg) -> tuple:
    """-> (backend name, why): which describer this run uses, said once at the start.

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
                              lambda: __import__("actions.describe.ollama", fromlist=["probe"]).probe(
                                  url, d.model, d.timeout_s))     # imports requests only when probing
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
        ok, why = _remembered(cfg, ("openai", d.url, d.model, key),
                              lambda: __import__("actions.describe.openai", fromlist=["probe"]).probe(cfg))
        if not ok:
            raise DescribeError(why)
        return "openai", f"{why}, model {d.model} (describer.backend is openai)"
    return backend, f"describer.backend is {backend}"


def describer_for(cfg, backend):
    return make_describer(cfg, backend)
