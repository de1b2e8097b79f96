"""Exceptions that carry the user's one-line message (cf. doit's exceptions.py)."""
import reprlib

MESSAGE_CHARS = 600          # a message quoting a library's error or a value is cut here

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 200
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict = 2, 4, 4


def one_line(text: str, limit: int = MESSAGE_CHARS) -> str:
    """`text` on one line, at most `limit` characters: what a user reads, never a page of a library's output."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def brief(value) -> str:
    """A value for an error message: repr() bounded in length and in the work it takes (an
    alias bomb's nested lists would take minutes and all memory to repr in full)."""
    return _REPR.repr(value)


class AltdeckError(Exception):
    """An error the user can act on; str() is one line naming the file and what to do."""

    def __init__(self, *args):
        super().__init__(*(one_line(a) if isinstance(a, str) else a for a in args))


class ConfigError(AltdeckError):
    """config.yaml is unreadable, has an unknown key or a value of the wrong type."""


class DeckError(AltdeckError):
    """A deck cannot be built: corrupt, encrypted, hostile, not a presentation."""

    def __init__(self, deck, reason):
        self.deck, self.reason = str(deck), one_line(reason)
        super().__init__(f"{deck}: {self.reason}")


class DescribeError(AltdeckError):
    """The describer (a model server) failed; the deck's task fails and is retried next run."""


def printable(text: str) -> str:
    """Text from a deck or a model made safe for one terminal line: control characters (newlines,
    line separators, escape sequences) shown as Python escapes instead of acting on the terminal."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text))
