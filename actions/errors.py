"""Exceptions that carry the user's one-line message (cf. doit's exceptions.py)."""


class AltdeckError(Exception):
    """An error the user can act on; str() is one line naming the file and what to do."""


class ConfigError(AltdeckError):
    """config.yaml is unreadable, has an unknown key or a value of the wrong type."""


class DeckError(AltdeckError):
    """A deck cannot be built: corrupt, encrypted, hostile, not a presentation."""

    def __init__(self, deck, reason):
        self.deck, self.reason = str(deck), reason
        super().__init__(f"{deck}: {reason}")


class DescribeError(AltdeckError):
    """The describer (a model server) failed; the deck's task fails and is retried next run."""


def printable(text: str) -> str:
    """Text from a deck or a model made safe for one terminal line: control characters (newlines,
    line separators, escape sequences) shown as Python escapes instead of acting on the terminal."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text))
