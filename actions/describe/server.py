"""Where the model server is, how to authenticate, and whether it serves the model.

Kept light (the standard library's HTTP only): a build probes the server
before its first deck, and must not first wait for an HTTP client's import.
The API key comes from the environment variable named by
describer.api_key_env — never from config.yaml — and travels only in the
Authorization header, never in a message or log.

`describer.timeout_s` bounds a whole request, connect to last byte (`within`):
a socket timeout bounds each read, so a server trickling a byte a second
would never time out.
"""
import json
import os
import threading

from ..config import DEFAULT_OLLAMA_URL


class TooSlow(Exception):
    """No complete answer within the deadline."""


def within(seconds: float, call):
    """call()'s result, or TooSlow when it has not returned within `seconds` (its exception is raised).

    The call runs on a helper thread the caller stops waiting for at the deadline.
    """
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


def reason(e) -> str:
    """A connection error in a few words (an HTTP library's own text is a paragraph)."""
    text = str(e)
    for known in ("Connection refused", "Name or service not known", "timed out", "No route to host",
                  "Connection reset", "Remote end closed connection"):
        if known.lower() in text.lower():
            return known.lower()
    return type(e).__name__


def auth_headers(cfg) -> dict:
    key = os.environ.get(cfg.describer.api_key_env, "") if cfg.describer.api_key_env else ""
    return {"Authorization": f"Bearer {key}"} if key else {}


def endpoint(cfg, backend: str) -> tuple:
    """-> (base URL, HTTP headers) of the configured model server (the API key only in a header)."""
    headers = auth_headers(cfg) if backend == "openai" else {}
    return (cfg.describer.url or DEFAULT_OLLAMA_URL).rstrip("/"), headers


def _get(url: str, headers: dict, timeout_s: float) -> tuple:
    """-> (HTTP status, body) of a GET; raises OSError (no connection) or TooSlow."""
    import urllib.error
    import urllib.request

    def fetch():
        req = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=min(timeout_s, 5.0)) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
    return within(timeout_s, fetch)


def has_model(names, model: str) -> bool:
    """Ollama names carry a tag: `llava` means `llava:latest`."""
    want = model if ":" in model else f"{model}:latest"
    return model in names or want in names


def probe_ollama(url: str, model: str, timeout_s: float) -> tuple:
    """-> (ok, why): is an Ollama at `url` serving `model`?  Never raises."""
    try:
        status, body = _get(url.rstrip("/") + "/api/tags", {}, timeout_s)
    except TooSlow:
        return False, f"{url}/api/tags sent no complete answer within describer.timeout_s={timeout_s:g}s"
    except (OSError, ValueError) as e:
        return False, f"no Ollama answers at {url} ({reason(getattr(e, 'reason', e))})"
    try:
        names = [m.get("name") or m.get("model") for m in json.loads(body).get("models", [])]
    except (ValueError, AttributeError, TypeError):
        return False, f"{url}/api/tags answered HTTP {status} without a model list; is this an Ollama server?"
    if not has_model(names, model):
        return False, f"model {model} not found at {url}, run `ollama pull {model}`"
    return True, f"Ollama at {url} has {model}"


def probe_openai(cfg) -> tuple:
    """-> (ok, why): does an OpenAI-compatible server answer at describer.url?  Never raises."""
    url, t = cfg.describer.url.rstrip("/"), cfg.describer.timeout_s
    try:
        status, _ = _get(url + "/models", auth_headers(cfg), t)
    except TooSlow:
        return False, f"{url}/models sent no complete answer within describer.timeout_s={t:g}s"
    except (OSError, ValueError) as e:
        return False, f"no server answers at {url} ({reason(getattr(e, 'reason', e))})"
    if status in (401, 403):
        env = cfg.describer.api_key_env
        have = "is set" if os.environ.get(env) else "is not set"
        return False, f"{url}/models: HTTP {status}, the server wants an API key (${env} {have})"
    return True, f"server at {url} answers (HTTP {status} for /models)"
