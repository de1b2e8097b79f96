"""Broken and hostile files for tests, built from scratch or from real decks.

Each builder writes one file and returns its path.  The OLE files are minimal
but valid compound files (header, one FAT sector, one directory sector), the
shape PowerPoint gives an encrypted deck or a legacy .ppt.
"""
import io
import struct
import zipfile
import zlib
from pathlib import Path

from decks import full_deck

FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF

TEMPLATE_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml"
SLIDESHOW_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml"
PRESENTATION_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"


def _dir_entry(name, kind, left=NOSTREAM, right=NOSTREAM, child=NOSTREAM):
    raw = name.encode("utf-16-le") + b"\0\0" if name else b""
    return (raw.ljust(64, b"\0") + struct.pack("<HBB3I", len(raw), kind, 1 if name else 0, left, right, child)
            + b"\0" * 16 + b"\0" * 4 + b"\0" * 16 + struct.pack("<IQ", ENDOFCHAIN if name else 0, 0))


def ole_file(path, streams):
    """A compound file holding empty streams `streams` (sorted as the red-black tree wants: shorter first)."""
    streams = sorted(streams, key=lambda n: (len(n), n.upper()))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
              + struct.pack("<I", 0) + struct.pack("<I", FREESECT) * 108)
    assert len(header) == 512
    fat = struct.pack("<II", FATSECT, ENDOFCHAIN) + struct.pack("<I", FREESECT) * 126
    entries = [_dir_entry("Root Entry", 5, child=1 if streams else NOSTREAM)]
    for i, name in enumerate(streams, start=1):
        entries.append(_dir_entry(name, 2, right=i + 1 if i < len(streams) else NOSTREAM))
    while len(entries) % 4:
        entries.append(_dir_entry("", 0))
    assert len(entries) == 4, "one directory sector holds four entries"
    Path(path).write_bytes(header + fat + b"".join(entries))
    return Path(path)


def encrypted_deck(path):
    """What PowerPoint writes for a password-protected .pptx (payload left empty)."""
    return ole_file(path, ["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"])


def legacy_ppt(path):
    """A PowerPoint 97-2003 binary file (streams only, empty)."""
    return ole_file(path, ["Current User", "PowerPoint Document"])


def rewrite_zip(src, dest, drop=(), replace=None, content_types=None):
    """Copy a zip member by member: drop some, replace some {name: bytes}, edit [Content_Types].xml."""
    replace = dict(replace or {})
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = replace.pop(info.filename, None)
            if data is None:
                data = zin.read(info)
            if info.filename == "[Content_Types].xml" and content_types:
                data = content_types(data)
            zout.writestr(info.filename, data)
        for name, data in replace.items():
            zout.writestr(name, data)
    return Path(dest)


def retyped_deck(path, main_type):
    """A full_deck whose main part has another content type (template, slide show)."""
    tmp = Path(path).with_name(Path(path).name + ".src.pptx")
    full_deck(tmp)
    rewrite_zip(tmp, path, content_types=lambda d: d.replace(PRESENTATION_TYPE.encode(), main_type.encode()))
    tmp.unlink()
    return Path(path)


def zip_bomb(path, member_bytes=2**30, name="ppt/media/image1.png"):
    """A small zip of a real deck plus one member of `member_bytes` zeros (deflated ~1000:1).

    The deflate stream is made once for 1 MiB and repeated with full flushes,
    so building a 1 GiB member costs a fraction of a second.
    """
    src = io.BytesIO()
    full_deck(src)
    chunk = 2**20
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(b"\0" * chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    zeros = b"\0" * chunk
    for _ in range(member_bytes // chunk):
        crc = zlib.crc32(zeros, crc)
    tail = comp.flush(zlib.Z_FINISH)
    payload = block * (member_bytes // chunk) + tail
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != name:
                zout.writestr(info.filename, zin.read(info))
        zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_DEFLATED
        _write_raw(zout, zi, payload, crc, member_bytes)
    return Path(path)


def _write_raw(zout, zi, payload, crc, size):
    """Append a member whose deflate stream is already made (zipfile has no public API for it)."""
    zi.CRC, zi.compress_size, zi.file_size = crc, len(payload), size
    zi.header_offset = zout.fp.tell()
    zout.fp.write(zi.FileHeader(zip64=size > 0xFFFFFFFF))
    zout.fp.write(payload)
    zout.filelist.append(zi)
    zout.NameToInfo[zi.filename] = zi
    zout.start_dir = zout.fp.tell()
