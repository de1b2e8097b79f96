"""OpenAI-compatible servers (vLLM, llama.cpp, LM Studio, LiteLLM, OpenAI, Azure):
POST {base}/chat/completions with data: image URLs.

The API key comes from the environment variable named by
describer.api_key_env — never from config.yaml — and travels only in the
Authorization header, never in a message or log.
"""
import os

import requests

from ..errors import DescribeError
from .http import TooSlow, reason, within
from .vision import VisionDescriber

EXPECTED = "JSON with choices[0].message.content (OpenAI chat completions)"


def auth_headers(cfg) -> dict:
    key = os.environ.get(cfg.describer.api_key_env, "") if cfg.describer.api_key_env else ""
    return {"Authorization": f"Bearer {key}"} if key else {}


class OpenAI(VisionDescriber):
    backend = "openai"

    def ask(self, system, user, png_b64, max_tokens, key=""):
        data = self.client.post_json("/chat/completions", {
            "model": self.model, "temperature": 0.2, "max_tokens": max_tokens,
            "messages": [{"role": "system", "content": system},
                         {"role": "user", "content": [
                             {"type": "text", "text": user},
                             {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png_b64}"}}]}],
        }, EXPECTED, key)
        try:
            choice = data["choices"][0]
            content = choice["message"].get("content")
        except (KeyError, IndexError, TypeError, AttributeError):
            raise DescribeError(f"{self.url}/chat/completions: HTTP 200 without choices[0].message "
                                f"(keys: {', '.join(sorted(data)) or 'none'}), expected {EXPECTED}") from None
        if choice.get("finish_reason") == "content_filter":
            return ""                                  # a refusal: pending, not text
        if content is not None and not isinstance(content, str):
            raise DescribeError(f"{self.url}/chat/completions: message.content is "
                                f"{type(content).__name__}, expected {EXPECTED}")
        return content or ""


def probe(cfg) -> tuple:
    """-> (ok, why): does an OpenAI-compatible server answer at describer.url?  Never raises."""
    url, t = cfg.describer.url.rstrip("/"), cfg.describer.timeout_s
    try:
        r = within(t, lambda: requests.get(url + "/models", headers=auth_headers(cfg), timeout=(min(t, 5.0), t)))
    except requests.RequestException as e:
        return False, f"no server answers at {url} ({reason(e)})"
    except TooSlow:
        return False, f"{url}/models sent no complete answer within describer.timeout_s={t:g}s"
    if r.status_code in (401, 403):
        env = cfg.describer.api_key_env
        have = "is set" if os.environ.get(env) else "is not set"
        return False, f"{url}/models: HTTP {r.status_code}, the server wants an API key (${env} {have})"
    return True, f"server at {url} answers (HTTP {r.status_code} for /models)"
