"""What identifies the text a describer writes: the config, the versions of the code that writes
it, and the OCR engine installed.

Part of every deck's up-to-date check (settings.py): a no-op run computes it without making
a describer, so this module imports none (base.py's dataclasses, ocr.py, an HTTP client,
Pillow).  That is why the versions of the modules that shape the text and the OCR engines'
identities are kept here: bump a module's version when what it writes changes, and every
deck built with it rebuilds.
"""
import functools
import importlib.metadata
import importlib.util
import os

from ..vocab import Source

VISION_BACKENDS = ("ollama", "openai")      # backends that send pictures to a model server

OFFLINE_VERSION = 2        # offline.py: what it writes for charts, SmartArt and tables
OCR_RULE_VERSION = 1       # ocr.py: which pictures are pictures of text, and the alt text made of them
PROMPT_VERSION = 3         # prompt.py (2: objects cut out of their rendered slide; 3: the text OCR found)
IMAGES_VERSION = 1         # images.py: what a picture is turned into before a model sees it
# clean.py: what a model's answer may be. Still 1: stripping the German, French and Spanish "image of"
# openers and asking again for text that repeats the slide only turns away what the check would
# report; texts cleaned before stay valid (bumping it would send every stored picture to the model again).
CLEAN_VERSION = 1

# OCR engines in order of preference (ocr.py has the code of each, an Engine of that name):
# the modules that must be importable, and the distributions whose versions change what it reads.
OCR_ENGINES = {"rapidocr": (("rapidocr", "onnxruntime"), ("rapidocr", "onnxruntime"))}


def describer_signature(cfg, backend: str = "offline") -> dict:
    """make_describer(cfg, backend).signature(), without making a describer."""
    sig = {"offline": offline_signature(ocr_in_use(cfg))}
    if backend in VISION_BACKENDS:
        sig["vision"] = vision_signature(cfg, backend)
    return sig


def offline_signature(ocr: dict | None) -> dict:
    """The offline describer's, reading pictures of text with the `ocr` engine (ocr_in_use) or not."""
    return {"source": Source.OFFLINE, "version": OFFLINE_VERSION, "ocr": ocr}


def vision_signature(cfg, backend: str) -> dict:
    """What changes a vision model's text: not the URL (the same model elsewhere writes the same kind of text).

    (vision.py's describers answer with this.)
    """
    d = cfg.describer
    return {"source": f"{backend}:{d.model}", "backend": backend, "model": d.model,
            "prompt_version": PROMPT_VERSION, "clean_version": CLEAN_VERSION, "images_version": IMAGES_VERSION,
            "max_chars": cfg.alt_text.max_chars, "language": cfg.alt_text.language, "ocr": ocr_in_use(cfg)}


@functools.cache
def installed_ocr_engine() -> str | None:
    """The name of the OCR engine altdeck uses here (the first whose modules can be imported), or None."""
    return next((name for name, (modules, _) in OCR_ENGINES.items()
                 if all(importlib.util.find_spec(m) is not None for m in modules)), None)


@functools.cache
def ocr_signature() -> dict | None:
    """What changes what OCR finds and what the rule makes of it; None when no engine is installed.

    Never imports the engine: the versions are read from its distributions.
    """
    name = installed_ocr_engine()
    if name is None:
        return None
    modules, distributions = OCR_ENGINES[name]
    return {"engine": name, "versions": {d: _version(d, modules) for d in distributions}, "rule": OCR_RULE_VERSION}


def ocr_in_use(cfg) -> dict | None:
    """ocr_signature() when this course reads text in pictures (describer.ocr and an engine installed), else None."""
    return ocr_signature() if cfg.describer.ocr else None


def _version(dist: str, modules) -> str:
    """A distribution's version ("" when not installed).

    From the name of the `<name>-<version>.dist-info` folder a wheel installs beside the engine's
    modules (one listdir); importlib.metadata finds and parses the metadata instead (~1 ms a
    distribution, on every no-op run), and is asked only when there is no such folder.
    """
    prefix = dist.lower().replace("-", "_").replace(".", "_") + "-"
    for module in modules:
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.origin:
            continue
        site = os.path.dirname(spec.origin)              # a module's folder, or a package's ...
        if spec.submodule_search_locations is not None:
            site = os.path.dirname(site)                 # ... parent
        try:
            names = os.listdir(site)
        except OSError:
            continue
        for name in names:
            if name.lower().startswith(prefix) and name.endswith(".dist-info"):
                return name[len(prefix):-len(".dist-info")]
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return ""
