"""Turning a model's answer into alt text, or refusing it.

Models add chatter ("Sure! Here is the alt text:"), quotes, markdown and
line breaks; alt text is one plain line within the length target.  An empty
answer, a refusal or a placeholder (`IMG_1234.JPG`, `Picture 3`, a URL, "yes":
judged by the rule that judges a deck's existing text) is not alt text: it is
reported as a failure for that object (pending), never written into the deck.
"""
import re
import unicodedata

from ..alttext import IMAGE_OF, placeholder_reason, repeats
from ..errors import one_line
from ..patterns import Pattern
from .text import fit

# Its version is signature.CLEAN_VERSION: bump it when what this lets through changes.


class Unusable(ValueError):
    """The answer is not alt text (empty, a refusal); str() says why."""


class BreaksRule(Unusable):
    """Clean text that breaks an alt-* rule (the slide title again): worth asking once more."""

    def __init__(self, text, problem):
        self.text, self.problem = text, problem
        super().__init__(f"the model's text {fit(text, 60)!r} {problem}")


_CONTROL = Pattern(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_THINK = Pattern(r"<think>.*?</think>", re.S | re.I)
_HEADING = Pattern(r"^\s{0,3}#{1,6}\s.*$", re.M)
_MD = [(Pattern(r"```[a-z]*"), ""), (Pattern(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
       (Pattern(r"\[([^\]]*)\]\([^)]*\)"), r"\1"), (Pattern(r"(\*\*|__|\*|`|~~)"), ""),
       (Pattern(r"^\s{0,3}(#{1,6}\s+|>\s*|[-+•]\s+|\d+[.)]\s+)", re.M), "")]
# A preamble line or clause before the real text: "Sure! Here is the alt text:", "Alt text:".
_PREAMBLE = Pattern(
    r"^\s*(?:(?:sure|certainly|of course|okay|ok|absolutely|here you go)\b[^.:\n]*?[!.,:]\s*)?"
    r"(?:here(?:'s| is| are)\b[^:\n]*:\s*|(?:suggested |concise )?alt(?:ernative)?[ -]?text\s*(?:\([^)]*\))?\s*[:\-–—]\s*"
    r"|description\s*:\s*)", re.I)
_OPENERS = Pattern(
    r"^\s*(?:(?:this|the) (?:image|picture|photo(?:graph)?|illustration|graphic|figure|slide image)\s+"
    r"(?:shows|depicts|displays|features|illustrates|contains|presents|is)\s+"
    r"|(?:an? )?(?:image|picture|photo(?:graph)?) (?:of|showing|depicting)\s+"
    r"|in (?:this|the) (?:image|picture|photo),?\s+(?:we (?:can )?see\s+|there (?:is|are)\s+)?)", re.I)
_TRAILER = Pattern(r"\s*(?:I hope this helps|Let me know if|Feel free to|Is there anything else)\b.*$", re.I | re.S)
_REFUSAL = Pattern(
    r"^\s*(?:I'?m sorry|sorry\b|I apologi[sz]e|I (?:can(?:no|')t|am unable|'m unable|am not able|won'?t)|"
    r"unfortunately,? I|as an ai\b|I do not see an image|there is no image|no image (?:was|is) (?:provided|attached))",
    re.I)
_QUOTES = "\"'“”‘’«»„‚`"


def clean(answer, max_chars: int) -> str:
    """Plain alt text within max_chars from a model's answer; raises Unusable."""
    if not isinstance(answer, str) or not answer.strip():
        raise Unusable("the model gave an empty answer")
    text = _THINK.sub(" ", unicodedata.normalize("NFC", answer))
    if _HEADING.sub("", text).strip():                 # a markdown heading is a title, not the text
        text = _HEADING.sub("", text)
    for pattern, repl in _MD:
        text = pattern.sub(repl, text)
    text = _CONTROL.sub(" ", text)
    text = _TRAILER.sub("", text)
    text = " ".join(text.split())
    for _ in range(3):                       # "Sure! Here is the alt text: "The image shows …""
        before = text
        text = _PREAMBLE.sub("", text).strip().strip(_QUOTES).strip()
        text = _OPENERS.sub("", text).strip().strip(_QUOTES).strip()
        text = IMAGE_OF.sub("", text, count=1).strip().strip(_QUOTES + ":,").strip()    # de/fr/es forms too
        if text == before:
            break
    if not text or not any(ch.isalnum() for ch in text):
        raise Unusable("the model gave no usable text")
    if _REFUSAL.match(text):
        raise Unusable(f"the model declined: {fit(text, 80)!r}")
    placeholder = placeholder_reason(text)
    if placeholder:
        raise Unusable(f"the model answered a placeholder ({placeholder}): {one_line(text, 80)!r}")
    text = text[0].upper() + text[1:]
    return fit(text, max_chars)


def check_rules(text: str, slide_title: str = "", slide_text: str = "") -> str:
    """`text` when it keeps the alt-* rules a model can break; raises BreaksRule saying which it breaks.

    (`clean` keeps the length, removes "image of" and refuses file names, as placeholders.)
    """
    what = repeats(text, slide_title, [slide_text] if slide_text else [])
    if what:
        raise BreaksRule(text, f"repeats {what}")
    return text
