"""Change alt-text attributes in slide XML without touching any other byte.

Re-serializing a part with lxml rewrites its declaration, namespace layout and
quoting.  Instead, the start tags of `cNvPr` elements are located in the raw
bytes (in document order, the same order lxml iterates them), and only the
`descr`/`title` attributes and the decorative extension are rewritten.
"""
import re
from dataclasses import dataclass

from ..patterns import Pattern
from .ns import EXT_DECORATIVE, NS

_NAME = rb"[A-Za-z_][\w.\-]*"
_ATTR = rb"""\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*')"""
_CNVPR = Pattern(rb"<(?:(" + _NAME + rb"):)?cNvPr((?:" + _ATTR + rb")*)(\s*)(/?)>")
_ONE_ATTR = Pattern(rb"""(\s+)([^\s=/>]+)(\s*=\s*)("[^"]*"|'[^']*')""")
_OPAQUE = Pattern(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.S)
_FLAG = Pattern(rb"<(?:" + _NAME + rb":)?ext\s[^>]*uri=[\"']" + re.escape(EXT_DECORATIVE.encode()) +
                   rb"[\"'][^>]*>\s*<(?:" + _NAME + rb":)?decorative\s[^>]*?\bval=([\"'])([^\"']*)\1")
_BAD_XML_CHARS = Pattern("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class EditError(ValueError):
    """The raw bytes do not match what the XML parser saw; refuse to guess."""


@dataclass
class Change:
    """What to do to one cNvPr: None leaves a field as it is."""
    descr: str | None = None
    remove_title: bool = False
    decorative: bool = False


def clean_xml_text(text: str) -> str:
    """Drop characters XML 1.0 cannot hold (lxml raises on them; PowerPoint rejects them)."""
    return _BAD_XML_CHARS.sub("", text)


def escape_attr(text: str) -> bytes:
    text = clean_xml_text(text)
    text = (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\n", "&#xA;").replace("\r", "&#xD;").replace("\t", "&#x9;"))
    return text.encode("utf-8")


def _start_tags(data: bytes):
    masked = _OPAQUE.sub(lambda m: b" " * len(m.group(0)), data)
    return list(_CNVPR.finditer(masked))


def apply_changes(data: bytes, changes: dict, expected_count: int, a_prefix: str | None) -> bytes:
    """Apply {cNvPr document-order index: Change} to the part's bytes.

    `expected_count` is how many cNvPr elements lxml found; `a_prefix` the
    prefix bound to DrawingML at the root (None: declare it where used).
    """
    tags = _start_tags(data)
    if len(tags) != expected_count:
        raise EditError(f"found {len(tags)} cNvPr start tags, the parser saw {expected_count}")
    out, pos = [], 0
    for index in sorted(changes):
        m = tags[index]
        change = changes[index]
        prefix = m.group(1)
        attrs = _edit_attrs(m.group(2), change)
        tail = m.group(3)              # whitespace before "/>" or ">", kept as it was
        self_closing = m.group(4) == b"/"
        qname = (prefix + b":" if prefix else b"") + b"cNvPr"
        out.append(data[pos:m.start()])
        if not change.decorative:
            out.append(b"<" + qname + attrs + tail + (b"/>" if self_closing else b">"))
            pos = m.end()
            continue
        ext = _decorative_ext(a_prefix)
        if self_closing:
            out.append(b"<" + qname + attrs + tail + b">" + _wrap_extlst(ext, a_prefix) + b"</" + qname + b">")
            pos = m.end()
            continue
        close = data.find(b"</" + qname + b">", m.end())
        if close < 0:
            raise EditError("cNvPr without its end tag")
        inner = data[m.end():close]
        out.append(b"<" + qname + attrs + tail + b">")
        end_extlst = re.search(rb"</(?:" + _NAME + rb":)?extLst\s*>\s*$", inner)
        flag = _FLAG.search(inner)
        if flag:                           # the deck says val="0": turn its own flag on, add no second one
            out.append(inner[:flag.start(2)] + b"1" + inner[flag.end(2):])
        elif end_extlst:
            out.append(inner[:end_extlst.start()] + ext + inner[end_extlst.start():])
        else:
            out.append(inner + _wrap_extlst(ext, a_prefix))
        pos = close
    out.append(data[pos:])
    return b"".join(out)


def _edit_attrs(attrs: bytes, change: Change) -> bytes:
    parts = _ONE_ATTR.findall(attrs)
    rebuilt, have_descr = [], False
    for ws, name, eq, value in parts:
        if name == b"descr" and change.descr is not None:
            value, have_descr = b'"' + escape_attr(change.descr) + b'"', True
        elif name == b"descr":
            have_descr = True
        if name == b"title" and change.remove_title:
            continue
        rebuilt.append(ws + name + eq + value)
    if change.descr is not None and not have_descr:
        rebuilt.append(b' descr="' + escape_attr(change.descr) + b'"')
    return b"".join(rebuilt)


def _decorative_ext(a_prefix):
    """The decorative a:ext; declares DrawingML itself when no prefix is bound at the root."""
    a, decl = (a_prefix, "") if a_prefix else ("a", f' xmlns:a="{NS["a"]}"')
    return (f'<{a}:ext{decl} uri="{EXT_DECORATIVE}"><adec:decorative xmlns:adec="{NS["adec"]}" val="1"/>'
            f"</{a}:ext>").encode()


def _wrap_extlst(ext: bytes, a_prefix):
    a, decl = (a_prefix, "") if a_prefix else ("a", f' xmlns:a="{NS["a"]}"')
    return f"<{a}:extLst{decl}>".encode() + ext + f"</{a}:extLst>".encode()
