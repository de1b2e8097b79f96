"""What every vision-model describer shares: prepare, ask, clean, in parallel.

A subclass says how to talk to its server (`ask`: prompt + PNG -> raw
answer text); this class prepares the image, builds the prompt, cleans the
answer and runs a deck's pictures on threads so the run's request pool
(http.Slots) stays busy.  Results are handed to `on_result` on the calling
thread as each arrives, so the caller can persist them at once.
"""
import base64
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from .base import Describer, Result, Subject
from .clean import CLEAN_VERSION, BreaksRule, Unusable, check_rules, clean
from ..config import DEFAULT_OLLAMA_URL
from .images import IMAGES_VERSION
from . import ocr
from .prompt import PROMPT_VERSION, messages, retry_prompt


def vision_signature(cfg, backend: str) -> dict:
    """What changes a vision model's text: not the URL (the same model elsewhere writes the same kind of text).

    A function of the config alone, so the tasks' settings need no HTTP client or Pillow.
    """
    d = cfg.describer
    return {"source": f"{backend}:{d.model}", "backend": backend, "model": d.model,
            "prompt_version": PROMPT_VERSION, "clean_version": CLEAN_VERSION, "images_version": IMAGES_VERSION,
            "max_chars": cfg.alt_text.max_chars, "language": cfg.alt_text.language, "ocr": ocr.in_use(cfg)}


class VisionDescriber(Describer):
    backend = "?"

    def __init__(self, cfg, headers=None):
        d = cfg.describer
        self.cfg = cfg
        self.model, self.max_concurrency = d.model, d.max_concurrency
        self.url = (d.url or DEFAULT_OLLAMA_URL).rstrip("/")
        self.max_chars = cfg.alt_text.max_chars
        self.source = f"{self.backend}:{self.model}"
        self.timeout_s = d.timeout_s
        from .http import Client, claims_for, slots_for     # requests: not needed for the signature
        self.client = Client(self.url, d.timeout_s, d.retries, slots_for(cfg), headers)
        self.claims = claims_for(cfg)

    def signature(self) -> dict:
        return vision_signature(self.cfg, self.backend)

    def ask(self, system: str, user: str, png_b64: str, max_tokens: int) -> str | None:
        """The model's raw answer (None: it declined); raises DescribeError when the server fails."""
        raise NotImplementedError

    def describe(self, s: Subject) -> Result:
        if not s.has_image:
            return Result(None, self.source, f"no image to send to the vision model ({s.kind})")
        from .images import ImageError
        try:
            png, image = self._prepared(s)
        except ImageError as e:
            return Result(None, self.source, str(e))
        reading = s.read_text(image)[0] if s.read_text and image else None   # so transcriptions are exact
        found = ocr.text_picture(reading)[0] if reading else None
        s.found_text = ocr.for_prompt(reading) if reading else ""
        system, user = messages(s)
        b64, tokens = base64.b64encode(png).decode("ascii"), max(64, s.max_chars // 2 + 64)
        answer = self.ask(system, user, b64, tokens)
        try:
            transcription = found.transcription if found else ""
            try:
                return Result(check_rules(clean(answer, s.max_chars), s.slide_title, s.slide_text), self.source,
                              transcription=transcription)
            except BreaksRule as e:            # asked once more, saying what was wrong
                answer = self.ask(system, retry_prompt(user, e.text, e.problem), b64, tokens)
                return Result(check_rules(clean(answer, s.max_chars), s.slide_title, s.slide_text), self.source,
                              transcription=transcription)
        except Unusable as e:
            return Result(None, self.source, str(e))

    def _prepared(self, s: Subject) -> tuple:
        """(The PNG to send, the picture as OCR reads it or None): the object's own image, decoded (a
        metafile rasterized) once for both, else a crop of its rendered slide when the image is a
        metafile or SVG no converter here could draw (a corrupt photo is not worth a render)."""
        from .images import ImageError, kind_of, prepare, prepared_image
        timeout_s = max(self.timeout_s, 30)
        data = s.image_bytes()
        try:
            image = prepared_image(data, s.image_type, timeout_s, ocr.LONGEST_SIDE)
            return prepare(b"", image=image), (None if s.rendered else image)
        except ImageError as e:
            if s.fallback is None or s.rendered or kind_of(data, s.image_type) == "raster":
                raise
            try:
                crop = s.fallback()
            except ImageError as why:
                raise ImageError(f"{e}; its slide could not be rendered either ({why})") from None
            s.rendered = True
            try:
                return prepare(crop, "image/png", timeout_s=timeout_s), None
            except ImageError:
                raise e from None

    def describe_many(self, subjects, on_result=None, recall=None):
        """Up to max_concurrency requests from this deck at once; the first server failure stops the deck.

        Each image is claimed (http.Claims) before it is sent; an image another deck is describing
        right now waits, then `recall` usually finds that deck's result in the store.
        """
        from .http import POLL_S
        results = [None] * len(subjects)
        waiting, running = list(range(len(subjects))), {}
        pool = ThreadPoolExecutor(max_workers=min(self.max_concurrency, max(1, len(subjects))),
                                  thread_name_prefix="altdeck-model")

        def settle(i, result):
            results[i] = result
            if on_result:
                on_result(i, result)

        try:
            while waiting or running:
                for i in list(waiting):
                    if len(running) >= self.max_concurrency:
                        break
                    s = subjects[i]
                    claim = self.claims.try_acquire(s.image_key()) if s.has_image else True
                    if claim is None:
                        continue                          # another describer holds this image now
                    waiting.remove(i)
                    hit = recall(s) if recall and s.has_image else None
                    if hit is not None:
                        self.claims.release(claim)
                        settle(i, hit)
                        continue
                    running[pool.submit(self.describe, s)] = (i, claim)
                if not running:
                    time.sleep(POLL_S)
                    continue
                done, _ = wait(running, timeout=POLL_S if waiting else None, return_when=FIRST_COMPLETED)
                for f in done:
                    i, claim = running.pop(f)
                    try:
                        settle(i, f.result())             # DescribeError propagates: the deck fails
                    finally:
                        if claim is not True:
                            self.claims.release(claim)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            for _, claim in running.values():
                if claim is not True:
                    self.claims.release(claim)
        return results

    def close(self):
        self.client.close()
