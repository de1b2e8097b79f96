"""Choose the describer for a run: the configured backend, or for `auto` the first that works."""
from .describe import make_describer


def resolve(cfg) -> tuple:
    """-> (backend name, why): which describer this run uses, said once at the start."""
    backend = cfg.describer.backend
    if backend == "offline":
        return "offline", "describer.backend is offline"
    if backend == "auto":
        return "offline", "describer.backend is auto and no vision backend is available yet"
    return backend, f"describer.backend is {backend}"


def describer_for(cfg, backend):
    return make_describer(cfg, backend)
