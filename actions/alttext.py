"""Judge alt text: good (keep), placeholder (treat as missing), or missing.

Placeholders are what tools write when nobody wrote alt text: file names,
shape names, single generic words, and PowerPoint's automatic captions; and
what a model answers when it describes nothing ("yes", "The image shows").
The one rule for a deck's existing text and a model's answer alike.
"""
import re

from .patterns import Pattern
from .vocab import KEEP, REPLACE_ALL

# PowerPoint's automatic captions (after a blank line), in the languages seen in the wild.
_AUTO_CAPTIONS = [
    r"description automatically generated",
    r"description generated with (very )?(high|medium|low) confidence",
    r"ai-generated content may be incorrect",
    r"automatisch generierte beschreibung",
    r"ki-generierte inhalte k(ö|o)nnen fehlerhaft sein",
    r"description g(é|e)n(é|e)r(é|e)e automatiquement",
    r"le contenu g(é|e)n(é|e)r(é|e) par l.ia peut (ê|e)tre incorrect",
    r"descripci(ó|o)n generada autom(á|a)ticamente",
    r"el contenido generado por ia puede ser incorrecto",
    r"descrizione generata automaticamente",
    r"beschrijving automatisch gegenereerd",
    r"descri(ç|c)(ã|a)o gerada automaticamente",
]
_AUTO_CAPTION = Pattern("|".join(_AUTO_CAPTIONS), re.I)
# Every caption above holds one of these words: the search runs only on a text that holds one too
# (every stored text is judged on each no-op run; tests/test_policy_and_xml.py keeps the two lists true).
CAPTION_WORDS = ("autom", "confidence", "incorrect", "fehlerhaft")
_FILE_NAME = Pattern(r"^[^\n]{0,200}\.(png|jpe?g|jfif|gif|bmp|tiff?|emf|wmf|svg|webp|heic|ico|wdp)$", re.I)
_CAMERA_NAME = Pattern(r"^(img|dsc|dscn|dcim|pxl|mvimg|photo|screenshot|screen shot|bildschirmfoto|"
                          r"capture d.(é|e)cran|snip|clipboard)[\s_\-]*[\d(]", re.I)
_SHAPE_NAME = Pattern(r"^(picture|image|graphic|graphics|chart|table|group|content placeholder|"
                         r"rectangle|textbox|text box|diagram|object|video|audio|media|grafik|bild|"
                         r"imagen|immagine|figure|photo|slide|placeholder|ole object|smartart)\s*\d*$", re.I)
_GENERIC = {
    "image", "images", "photo", "photograph", "picture", "pic", "img", "logo", "icon", "chart", "graph",
    "graphic", "diagram", "figure", "fig", "table", "screenshot", "placeholder", "untitled", "alt",
    "alt text", "alttext", "description", "none", "null", "n/a", "na", "todo", "tbd", "xxx", "test",
    "bild", "grafik", "imagen", "immagine", "foto", "video", "audio", "media", "smartart", "object",
}
_URL_OR_PATH = Pattern(r"^(https?://|ftp://|file:|www\.)\S*$|^[a-z]:\\\S*$|^\S*[/\\]\S*$", re.I)
_NON_ANSWERS = {"yes", "no", "ok", "okay", "sure", "true", "false", "unknown", "done", "nothing", "n/a."}
_OPENER_ONLY = Pattern(r"^(?:(?:this|the|an?) )?(?:image|picture|photo(?:graph)?|illustration|graphic|figure|"
                          r"screenshot|slide)(?: (?:shows|depicts|displays|features|illustrates|contains|presents|is|"
                          r"of|showing|depicting))?[.:!…]*$", re.I)
_GUID = Pattern(r"^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$", re.I)


def placeholder_reason(text: str, shape_name: str = "") -> str | None:
    """Why `text` is not a real description, or None when it is one."""
    t = " ".join(text.split())
    if not t:
        return "empty"
    folded = t.casefold()
    if any(word in folded for word in CAPTION_WORDS) and _AUTO_CAPTION.search(t):
        return "PowerPoint's automatic caption"
    if shape_name and folded == " ".join(shape_name.split()).casefold():
        return "the shape's name"
    if _FILE_NAME.match(t) or _CAMERA_NAME.match(t):
        return "a file name"
    if _SHAPE_NAME.match(t):
        return "a default shape name"
    if folded.strip(".:") in _GENERIC:
        return "a single generic word"
    if folded.strip(".:!") in _NON_ANSWERS:
        return "not a description"
    if _OPENER_ONLY.match(t):
        return "the start of a sentence that describes nothing"
    if _GUID.match(t):
        return "an identifier"
    if _URL_OR_PATH.match(t):
        return "a URL or path"
    if not _has_alnum(t, 3):
        return "too short"
    return None


def _has_alnum(text: str, n: int) -> bool:
    """At least n letters or digits (stops at the n-th: every stored text is judged on a no-op run)."""
    for ch in text:
        if ch.isalnum():
            n -= 1
            if not n:
                return True
    return False


def judge(descr: str, title: str, shape_name: str, decorative: bool, policy: str):
    """-> (decision, reason): 'decorative', 'keep' or 'describe'."""
    if decorative:
        return "decorative", "marked decorative"
    if not descr.strip():
        return "describe", ("text only in title, which screen readers skip" if title.strip() else "no alt text")
    if policy == REPLACE_ALL:
        return "describe", "existing_alt is replace_all"
    if policy == KEEP:
        return "keep", "existing alt text (existing_alt: keep)"
    reason = placeholder_reason(descr, shape_name)
    if reason:
        return "describe", f"placeholder alt text ({reason})"
    return "keep", "good existing alt text"


# --- what makes a real description a poor one (the alt-* rules; model text is cleaned or retried first) ---

# Openers that tell a screen-reader user what they already know, in English, German, French and Spanish.
# ("chart of" / "graphique de" / "gráfico de" name a chart type, which is information: not listed.)
IMAGE_OF = Pattern(
    r"^\s*(?:(?:an?|the)\s+)?(?:image|picture|graphic|photo|photograph|illustration)\s+(?:of|showing)\b"
    r"|^\s*(?:(?:ein|eine|das|die)\s+)?(?:bild|foto|grafik|abbildung)\s+(?:von|vom|der|des)\b"
    r"|^\s*(?:(?:une?|la)\s+|l['’]\s*)?(?:image|photo|photographie|illustration)\s+(?:de|d['’]|du|des)\b"
    r"|^\s*(?:(?:una?|la|el)\s+)?(?:imagen|foto|fotograf[íi]a|ilustraci[óo]n)\s+(?:de|del)\b", re.I)
_WORDS = Pattern(r"[^\w]+")
FILE_LIKE = ("a file name", "a URL or path")     # placeholder reasons the alt-filename rule reports


def is_file_name(text: str) -> bool:
    """Alt text that is a file name, URL or path (the placeholder rule's own test, one place)."""
    return placeholder_reason(text) in FILE_LIKE


def _norm(text: str) -> str:
    return " ".join(_WORDS.sub(" ", text.casefold()).split())


def repeats(text: str, title: str, texts=()) -> str | None:
    """What on the slide `text` repeats ("the slide title", "text on the slide"), or None.

    Equal to the title or to a paragraph, or (three words or more) contained in one: a screen reader
    would read it twice.  Containing the slide's text and adding to it is a description, not a repeat.
    """
    n = _norm(text)
    if not n:
        return None
    if title and n == _norm(title):
        return "the slide title"
    for t in texts:
        other = _norm(t)
        if n == other or (n.count(" ") >= 2 and f" {n} " in f" {other} "):
            return "text on the slide"
    return None
