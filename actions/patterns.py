"""Regular expressions compiled on first use.

Every build imports the modules that judge alt text and classify what OCR read,
but a no-op build matches nothing; compiled at import, their patterns cost each
run a few milliseconds (Python keeps no compiled pattern between processes).
"""
import re


class Pattern:
    """re.compile(pattern, flags), compiled when first used; otherwise the same object's methods."""

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern, flags=0):
        self._args, self._compiled = (pattern, flags), None

    def __getattr__(self, name):
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return getattr(self._compiled, name)
