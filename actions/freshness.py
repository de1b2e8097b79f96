"""Does a deck's last build still agree with the alt-text file?

The link between alt-text.yaml and doit: a deck is out of date when the file
now holds usable text for one of its images that differs from what its last
report says the deck got.  So an edit to one entry rebuilds exactly the decks
showing that image, and `doit check` can say a deck needs a rebuild, both
without a model, from the report and the file alone.
"""
import json

from . import altfile, discover
from .errors import AltdeckError
from .xmledit import clean_xml_text

FROM_STORE = ("described", "pending")     # decisions the store can change ("kept" is the deck's own text)


def read_report(cfg, rel) -> dict | None:
    try:
        with open(discover.report_path(cfg, rel), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def outdated_objects(report: dict, entries: dict) -> list:
    """Report objects whose image has usable text in `entries` other than the text the deck got."""
    signature = json.dumps(report.get("describer", {}), sort_keys=True)
    out = []
    for o in report.get("objects", []):
        e = entries.get(o.get("image") or "")
        if (e and o.get("decision") in FROM_STORE and o.get("source") != "existing"
                and e.usable_for(signature) and clean_xml_text(e.text) != o.get("text")):
            out.append(o)
    return out


def seen_hints(report: dict) -> dict:
    """{image hash: "deck:slide"} where each image first appears, for new entries of the file."""
    hints = {}
    for o in report.get("objects", []):
        if o.get("image"):
            hints.setdefault(o["image"], f"{report['deck']}:{o['slide']}")
    return hints


class StoreUnchanged:
    """doit `uptodate`: False when the alt-text file changed text this deck shows (a picklable callable)."""

    def __init__(self, cfg, rel):
        self.cfg, self.rel = cfg, rel

    def __call__(self):
        report = read_report(self.cfg, self.rel)
        if report is None:
            return None                  # no report: the missing target already rebuilds the deck
        try:
            entries = altfile.read(self.cfg.root_dir / self.cfg.store_file)
        except AltdeckError:
            return False                 # rebuild: the deck's task then reports the file's problem
        return not outdated_objects(report, entries)
