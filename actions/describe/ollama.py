"""Ollama: POST /api/chat with base64 images (describe.server probes GET /api/tags once per build)."""
from ..errors import DescribeError
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
