"""Open a deck safely and write its accessible copy atomically and reproducibly.

altdeck works on the zip package directly instead of python-pptx's load/save:
python-pptx reads every member into memory on open (zip bombs), drops
unreferenced parts and rewrites XML it never touched on save.  Here every
member except the edited slide parts is copied byte for byte, in the source
order, with fixed timestamps, so building the same deck twice gives the same
bytes and nothing but alt text differs from the source.

A deck is opened once and everything is read through that one open file: an
editor saving the deck mid-build (a new file renamed over it) cannot mix two
versions, the hash recorded is of the bytes that were built, and a deck
changed in place while it was read says so instead of "corrupt".
"""
import hashlib
import os
import posixpath
import shutil
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass

from lxml import etree

from ..files import atomic_path
from ..errors import DeckError
from .ns import NS, qn

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml",
    "application/vnd.ms-powerpoint.template.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
    "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml",
}


@dataclass(frozen=True)
class Limits:
    """Checked on the zip directory before any member is read."""
    max_members: int = 10_000
    max_member_bytes: int = 512 * 2**20
    max_total_bytes: int = 2 * 2**30
    max_ratio: int = 200          # uncompressed / compressed, for members over 1 MiB
    max_xml_bytes: int = 64 * 2**20   # an XML part parsed into a tree (lxml needs ~10x in memory)


@dataclass(frozen=True)
class Rel:
    rid: str
    type: str          # last path segment of the relationship type, e.g. "image"
    target: str        # part name without leading slash, or the URL when external
    external: bool


_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                              remove_blank_text=False)


class Package:
    """A read-only view of a deck's zip: members, content types, relationships, XML."""

    def __init__(self, path, limits: Limits = Limits(), name=None):
        self.path = str(path)
        self.name = str(name or path)     # how errors name the deck (the course-relative path)
        if os.path.isdir(self.path):
            raise DeckError(self.name, "is a folder, not a deck; exclude it in config.yaml")
        try:
            self.file = open(self.path, "rb")
        except OSError as e:
            raise DeckError(self.name, f"cannot be read ({e.strerror})") from None
        self.opened = _stamp(os.fstat(self.file.fileno()))
        try:
            _check_file(self.file, self.name)
            try:
                self.zip = zipfile.ZipFile(self.file)
            except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError) as e:
                self.check_unchanged()
                raise DeckError(self.name, f"is not a valid PowerPoint file (corrupt or truncated zip: {e}); "
                                           "restore a good copy or re-save it from PowerPoint") from None
        except BaseException:
            self.file.close()
            raise
        try:
            self.infos = self.zip.infolist()
            self.names = [i.filename for i in self.infos]
            self._info = {i.filename: i for i in self.infos}
            _check_limits(self.name, self.infos, limits)
            self._xml_cache = {}
            self.limits = limits
            self.content_types = self._read_content_types()
            self.main = self._main_part()
        except BaseException:
            self.close()
            raise

    def close(self):
        if getattr(self, "zip", None) is not None:
            self.zip.close()
        self.file.close()

    # -- the one open file -------------------------------------------------------------------
    def changed(self) -> str | None:
        """How the deck changed since it was opened ("" or None: it did not)."""
        now = _stamp(os.fstat(self.file.fileno()))
        if now != self.opened:
            return "was written to while it was read"
        try:
            if _stamp(os.stat(self.path)) != self.opened:
                return "was replaced (saved) while it was read"
        except FileNotFoundError:
            return "was removed while it was read"
        return None

    def check_unchanged(self):
        """DeckError when the deck changed since it was opened: what was built is not the deck any more."""
        how = self.changed()
        if how:
            raise DeckError(self.name, f"{how}, so this build is not of its current version; "
                                       "run altdeck again when it is saved")

    def sha256(self) -> str:
        """The hash of the bytes this package reads (the open file, whatever is at the path now)."""
        h = hashlib.sha256()
        for block in self.blocks():
            h.update(block)
        return h.hexdigest()

    def blocks(self, size=1 << 20):
        """The deck's bytes, from the open file, without moving the zip reader's position."""
        fd, offset = self.file.fileno(), 0
        while block := os.pread(fd, size, offset):
            offset += len(block)
            yield block

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def has(self, part):
        return part in self._info

    def read(self, part) -> bytes:
        if part not in self._info:
            raise DeckError(self.name, f"missing part /{part}; re-save the deck from PowerPoint")
        with _member_errors(self, part):
            return self.zip.read(part)

    def xml(self, part):
        """Parsed XML of a part (cached); DOCTYPEs and malformed XML are errors."""
        if part not in self._xml_cache:
            size = self._info[part].file_size if part in self._info else 0
            if size > self.limits.max_xml_bytes:
                raise DeckError(self.name, f"part /{part} is {size:,} bytes of XML (limit "
                                           f"{self.limits.max_xml_bytes:,}); refusing a possible XML bomb")
            data = self.read(part)
            if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data[:4096].upper():
                raise DeckError(self.name, f"part /{part} has a DOCTYPE, which PowerPoint never writes; "
                                           "refusing a possibly hostile file")
            try:
                self._xml_cache[part] = etree.fromstring(data, _XML_PARSER)
            except etree.XMLSyntaxError as e:
                raise DeckError(self.name, f"part /{part} is not well-formed XML ({e}); "
                                           "re-save the deck from PowerPoint") from None
        return self._xml_cache[part]

    def content_type(self, part):
        overrides, defaults = self.content_types
        return overrides.get("/" + part) or defaults.get(part.rsplit(".", 1)[-1].lower(), "")

    def rels(self, part) -> dict:
        """rId -> Rel for a part ({} when it has no relationships part)."""
        folder, name = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", name + ".rels")
        if not self.has(rels_part):
            return {}
        out = {}
        for el in self.xml(rels_part).iter(qn("pr:Relationship")):
            rid, target = el.get("Id"), el.get("Target") or ""
            external = el.get("TargetMode") == "External"
            if not external:
                target = resolve(folder, target)
            out[rid] = Rel(rid, (el.get("Type") or "").rsplit("/", 1)[-1], target, external)
        return out

    def related(self, part, rid):
        """The part name a relationship of `part` points at, or None (missing or external)."""
        rel = self.rels(part).get(rid)
        if rel is None or rel.external or not self.has(rel.target):
            return None
        return rel.target

    def slide_parts(self):
        """Slide part names in presentation order."""
        rels = self.rels(self.main)
        main_rels = posixpath.join(posixpath.dirname(self.main), "_rels", posixpath.basename(self.main) + ".rels")
        if not rels and self.xml(self.main).find("p:sldIdLst/p:sldId", NS) is not None:
            raise DeckError(self.name, f"missing part /{main_rels} (the presentation's relationships); "
                                       "re-save the deck from PowerPoint")
        out = []
        for sld in self.xml(self.main).iterfind("p:sldIdLst/p:sldId", NS):
            rel = rels.get(sld.get(qn("r:id")))
            if rel is None or rel.external:
                raise DeckError(self.name, f"slide list names relationship {sld.get(qn('r:id'))} "
                                           "that does not exist; re-save the deck from PowerPoint")
            if not self.has(rel.target):
                raise DeckError(self.name, f"missing part /{rel.target}; re-save the deck from PowerPoint")
            out.append(rel.target)
        return out

    def _read_content_types(self):
        if not self.has("[Content_Types].xml"):
            raise DeckError(self.name, "is not a PowerPoint file (a zip without [Content_Types].xml)")
        root = self.xml("[Content_Types].xml")
        overrides = {el.get("PartName", ""): el.get("ContentType", "")
                     for el in root.iter(qn("ct:Override"))}
        defaults = {el.get("Extension", "").lower(): el.get("ContentType", "")
                    for el in root.iter(qn("ct:Default"))}
        return overrides, defaults

    def _main_part(self):
        if not self.has("_rels/.rels"):
            raise DeckError(self.name, "missing part /_rels/.rels (the package relationships); "
                                       "re-save the deck from PowerPoint")
        for rel in self.rels("").values():
            if rel.type == "officeDocument" and not rel.external:
                if not self.has(rel.target):
                    raise DeckError(self.name, f"missing part /{rel.target}; re-save the deck from PowerPoint")
                ctype = self.content_type(rel.target)
                if ctype not in MAIN_TYPES:
                    what = ("a Word document" if "wordprocessingml" in ctype else
                            "an Excel workbook" if "spreadsheetml" in ctype else f"'{ctype}'")
                    raise DeckError(self.name, f"is not a PowerPoint presentation (its main part is {what})")
                return rel.target
        raise DeckError(self.name, "is not a PowerPoint file (no main document relationship in /_rels/.rels)")


def resolve(folder, target):
    """Part name of a relationship target relative to `folder` (no leading slash)."""
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    return posixpath.normpath(posixpath.join("/" + folder, target)).lstrip("/")


# First bytes of files that often arrive named .pptx: say what they are.
_SNIFF = ((b"%PDF", "a PDF file"), (b"{\\rtf", "an RTF document"), (b"<!doctype html", "a web page (HTML)"),
          (b"<html", "a web page (HTML)"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
          (b"Rar!", "a RAR archive"), (b"7z\xbc\xaf", "a 7-Zip archive"), (b"\x1f\x8b", "a gzip file"))


def _stamp(st) -> tuple:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _check_file(f, name):
    try:
        head = f.read(64)
        streams = _ole_streams(f) if head[:8] == OLE_MAGIC else set()
        f.seek(0)
    except OSError as e:
        raise DeckError(name, f"cannot be read ({e.strerror})") from None
    if not head:
        raise DeckError(name, "is an empty file; restore it from git or remove it")
    if head[:8] == OLE_MAGIC:
        if "EncryptedPackage" in streams:
            raise DeckError(name, "is password-protected; open it in PowerPoint, remove the password "
                                  "(File > Info > Protect Presentation > Encrypt with Password, clear it) "
                                  "and save, or exclude it in config.yaml")
        if "PowerPoint Document" in streams:
            raise DeckError(name, "is a legacy binary .ppt file, not .pptx; open it in PowerPoint "
                                  "and save as .pptx")
        raise DeckError(name, "is an old binary Office file (.doc/.xls/.ppt format), not a .pptx presentation")
    if head[:2] != b"PK":
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        what = next((w for magic, w in _SNIFF if start.startswith(magic.lower())), "")
        raise DeckError(name, f"is not a PowerPoint file ({what or 'not a zip package'}"
                              f"{' named like a deck' if what else ''})")


_OLE_NAMES = {n: n.encode("utf-16-le") for n in ("EncryptedPackage", "PowerPoint Document")}


def _ole_streams(f) -> set:
    """Which telling stream names an OLE file holds (EncryptedPackage: an encrypted OOXML deck).

    The names sit in OLE directory sectors, which can be anywhere in the file
    (often at the end, after the encrypted payload): scan it all, in chunks.
    """
    f.seek(0)
    found, tail, keep = set(), b"", max(map(len, _OLE_NAMES.values()))
    while chunk := f.read(4 * 2**20):
        window = tail + chunk
        found.update(n for n, raw in _OLE_NAMES.items() if raw in window)
        tail = window[-keep:]
    return found


def _check_limits(path, infos, limits):
    if len(infos) > limits.max_members:
        raise DeckError(path, f"has {len(infos)} zip members (limit {limits.max_members}); refusing a possible zip bomb")
    total, seen = 0, set()
    for i in infos:
        if i.filename in seen:
            raise DeckError(path, f"has the zip member {i.filename} twice; re-save the deck from PowerPoint")
        seen.add(i.filename)
        total += i.file_size
        if i.file_size > limits.max_member_bytes:
            raise DeckError(path, f"member {i.filename} unpacks to {i.file_size:,} bytes "
                                  f"(limit {limits.max_member_bytes:,}); refusing a possible zip bomb")
        if i.file_size > 2**20 and i.file_size > limits.max_ratio * max(i.compress_size, 1):
            raise DeckError(path, f"member {i.filename} is compressed {i.file_size // max(i.compress_size, 1)}:1 "
                                  f"(limit {limits.max_ratio}:1); refusing a possible zip bomb")
    if total > limits.max_total_bytes:
        raise DeckError(path, f"unpacks to {total:,} bytes (limit {limits.max_total_bytes:,}); "
                              "refusing a possible zip bomb")


def write_copy(pkg: Package, replacements: dict, dest):
    """Write `pkg` to `dest` with some parts replaced; atomic and reproducible.

    Member order, names and compression are the source's; timestamps and
    attributes are fixed.  With no replacements the source bytes are copied.
    Never onto the deck itself (a misconfigured output folder): that would destroy the source.
    """
    if os.path.exists(dest) and os.path.samefile(dest, pkg.path):
        raise DeckError(pkg.name, f"its accessible copy would be written over the deck itself ({dest}); "
                                  "set output_dir in config.yaml to a folder of its own")
    with atomic_path(dest) as tmp:
        if not replacements:
            verify(pkg)               # a corrupt member must fail the deck, not be copied as it is
            with open(tmp, "wb") as out:
                for block in pkg.blocks():
                    out.write(block)
            return
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as out:
            for info in pkg.infos:
                zi = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
                zi.compress_type = (info.compress_type if info.compress_type in
                                    (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) else zipfile.ZIP_DEFLATED)
                zi.external_attr = 0o644 << 16
                zi.create_system = 0
                if info.filename in replacements:
                    out.writestr(zi, replacements[info.filename])
                    continue
                with _member_errors(pkg, info.filename), pkg.zip.open(info) as src, \
                        out.open(zi, "w", force_zip64=info.file_size > 2**31) as dst:
                    shutil.copyfileobj(src, dst, 2**20)


def verify(pkg: Package):
    """Read every member once, streaming (CRC, local header, decompression), keeping nothing."""
    for info in pkg.infos:
        with _member_errors(pkg, info.filename), pkg.zip.open(info) as src:
            while src.read(2**20):
                pass


@contextmanager
def _member_errors(pkg, part):
    """Whatever zipfile/zlib raise for a damaged member, as one DeckError naming the part (or saying
    the deck changed while it was read: a deck truncated mid-build is not corrupt)."""
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as e:
        pkg.check_unchanged()
        raise DeckError(pkg.name, f"part /{part} is corrupt ({e}); re-save the deck from PowerPoint") from None
    except NotImplementedError as e:
        raise DeckError(pkg.name, f"part /{part} uses an unsupported compression ({e}); "
                                  "re-save the deck from PowerPoint") from None
