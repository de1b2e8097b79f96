"""What identifies the text a describer writes, as a function of the config alone.

Part of every deck's up-to-date check (settings.py): a no-op run computes it without
making a describer, so this module imports none of them (base.py's dataclasses, an HTTP
client, Pillow), only the version constants of what shapes the text.
"""
VISION_BACKENDS = ("ollama", "openai")      # backends that send pictures to a model server


def describer_signature(cfg, backend: str = "offline") -> dict:
    """make_describer(cfg, backend).signature(), without making a describer."""
    from .ocr import in_use
    from .offline import Offline
    sig = {"offline": Offline(in_use(cfg)).signature()}
    if backend in VISION_BACKENDS:
        sig["vision"] = vision_signature(cfg, backend)
    return sig


def vision_signature(cfg, backend: str) -> dict:
    """What changes a vision model's text: not the URL (the same model elsewhere writes the same kind of text).

    (vision.py's describers answer with this.)
    """
    from .clean import CLEAN_VERSION
    from .images import IMAGES_VERSION
    from .ocr import in_use
    from .prompt import PROMPT_VERSION
    d = cfg.describer
    return {"source": f"{backend}:{d.model}", "backend": backend, "model": d.model,
            "prompt_version": PROMPT_VERSION, "clean_version": CLEAN_VERSION, "images_version": IMAGES_VERSION,
            "max_chars": cfg.alt_text.max_chars, "language": cfg.alt_text.language, "ocr": in_use(cfg)}
