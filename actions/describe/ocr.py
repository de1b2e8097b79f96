"""Text in pictures, read offline: the OCR engine, the rule that says a picture *is* text, its alt text.

Many lecture pictures are pictures of text (screenshots of code and terminals, quotes, scanned
paragraphs).  An OCR engine whose models ship inside its wheel reads them without any server:
`pip install 'altdeck[ocr]'` installs RapidOCR (PP-OCRv6 ONNX models, multilingual: Latin script
with every European diacritic, Chinese, Japanese kana) on onnxruntime.  Only the models inside the
wheel are ever used (other model choices would download at first use), so nothing is downloaded.
It is used when it can be imported; `signature()` says which engine and versions, so installing
or upgrading it rebuilds the decks (signature.py, with OCR_RULE_VERSION: bump it when the rule or
the alt text made here changes).  The engine is one class behind `Engine`: another (Tesseract)
would be another subclass.

What the engine found is a `Reading` (lines with boxes and confidence, and where the picture's
content is), stored by image hash in the state folder so a picture is read once.  `text_picture`
applies the rule (README "Pictures of text"): confident lines (>= MIN_CONFIDENCE) covering at least
MIN_COVERAGE of the picture's content (its non-background area) with at least MIN_CHARS characters.
A photo with a street sign or a chart with labels is not a picture of text, and stays for a vision
model or a person: OCR never invents.  `alt_text` transcribes it, in reading order, prefixed by what
it is when that is clear (code, terminal output, a quote), and within the length target: a longer
text is named and begun, the whole transcription goes to the report and the review page.

Nothing here imports Pillow, numpy or the engine until a picture is read; a no-op run imports
only signature.py.
"""
import json
import os
import threading
import time
from dataclasses import dataclass, field

from ..errors import DescribeError
from ..patterns import Pattern
from .signature import installed_ocr_engine, ocr_in_use, ocr_signature

MIN_CONFIDENCE = 0.7       # lines the engine is less sure of are neither counted nor transcribed
MIN_COVERAGE = 0.25        # share of the picture's content covered by confident text
MIN_CHARS = 20             # confident characters (without spaces)
BACKGROUND_DIFF = 40       # a pixel is content when it differs this much from the border colour
MIN_MARKS = 5              # marks on one pixel row a picture needs before the engine is asked (glyphs)
LONGEST_SIDE = 2000        # pictures are read at most this large (full-HD screenshots keep 13 px text) ...
FIRST_LOOK = 1024          # ... but first at this size (10x cheaper on photos), again larger only when
SMALL_TEXT = 16            # ... a line found is less than this many pixels high
MAX_PROMPT_TEXT = 1000     # characters of found text given to a vision model

# Languages the bundled recognition model reads (checked character by character on its dictionary:
# every letter of these alphabets is in it; Cyrillic, Greek with accents, Korean, Arabic, Hebrew,
# Devanagari and Vietnamese are not).
LATIN = ("en de fr es it pt nl sv da no nb nn fi is fo pl cs sk sl hr bs hu ro tr ca gl eu et lv lt "
         "ga cy gd mt sq af id ms sw tl fil lb rm la").split()
READS = frozenset(LATIN + ["zh", "ja"])


class OcrUnavailable(DescribeError):
    """The engine is installed but cannot run; str() says what to do (the deck fails, the next run retries)."""


# ---- what the engine found -------------------------------------------------------------------------

@dataclass
class Line:
    text: str
    quad: list            # 8 numbers: the 4 corners x0 y0 x1 y1 ... in picture pixels
    score: float          # the engine's confidence, 0..1

    @property
    def top(self):
        return min(self.quad[1::2])

    @property
    def bottom(self):
        return max(self.quad[1::2])

    @property
    def left(self):
        return min(self.quad[0::2])


@dataclass
class Reading:
    """What OCR found in one picture; kept by image hash so a picture is read once."""
    size: tuple                  # (width, height) read
    content: tuple | None        # bounding box of the non-background pixels, None: a blank picture
    dark: bool                   # the background is dark (terminals)
    lines: list = field(default_factory=list)
    skipped: bool = False        # no row had MIN_MARKS marks: no glyphs, the engine was not asked

    def confident(self) -> list:
        """Lines the engine is sure of; never one whose box is the whole picture (a photo read as one glyph)."""
        w, h = self.size
        return [x for x in self.lines if x.score >= MIN_CONFIDENCE and x.text.strip()
                and not (x.bottom - x.top >= 0.9 * h and max(x.quad[0::2]) - x.left >= 0.9 * w)]

    def to_json(self) -> str:
        return json.dumps({"size": list(self.size), "content": list(self.content) if self.content else None,
                           "dark": self.dark, "skipped": self.skipped,
                           "lines": [[x.text, [round(v) for v in x.quad], round(x.score, 4)] for x in self.lines]},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Reading":
        d = json.loads(text)
        return cls(tuple(d["size"]), tuple(d["content"]) if d["content"] else None, d["dark"],
                   [Line(t, q, s) for t, q, s in d["lines"]], d.get("skipped", False))

    def found_text(self) -> str:
        """Confident text in reading order, one line per row (what a vision model is told)."""
        return "\n".join(reading_order(self.confident()))


# ---- the engine ------------------------------------------------------------------------------------

class Engine:
    """An OCR engine: text lines with corner points and confidence, from an RGB Pillow image.

    Its name, the modules it needs and the distributions whose versions change what it reads are
    in signature.OCR_ENGINES (the no-op run's settings name the engine without importing this).
    """
    name = "?"

    def lines(self, image) -> list:
        raise NotImplementedError

    def heights(self, image) -> list:
        """Heights in pixels of the text lines found (detection only: cheaper than reading them)."""
        return [x.bottom - x.top for x in self.lines(image)]

    @classmethod
    def reads(cls, language: str) -> bool:
        return base_language(language) in READS


class RapidOcr(Engine):
    """RapidOCR 3 on onnxruntime with the models inside its wheel (research: CER 0.6 %, umlauts 100 %)."""
    name = "rapidocr"
    # Never other model choices (lang_type, model_type, ocr_version, engine_type): those download.
    PARAMS = {
        "Global.log_level": "error",       # no coloured INFO lines on the deck's stderr
        "Global.use_cls": False,           # the 180-degree classifier flips some long lines into garbage
        "Det.limit_type": "max",           # never upscale small crops (3-8x slower, 1 GB)
        "Det.limit_side_len": LONGEST_SIDE,
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,   # decks build in parallel processes
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }

    def __init__(self):
        # onnxruntime's telemetry would write a device id and an event store under ~/.cache/Microsoft
        # (and queue events for upload) unless this is set before it is imported
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        from rapidocr import RapidOCR
        self._ocr = RapidOCR(params=dict(self.PARAMS))

    def lines(self, image) -> list:
        out = self._ocr(image, use_det=True, use_cls=False, use_rec=True)    # flags persist between calls: always say
        if out.boxes is None or getattr(out, "txts", None) is None:
            return []
        return [Line(str(t), [float(v) for point in box for v in point], float(s))
                for box, t, s in zip(out.boxes.tolist(), out.txts, out.scores)]

    def heights(self, image) -> list:
        out = self._ocr(image, use_det=True, use_cls=False, use_rec=False)
        return [] if out.boxes is None else [float(b[:, 1].max() - b[:, 1].min()) for b in out.boxes]


ENGINES = (RapidOcr,)         # in order of preference; the first installed one is used


def installed_engine():
    """The engine class altdeck uses here, or None (pip install 'altdeck[ocr]')."""
    name = installed_ocr_engine()
    return next((e for e in ENGINES if e.name == name), None)


signature, in_use = ocr_signature, ocr_in_use     # (defined with every version a no-op run compares)


NOT_INSTALLED = "no OCR engine installed (pip install 'altdeck[ocr]' reads pictures of text offline)"
SWITCHED_OFF = "OCR is off (describer.ocr: false)"

_ENGINE, _ENGINE_LOCK = {}, threading.Lock()


def _engine():
    """The process's one engine (building it loads and checks the models: once per process)."""
    with _ENGINE_LOCK:
        if "engine" not in _ENGINE:
            cls = installed_engine()
            try:
                _ENGINE["engine"] = cls()
            except Exception as e:  # noqa: BLE001 - an install broken in any way: one line, the deck fails
                raise OcrUnavailable(f"the OCR engine {cls.name} is installed but cannot start "
                                     f"({type(e).__name__}: {str(e)[:200]}); reinstall it with "
                                     "pip install --force-reinstall 'altdeck[ocr]', or uninstall it") from None
        return _ENGINE["engine"]


def base_language(code: str) -> str:
    return (code or "en").strip().replace("_", "-").split("-")[0].lower() or "en"


# ---- reading a picture -------------------------------------------------------------------------------

def _read_lines(engine, image) -> list:
    """Lines in full-image pixels: a large picture is first searched for text at FIRST_LOOK (photos end
    there, 10x cheaper than at full size) and read at full size only when the text is small there."""
    scale = FIRST_LOOK / max(image.size)
    if scale >= 1:
        return engine.lines(image)
    from PIL import Image
    small = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)
    heights = engine.heights(small)
    if not heights:
        return []
    if min(heights) < SMALL_TEXT:
        return engine.lines(image)
    lines = engine.lines(small)
    for x in lines:
        x.quad = [v / scale for v in x.quad]
    return lines


def look(image) -> Reading:
    """Where the picture's content is, and whether any pixel row crosses enough marks to hold glyphs.

    Cheap (Pillow only): flat pictures (colour swatches, simple shapes) never start the engine.
    """
    from PIL import Image, ImageChops
    w, h = image.size
    step = max(1, min(w, h) // 64)
    border = ([image.getpixel((x, 0)) for x in range(0, w, step)] + [image.getpixel((x, h - 1)) for x in range(0, w, step)]
              + [image.getpixel((0, y)) for y in range(0, h, step)] + [image.getpixel((w - 1, y)) for y in range(0, h, step)])
    bg = max(set(border), key=border.count)
    diff = ImageChops.difference(image, Image.new("RGB", image.size, bg)).convert("L")
    mask = diff.point(lambda v: 255 if v > BACKGROUND_DIFF else 0)
    content = mask.getbbox()
    dark = (bg[0] * 299 + bg[1] * 587 + bg[2] * 114) / 1000 < 100
    marks = 0
    if content:
        x0, y0, x1, y1 = content
        data, row = mask.crop(content).tobytes(), x1 - x0
        for y in range(0, y1 - y0, 2):
            line = data[y * row:(y + 1) * row]
            marks = max(marks, line.count(b"\x00\xff") + (line[:1] == b"\xff"))
            if marks >= MIN_MARKS:
                break
    return Reading((w, h), content, dark, [], skipped=marks < MIN_MARKS)


class TextReader:
    """OCR for one deck's build: readings by image hash (from the store, or made now), one picture at a time.

    `cached` holds the store's readings of this engine; `fresh` the ones made here, for the store.
    Thread-safe: a vision describer reads on its worker threads while requests are in flight.
    """

    def __init__(self, language: str, enabled: bool = True, cached: dict | None = None):
        self.engine_cls = installed_engine() if enabled else None
        self.language = language
        self.cached = dict(cached or {})
        self.fresh = {}
        self.reads, self.read_seconds = 0, 0.0      # pictures read here (not from the store), and their cost
        self._lock = threading.Lock()
        self.why_not = (SWITCHED_OFF if not enabled else NOT_INSTALLED if self.engine_cls is None else
                        "" if self.engine_cls.reads(language) else
                        f"the installed OCR model does not read {language} text")

    @property
    def works(self) -> bool:
        return not self.why_not

    def read(self, key: str, load, content_type: str = "", image=None) -> Reading:
        """The picture's reading; raises images.ImageError (a reason) when it cannot be decoded,
        OcrUnavailable when the engine cannot start.  `load()` gives its bytes; `image`, when
        given, is it already prepared (at most LONGEST_SIDE), so a metafile is rasterized once."""
        with self._lock:
            if key in self.cached:
                return Reading.from_json(self.cached[key])
            started = time.monotonic()
            try:
                if image is None:
                    from .images import prepared_image
                    image = prepared_image(load(), content_type, longest_side=LONGEST_SIDE)
                reading = look(image)
                if not reading.skipped:
                    reading.lines = _read_lines(_engine(), image)
            finally:
                self.reads += 1
                self.read_seconds += time.monotonic() - started
            self.cached[key] = self.fresh[key] = reading.to_json()
            return reading

    def attempt(self, key: str, load, content_type: str = "", image=None) -> tuple:
        """-> (Reading, "") or (None, why there is none): OCR off or unable here, or the picture unreadable."""
        if not self.works:
            return None, self.why_not
        from .images import ImageError
        try:
            return self.read(key, load, content_type, image), ""
        except ImageError as e:
            return None, str(e)
        except OcrUnavailable:
            raise
        except Exception as e:  # noqa: BLE001 - the engine failing on one picture leaves that picture pending
            return None, f"OCR failed on this picture ({type(e).__name__}: {str(e)[:120]})"

    def take_fresh(self) -> dict:
        """Readings made since the last call, {image hash: JSON} for the store."""
        with self._lock:
            fresh, self.fresh = self.fresh, {}
            return fresh


# ---- the rule: is this a picture of text? ----------------------------------------------------------

@dataclass
class TextPicture:
    kind: str                 # code | terminal | quote | text
    lines: list               # transcribed lines, in reading order
    coverage: float

    @property
    def transcription(self) -> str:
        return "\n".join(self.lines)


def reading_order(lines: list) -> list:
    """Rows top-down (boxes whose vertical centres are within half a line height), boxes left to right."""
    rows = []
    for x in sorted(lines, key=lambda x: (x.top + x.bottom) / 2):
        centre, height = (x.top + x.bottom) / 2, x.bottom - x.top
        if rows and abs(centre - rows[-1]["centre"]) < 0.5 * max(height, rows[-1]["height"]):
            rows[-1]["items"].append(x)
        else:
            rows.append({"centre": centre, "height": height, "items": [x]})
    return [" ".join(" ".join(i.text.split()) for i in sorted(r["items"], key=lambda i: i.left)) for r in rows]


def coverage(reading: Reading, lines: list) -> float:
    """Share of the content box covered by the union of the lines' boxes."""
    if not reading.content:
        return 0.0
    from PIL import Image, ImageDraw
    x0, y0, x1, y1 = reading.content
    mask = Image.new("1", (x1 - x0, y1 - y0), 0)
    draw = ImageDraw.Draw(mask)
    for x in lines:
        draw.polygon([(x.quad[i] - x0, x.quad[i + 1] - y0) for i in range(0, 8, 2)], fill=1)
    return mask.convert("L").histogram()[255] / max(1, (x1 - x0) * (y1 - y0))


def text_picture(reading: Reading) -> tuple:
    """-> (TextPicture, "") when the picture is a picture of text, else (None, why not)."""
    lines = reading.confident()
    chars = sum(len("".join(x.text.split())) for x in lines)
    if not lines:
        return None, "no text found in it by OCR"
    share = coverage(reading, lines)
    if share < MIN_COVERAGE or chars < MIN_CHARS:
        return None, (f"not a picture of text (OCR found {chars} characters on {share:.0%} of it; "
                      f"a picture of text has {MIN_CHARS} on {MIN_COVERAGE:.0%})")
    rows = [r for r in (" ".join(_DOTS.sub(" ", row).split()) for row in reading_order(lines)) if r]
    return TextPicture(kind_of_text(rows, reading.dark), rows, share), ""


_DOTS = Pattern(r"(?:^|(?<=\s))[●•◦○◉⬤]+(?=\s|$)")     # a window's traffic lights, not text


_PROMPT = Pattern(r"^(?:\$|❯|>>>|PS [A-Z]:\\[^>]*>|[A-Za-z]:\\[^>]*>|[\w.-]+@[\w.-]+(?::[^\s$#]*)?\s?[$#%])\s*\S")
_TRACEBACK = Pattern(r"^Traceback \(most recent call last\)|^\s*File \".*\", line \d+")
_WINDOW = Pattern(r"\b(?:Terminal|bash|zsh|PowerShell|Command Prompt|cmd\.exe|xterm|iTerm2?|Konsole)\b")
_KEYWORD = Pattern(
    r"^\s*(?:def|class|import|from|return|if|elif|else|for|while|try|except|finally|with|async|await|public|"
    r"private|protected|static|void|int|char|float|double|bool|boolean|string|String|var|let|const|function|fn|"
    r"func|package|using|namespace|#include|#define|SELECT|INSERT|UPDATE|DELETE|CREATE|print|printf|console\.|"
    r"System\.|lambda|struct|enum|interface|template|typedef|switch|case|break|continue|throw|assert|raise|yield|"
    r"begin|end|loop|match|impl|pub|mod|val|fun|library|require|module|export)\b")
_SYMBOLS = Pattern(r"[{}\[\]();=<>]|=>|->|==|!=|:=|&&|\|\||\+\+|//|/\*|\*\*")
_CODE_END = Pattern(r"[{};:,)(\[]\s*$|^\s*[})\]]")
_QUOTE_OPEN = "\"“„«‚‘'»"
_ATTRIBUTION = Pattern(r"^\s*[—–-]{1,2}\s*\w")


def kind_of_text(rows: list, dark: bool) -> str:
    """code, terminal or quote when that is clear; else text."""
    prompts = sum(bool(_PROMPT.match(r)) for r in rows)
    if any(_TRACEBACK.match(r) for r in rows) or prompts >= 2 or (prompts and dark) or \
            any(_WINDOW.search(r) for r in rows[:2]):        # a terminal window's title bar
        return "terminal"
    code_rows = sum(bool(_KEYWORD.match(r) or (_SYMBOLS.search(r) and _CODE_END.search(r))) for r in rows)
    symbols = sum(len(_SYMBOLS.findall(r)) for r in rows)
    words = sum(len(r.split()) for r in rows)
    if code_rows >= max(1, len(rows) / 2) or (rows and symbols >= max(3, words / 4)):
        return "code"
    if len(rows) <= 8 and (rows[0][:1] in _QUOTE_OPEN or (len(rows) >= 2 and _ATTRIBUTION.match(rows[-1])
                                                          and rows[-2].rstrip()[-1:] in _QUOTE_OPEN + ".!?")):
        return "quote"
    return "text"


# ---- its alt text ------------------------------------------------------------------------------------

LABELS = {   # what it is, in the deck's language (others: English)
    "en": {"code": "Code", "terminal": "Terminal output", "quote": "Quote", "text": "Text", "lines": "{n} lines"},
    "de": {"code": "Code", "terminal": "Terminalausgabe", "quote": "Zitat", "text": "Text", "lines": "{n} Zeilen"},
    "fr": {"code": "Code", "terminal": "Sortie du terminal", "quote": "Citation", "text": "Texte",
           "lines": "{n} lignes"},
    "es": {"code": "Código", "terminal": "Salida de terminal", "quote": "Cita", "text": "Texto",
           "lines": "{n} líneas"},
}


def running_text(tp: TextPicture) -> str:
    """The transcription as one line: rows joined by spaces, a line-end hyphen joined to the next word."""
    out = ""
    for row in tp.lines:
        if out.endswith("-") and tp.kind in ("text", "quote") and row[:1].islower() and out[-2:-1].isalpha():
            out += row
        else:
            out = f"{out} {row}" if out else row
    return out


def alt_text(tp: TextPicture, language: str, max_chars: int) -> str:
    """What it is and its text; when too long, what it is, how long, and the beginning of the text."""
    labels = LABELS.get(base_language(language), LABELS["en"])
    text = running_text(tp)
    short = text if tp.kind == "text" else f"{labels[tp.kind]}: {text}"
    if len(short) <= max_chars:
        return short
    head = f"{labels[tp.kind]}, {labels['lines'].format(n=len(tp.lines))}: " if len(tp.lines) > 1 else \
        f"{labels[tp.kind]}: "
    room = max_chars - len(head) - 2
    cut = text[:room + 1]
    cut = cut[:room].rsplit(" ", 1)[0] if " " in cut[:room] and cut[room:room + 1] not in ("", " ") else cut[:room]
    return f"{head}{cut.rstrip(' ,;:-')} …"


def for_prompt(reading: Reading) -> str:
    """Confident text for a vision model's prompt, bounded."""
    text = reading.found_text()
    return text if len(text) <= MAX_PROMPT_TEXT else text[:MAX_PROMPT_TEXT].rsplit(" ", 1)[0] + " …"
