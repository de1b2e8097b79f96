"""Ollama: POST /api/chat with base64 images; GET /api/tags confirms the model once per run."""
import requests

from ..errors import DescribeError
from .http import TooSlow, reason, within
from .vision import VisionDescriber

EXPECTED = "JSON with message.content (Ollama /api/chat)"


class Ollama(VisionDescriber):
    backend = "ollama"

    def ask(self, system, user, png_b64, max_tokens, key=""):
        data = self.client.post_json("/api/chat", {
            "model": self.model, "stream": False,
            "messages": [{"role": "system", "content": system},
                         {"role": "user", "content": user, "images": [png_b64]}],
            "options": {"temperature": 0.2, "num_predict": max_tokens},
        }, EXPECTED, key)
        content = (data.get("message") or {}).get("content") if isinstance(data.get("message"), dict) else None
        if not isinstance(content, str):
            raise DescribeError(f"{self.url}/api/chat: HTTP 200 without message.content "
                                f"(keys: {', '.join(sorted(data)) or 'none'}), expected {EXPECTED}")
        return content


def has_model(names, model: str) -> bool:
    """Ollama names carry a tag: `llava` means `llava:latest`."""
    want = model if ":" in model else f"{model}:latest"
    return model in names or want in names


def probe(url: str, model: str, timeout_s: float) -> tuple:
    """-> (ok, why): is an Ollama at `url` serving `model`?  Never raises."""
    try:
        r = within(timeout_s, lambda: requests.get(url.rstrip("/") + "/api/tags",
                                                   timeout=(min(timeout_s, 5.0), timeout_s)))
    except requests.RequestException as e:
        return False, f"no Ollama answers at {url} ({reason(e)})"
    except TooSlow:
        return False, f"{url}/api/tags sent no complete answer within describer.timeout_s={timeout_s:g}s"
    try:
        names = [m.get("name") or m.get("model") for m in r.json().get("models", [])]
    except (ValueError, AttributeError, TypeError):
        return False, f"{url}/api/tags answered HTTP {r.status_code} without a model list; is this an Ollama server?"
    if not has_model(names, model):
        return False, f"model {model} not found at {url}, run `ollama pull {model}`"
    return True, f"Ollama at {url} has {model}"
