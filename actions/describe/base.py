"""The describer interface: what a describer gets about one object and what it returns.

A describer turns a `Subject` into a `Result`.  A result without text is
*pending*: nothing could honestly describe the object (never filler text).
A describer that fails (a model server down) raises DescribeError; the deck
fails and is retried on the next run.

Charts, SmartArt and tables are described from their data (offline);
pictures go to the vision model when one is configured (with the text OCR
found in them as context), and so do objects with no picture of their own, as
a crop of their rendered slide (`rendered`); without one, pictures of text are
transcribed by OCR (offline.py).
"""
import hashlib
from dataclasses import dataclass, field

from ..vocab import STRUCTURAL


@dataclass
class Subject:
    """One object to describe, with its slide context."""
    kind: str
    flags: list = field(default_factory=list)
    image: bytes | None = None      # the bytes, or None with `load` (read when needed: decks can be big)
    load: object = None             # callable returning the image bytes
    image_sha256: str = ""          # hash of the image bytes
    image_type: str = ""            # content type of the image part
    key: str = ""                   # the object's store key (lookups, one request per key); "" for a picture: its hash
    rendered: bool = False          # the image is a crop of the object's rendered slide
    fallback: object = None         # callable returning such a crop, when the own image cannot be prepared
    chart: object = None            # chart part XML (lxml element)
    diagram: object = None          # SmartArt data part XML
    layout: str = ""                # SmartArt layout id (uniqueId)
    table: list | None = None       # rows of cell texts
    slide_title: str = ""
    slide_text: str = ""
    notes: str = ""
    language: str = "en"
    max_chars: int = 150
    read_text: object = None        # callable(prepared image=None) -> (ocr.Reading | None, why not): OCR of the picture
    found_text: str = ""            # confident OCR text, for a vision model's prompt


    def image_bytes(self) -> bytes | None:
        return self.image if self.image is not None else (self.load() if self.load else None)

    def image_key(self) -> str:
        """What this subject is stored and asked under: its store key, else the image's hash."""
        if self.key:
            return self.key
        if not self.image_sha256 and self.image is not None:
            self.image_sha256 = hashlib.sha256(self.image).hexdigest()
        return self.image_sha256

    @property
    def has_image(self) -> bool:
        return self.image is not None or self.load is not None


@dataclass
class Result:
    text: str | None                # None: pending
    source: str                     # offline, ocr, or the model that wrote the text
    reason: str = ""                # why pending
    transcription: str = ""         # a picture of text's whole text, when OCR read one


class Describer:
    """Base: describe one subject; `signature` names what changes the output."""

    source = "?"

    def describe(self, subject: Subject) -> Result:
        raise NotImplementedError

    def describe_many(self, subjects: list, on_result=None, recall=None) -> list:
        """Results in the order of `subjects`; on_result(i, result) is called as each arrives.

        recall(subject) -> Result | None looks for a result stored meanwhile (by a deck built in
        parallel); describers that coordinate across processes call it before sending a request.
        """
        results = []
        for i, s in enumerate(subjects):
            results.append(self.describe(s))
            if on_result:
                on_result(i, results[-1])
        return results

    def signature(self) -> dict:
        return {"source": self.source}

    def close(self):
        pass


class Chain(Describer):
    """Structural kinds to the offline describer, pictures to the vision describer (if any)."""

    def __init__(self, offline: Describer, vision: Describer | None):
        self.offline, self.vision = offline, vision
        self.source = vision.source if vision else offline.source

    def _route(self, s: Subject):
        if self.vision is None:
            return self.offline
        if s.kind in STRUCTURAL and not s.rendered and (s.chart is not None or s.diagram is not None
                                                        or s.table is not None):
            return self.offline
        return self.vision

    def describe_many(self, subjects, on_result=None, recall=None):
        results = [None] * len(subjects)
        for describer in {id(self._route(s)): self._route(s) for s in subjects}.values():
            idx = [i for i, s in enumerate(subjects) if self._route(s) is describer]
            done = (lambda j, r: on_result(idx[j], r)) if on_result else None
            for i, r in zip(idx, describer.describe_many([subjects[i] for i in idx], done, recall)):
                results[i] = r
        return results

    def describe(self, subject):
        return self.describe_many([subject])[0]

    def signature(self):
        sig = {"offline": self.offline.signature()}
        if self.vision:
            sig["vision"] = self.vision.signature()
        return sig

    def close(self):
        if self.vision:
            self.vision.close()


def make_describer(cfg, backend: str = "offline", broker: str | None = None) -> Describer:
    """The describer for a resolved backend name (see choose.py for `auto`).

    `broker`: the address of the build's model broker (describe.broker), which vision models then use.
    """
    from .ocr import in_use
    from .offline import Offline
    offline = Offline(in_use(cfg))
    if backend == "offline":
        return Chain(offline, None)
    if backend == "ollama":
        from .ollama import Ollama
        return Chain(offline, Ollama(cfg, broker))
    if backend == "openai":
        from .openai import OpenAI
        return Chain(offline, OpenAI(cfg, broker))
    raise ValueError(f"unknown describer backend {backend!r}")
