"""Fitting text to the alt-text length target, shared by every describer."""
from ..patterns import Pattern

_SENTENCE_END = Pattern(r"[.!?。！？](?=\s|$)")


def fit(text: str, max_chars: int) -> str:
    """Cut at the last sentence end within max_chars, else the last word boundary."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    head = text[:max_chars + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(head) if m.end() <= max_chars]
    if ends and ends[-1] >= max_chars // 3:
        return head[:ends[-1]].strip()
    cut = head[:max_chars].rsplit(" ", 1)[0] if " " in head[:max_chars] else head[:max_chars]
    return cut.rstrip(" ,;:-–—(")


def join_clauses(clauses: list, max_chars: int) -> str:
    """The first clause (fitted), then each further clause while the whole still fits."""
    out = fit(clauses[0], max_chars)
    for c in clauses[1:]:
        if c and len(out) + 1 + len(c) <= max_chars:
            out = f"{out} {c}"
    return out
