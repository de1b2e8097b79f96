"""Choose the describer for a run: the configured backend, or for `auto` the first that works.

Checked once per run, when the tasks are created: a configured server that
does not answer (or lacks the model) stops the whole run with one line
before any deck is touched, instead of failing every deck the same way.
"""
from .describe import make_describer
from .describe.vision import DEFAULT_OLLAMA_URL
from .errors import DescribeError


def resolve(cfg) -> tuple:
    """-> (backend name, why): which describer this run uses, said once at the start.

    Raises DescribeError (one line) when the configured server cannot be used.
    """
    d = cfg.describer
    backend = d.backend
    if backend == "offline":
        return "offline", "describer.backend is offline"
    if backend in ("auto", "ollama"):
        from .describe import ollama
        url = (d.url or DEFAULT_OLLAMA_URL).rstrip("/")
        ok, why = ollama.probe(url, d.model, d.timeout_s)
        if ok:
            return "ollama", f"{why} (describer.backend is {backend})"
        if backend == "auto":
            return "offline", f"{why}; pictures stay pending (describer.backend is auto)"
        raise DescribeError(why)
    if backend == "openai":
        if not d.url:
            raise DescribeError("describer.backend is openai but describer.url is empty; set it to the "
                                "server's base URL, such as http://host:8000/v1")
        from .describe import openai
        ok, why = openai.probe(cfg)
        if not ok:
            raise DescribeError(why)
        return "openai", f"{why}, model {d.model} (describer.backend is openai)"
    return backend, f"describer.backend is {backend}"


def describer_for(cfg, backend):
    return make_describer(cfg, backend)
