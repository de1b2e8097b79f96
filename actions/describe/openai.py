"""OpenAI-compatible servers (vLLM, llama.cpp, LM Studio, LiteLLM, OpenAI, Azure):
POST {base}/chat/completions with data: image URLs.

The API key is read and sent by describe.server (the Authorization header only).
"""
from ..errors import DescribeError
from .vision import VisionDescriber

EXPECTED = "JSON with choices[0].message.content (OpenAI chat completions)"


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
