"""The words altdeck's records are made of, named once.

Reports, alt-text.yaml, the check and the review page all speak of object
kinds, decisions and text sources; these are their only spellings.  They
are str enums, so they read and compare as the plain strings the JSON
reports and YAML files hold.
"""
from dataclasses import dataclass
from enum import StrEnum


KEEP, REPLACE_PLACEHOLDER, REPLACE_ALL = "keep", "replace_placeholder", "replace_all"
POLICIES = (KEEP, REPLACE_PLACEHOLDER, REPLACE_ALL)     # existing_alt: what to do with a deck's own alt text


class Kind(StrEnum):
    """What an object on a slide is."""
    PICTURE = "picture"
    CHART = "chart"
    SMARTART = "smartart"
    TABLE = "table"
    OLE = "ole"
    VIDEO = "video"
    AUDIO = "audio"
    BACKGROUND = "background"
    DIAGRAM = "diagram"          # a group drawn with shapes and connectors (scan.py says which groups)
    INK = "ink"                  # handwritten strokes: one group of them, or one ungrouped stroke


STRUCTURAL = (Kind.CHART, Kind.SMARTART, Kind.TABLE)     # described from their data, not their pixels

# What an object is, in the words the vision prompt and the pending reasons use for an object
# described from a render of its slide (it has no picture of its own a model could read).
RENDERED_AS = {
    Kind.INK: "handwritten annotation",
    Kind.DIAGRAM: "diagram drawn with shapes",
    Kind.OLE: "embedded object",
    Kind.TABLE: "table shown as colours",
    Kind.SMARTART: "SmartArt graphic without text",
    Kind.PICTURE: "picture",
    Kind.CHART: "chart",
}


class Decision(StrEnum):
    """What a build decided for an object's alt text."""
    KEPT = "kept"                # the deck's own good text stays
    DESCRIBED = "described"      # altdeck wrote text
    PENDING = "pending"          # nothing could honestly describe it (the reason says why)
    DECORATIVE = "decorative"    # screen readers skip it


class Source(StrEnum):
    """Who wrote a text (a model's text has its own source, e.g. `ollama:llava`)."""
    EXISTING = "existing"        # the deck's own alt text
    OFFLINE = "offline"          # the embedded describer (charts, SmartArt, tables)
    OCR = "ocr"                  # a picture of text, transcribed offline (machine text: reviewable)
    AUTO = "auto"                # altdeck decided it is decorative, with the reason (machine-level)
    HUMAN = "human"              # a person, in alt-text.yaml or with `altdeck alt`


MACHINE_FREE = (Source.EXISTING, Source.HUMAN, Source.OFFLINE, "")   # texts --strict asks nobody to review


class Status(StrEnum):
    """How an object stands for review (the review page and `check --strict`)."""
    PENDING = "pending"
    UNREVIEWED = "unreviewed"
    REVIEWED = "reviewed"
    HUMAN = "human"
    KEPT = "kept"
    OFFLINE = "offline"
    DECORATIVE = "decorative"
    STALE = "stale"


@dataclass(frozen=True)
class Key:
    """What makes two objects the same object, for describing each distinct one once.

    A picture's key is the sha256 of its image bytes; every other object's is a digest of its
    content (ooxml/keys.py): stable across runs and decks, new when the object changes.  Both
    are the alt-text store's keys.
    """
    kind: str          # image, or an object kind (chart, table, diagram, ...)
    value: str

    @classmethod
    def image(cls, sha256: str) -> "Key":
        return cls("image", sha256)

    @property
    def is_image(self) -> bool:
        return self.kind == "image"

    @property
    def in_store(self) -> bool:
        """Whether alt-text.yaml can hold this object's text: every object has a content key."""
        return bool(self.value)

    @property
    def store_id(self) -> str:
        """The key in alt-text.yaml and in reports: a picture's sha256, else `<kind>-<digest>`."""
        return self.value if self.is_image else f"{self.kind}-{self.value}"

    def __str__(self):
        return f"{self.kind}:{self.value}"


def short_key(store_id: str) -> str:
    """What `altdeck check` and the review page print of a key: enough of it for `altdeck alt --key`."""
    kind, dash, digest = store_id.rpartition("-")
    return f"{kind}-{digest[:12]}" if dash else store_id[:12]


class Severity(StrEnum):
    """How bad a finding of the accessibility check is (PowerPoint's Accessibility Checker's classes)."""
    ERROR = "error"              # fails `altdeck check`
    WARNING = "warning"          # fails `altdeck check --strict`
    TIP = "tip"                  # shown, never fails


class Rule(StrEnum):
    """The accessibility check's rule ids: users write them in config (`check.rules`) and waivers."""
    ALT_MISSING = "alt-missing"
    TITLE_MISSING = "title-missing"
    TITLE_DUPLICATE = "title-duplicate"
    TABLE_HEADER = "table-header"
    TABLE_MERGED = "table-merged"
    READING_ORDER = "reading-order"
    LINK_TEXT = "link-text"
    CONTRAST = "contrast"
    SECTION_NAME = "section-name"
    LANG_MISSING = "lang-missing"
    ALT_LONG = "alt-long"
    ALT_FILENAME = "alt-filename"
    ALT_IMAGE_OF = "alt-image-of"
    ALT_REDUNDANT = "alt-redundant"


# Each rule's severity unless `check.rules` says otherwise (a duplicate section name is always a tip).
RULE_SEVERITY = {
    Rule.ALT_MISSING: Severity.ERROR, Rule.TITLE_MISSING: Severity.ERROR, Rule.TITLE_DUPLICATE: Severity.TIP,
    Rule.TABLE_HEADER: Severity.ERROR, Rule.TABLE_MERGED: Severity.WARNING, Rule.READING_ORDER: Severity.WARNING,
    Rule.LINK_TEXT: Severity.WARNING, Rule.CONTRAST: Severity.WARNING, Rule.SECTION_NAME: Severity.ERROR,
    Rule.LANG_MISSING: Severity.TIP, Rule.ALT_LONG: Severity.WARNING, Rule.ALT_FILENAME: Severity.WARNING,
    Rule.ALT_IMAGE_OF: Severity.WARNING, Rule.ALT_REDUNDANT: Severity.WARNING,
}
OFF = "off"                      # `check.rules: {<rule>: off}` turns a rule off
