"""What every vision-model describer shares: prepare, ask, clean, in parallel.

A subclass says how to talk to its server (`ask`: prompt + PNG -> raw
answer text); this class prepares the image, builds the prompt, cleans the
answer and runs a deck's pictures on threads: twice as many as the model has
slots, so the next pictures are prepared while the current ones are asked and
the request queue never waits for Pillow.  Results are handed to `on_result`
on the calling thread as each arrives, so the caller can persist them at once.

In a build the requests go through the build's broker (describe.broker), which
shares the slots with every other deck and sends a picture two decks need only
once; alone (one deck built in-process), straight to the server.
"""
import base64
from concurrent.futures import ThreadPoolExecutor, as_completed

from .base import Describer, Result, Subject
from .signature import vision_signature
from .clean import BreaksRule, Unusable, check_rules, clean
from . import ocr
from .prompt import messages, retry_prompt
from .server import endpoint


def direct_client(cfg, backend: str):
    """An HTTP client of the model server with the configured slots (the broker's, or a lone deck's)."""
    from .http import Client, Slots     # requests: not needed for the signature
    url, headers = endpoint(cfg, backend)
    d = cfg.describer
    return Client(url, d.timeout_s, d.retries, Slots(d.max_concurrency), headers)


class VisionDescriber(Describer):
    backend = "?"

    def __init__(self, cfg, broker: str | None = None):
        """`broker`: the address of the build's broker (describe.broker); None: talk to the server directly."""
        d = cfg.describer
        self.cfg = cfg
        self.model, self.max_concurrency = d.model, d.max_concurrency
        self.url = endpoint(cfg, self.backend)[0]
        self.max_chars = cfg.alt_text.max_chars
        self.source = f"{self.backend}:{self.model}"
        self.timeout_s = d.timeout_s
        if broker:
            from .broker import BrokerClient
            self.client = BrokerClient(broker)
        else:
            self.client = direct_client(cfg, self.backend)

    def signature(self) -> dict:
        return vision_signature(self.cfg, self.backend)

    def ask(self, system: str, user: str, png_b64: str, max_tokens: int, key: str = "") -> str | None:
        """The model's raw answer (None: it declined); raises DescribeError when the server fails.

        `key`: the picture's hash, so the broker sends a picture two decks need only once.
        """
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
        answer = self.ask(system, user, b64, tokens, s.image_key())
        try:
            transcription = found.transcription if found else ""
            try:
                return Result(check_rules(clean(answer, s.max_chars), s.slide_title, s.slide_text), self.source,
                              transcription=transcription)
            except BreaksRule as e:            # asked once more, saying what was wrong; without the picture's
                # key, so the broker sends it again rather than hand back the answer just refused
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
        """All of a deck's pictures, 2 x max_concurrency at a time; the first server failure stops the deck.

        recall(subject) first looks for an answer stored meanwhile (by a deck built in parallel); a
        picture another deck is asking right now is sent once by the broker, and both get its answer.
        """
        results = [None] * len(subjects)

        def settle(i, result):
            results[i] = result
            if on_result:
                on_result(i, result)

        todo = []
        for i, s in enumerate(subjects):
            hit = recall(s) if recall and s.has_image else None
            if hit is not None:
                settle(i, hit)
            else:
                todo.append(i)
        if not todo:
            return results
        pool = ThreadPoolExecutor(max_workers=min(2 * self.max_concurrency, len(todo)),
                                  thread_name_prefix="altdeck-model")
        try:
            futures = {pool.submit(self.describe, subjects[i]): i for i in todo}
            for f in as_completed(futures):
                settle(futures[f], f.result())          # DescribeError propagates: the deck fails
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return results

    def close(self):
        self.client.close()
