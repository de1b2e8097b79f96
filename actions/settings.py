"""What changes every deck's output besides the deck itself: doit's up-to-date check compares it.

Part of the build stage, kept light: the tasks of a no-op run create it and
compare its digest without importing lxml, Pillow or an HTTP client.
"""
import hashlib
import json

from .describe import decorative
from .describe.signature import describer_signature, ocr_in_use
from .describe.choose import for_course as describer_choice
from .ooxml.rules import RuleSet
from .store.reports import REPORT_VERSION


class OutputSettings:
    """What changes every deck's output besides the deck itself; compared by doit's up-to-date check.

    It includes the describer, and choosing that (backend `auto`) may ask a model server; so it
    is worked out on first use, which only a build (or `altdeck info`) makes, never a `list`.
    """

    def __init__(self, cfg):
        self.cfg = cfg
        self.choice = describer_choice(cfg)
        self._for = None                    # (backend, describer signature JSON, digest)
        self._rules_json = None

    def _current(self) -> tuple:
        backend = self.choice.name()
        if self._for is None or self._for[0] != backend:
            cfg = self.cfg
            describer = describer_signature(cfg, backend)
            settings = {"report_version": REPORT_VERSION, "existing_alt": cfg.existing_alt,
                        "describer": describer, "alt_text": dict(cfg.alt_text), "decorative": self.rules_json,
                        "rules": RuleSet.from_config(cfg).signature(),
                        "output_dir": cfg.output_dir, "report_dir": cfg.report_dir}
            self._for = (backend, json.dumps(describer, sort_keys=True),
                         hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest())
        return self._for

    @property
    def backend(self) -> str:
        """The describer backend the decks are built with."""
        return self._current()[0]

    @property
    def describer_json(self) -> str:
        """The describer's signature as JSON: which stored texts a build may use (altfile.Entry.usable_for)."""
        return self._current()[1]

    @property
    def rules_json(self) -> str:
        """The decorative rules as JSON ("" when decorative.auto is off): which `auto` entries a build uses."""
        if self._rules_json is None:
            self._rules_json = decorative.rules_json(decorative.rules(self.cfg, ocr_in_use(self.cfg)))
        return self._rules_json

    @property
    def compared(self) -> tuple:
        """(digest, describer_json, rules_json): what a deck's up-to-date check compares, at once."""
        _, describer_json, digest = self._current()
        return digest, describer_json, self.rules_json

    @property
    def digest(self) -> str:
        """One string for all of it, kept in doit's values of each deck."""
        return self._current()[2]
