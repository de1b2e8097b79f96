"""The one prompt altdeck sends to vision models, versioned.

Its version, signature.PROMPT_VERSION, is part of every vision describer's
signature (and so of the tasks' up-to-date check): changing the wording below
must bump it, so decks are described again with the new prompt.
"""
from ..vocab import RENDERED_AS, Kind

# Context is bounded: a slide with pages of notes must not drown the instruction.
MAX_TITLE = 200
MAX_SLIDE_TEXT = 600
MAX_NOTES = 600
# (the OCR text is bounded by ocr.MAX_PROMPT_TEXT)

LANGUAGES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
    "nl": "Dutch", "sv": "Swedish", "da": "Danish", "no": "Norwegian", "nb": "Norwegian", "fi": "Finnish",
    "pl": "Polish", "cs": "Czech", "sk": "Slovak", "hu": "Hungarian", "ro": "Romanian", "el": "Greek",
    "tr": "Turkish", "ru": "Russian", "uk": "Ukrainian", "ar": "Arabic", "he": "Hebrew", "hi": "Hindi",
    "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "vi": "Vietnamese", "id": "Indonesian", "ca": "Catalan",
}

SYSTEM = (
    "You write alt text for pictures in presentation slides, for people who use screen readers. "
    "Say what the picture contributes to the slide: the information or idea it conveys, not its pixels. "
    "Transcribe any text in the picture that is essential to understanding it. "
    "Do not start with \"Image of\", \"Picture of\", \"This image shows\" or similar; do not mention that it is an image "
    "unless the medium matters (photo, drawing, screenshot, diagram). "
    "Answer with the alt text only: one or two plain sentences, no quotes, no markdown, no preamble."
)


# What to say about an object sent as a crop of its rendered slide (it has no picture of its own).
RENDERED_HINTS = {
    Kind.INK: "Transcribe the handwriting if it is legible, and say what the marks point at or emphasise on the slide.",
    Kind.DIAGRAM: "Say what the diagram shows: its parts and how they connect, in reading order.",
    Kind.TABLE: "Its cells carry no text: say what the pattern of colours shows.",
    Kind.SMARTART: "Say what the graphic shows: its parts and how they relate.",
    Kind.OLE: "Say what the embedded content shows, not the software it came from.",
}


def language_name(code: str) -> str:
    code = (code or "en").strip()
    base = code.split("-")[0].split("_")[0].lower()
    name = LANGUAGES.get(base)
    return f"{name} ({code})" if name else code


def _bounded(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def user_prompt(subject) -> str:
    """The request for one picture, with its slide's context."""
    lines = []
    if subject.slide_title.strip():
        lines.append(f"Slide title: {_bounded(subject.slide_title, MAX_TITLE)}")
    if subject.slide_text.strip():
        lines.append(f"Other text on the slide: {_bounded(subject.slide_text, MAX_SLIDE_TEXT)}")
    if subject.notes.strip():
        lines.append(f"Speaker notes: {_bounded(subject.notes, MAX_NOTES)}")
    context = "\n".join(lines) if lines else "The slide has no other text."
    what = "picture"
    if subject.rendered:
        what = RENDERED_AS.get(subject.kind, "object")
        hint = RENDERED_HINTS.get(subject.kind, "")
        article = "an" if what[0] in "aeiou" else "a"
        context += (f"\n\nThe picture is cut out of the rendered slide and shows {article} {what}; nearby slide "
                    f"content may show at its edges. {hint}").rstrip()
    if subject.found_text.strip():
        context += (f"\n\nText found in the picture (read by OCR, line by line; quote it exactly where it matters):\n"
                    f"{subject.found_text.strip()}")
    return (f"{context}\n\n"
            f"Write alt text for this {what} in {language_name(subject.language)}, "
            f"at most {subject.max_chars} characters, one or two sentences.")


def messages(subject) -> tuple:
    """-> (system text, user text) for one subject."""
    return SYSTEM, user_prompt(subject)


def retry_prompt(user: str, answer: str, problem: str) -> str:
    """The request again, after an answer that broke an alt-text rule (sent only then: no version bump)."""
    return (f"{user}\n\nYour previous answer was: {_bounded(answer, MAX_TITLE)}\n"
            f"That answer {problem}, which is not alt text. Describe what the picture shows or conveys instead.")
