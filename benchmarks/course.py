"""Synthetic courses for benchmarks: N decks, M pictures each, a share of them repeated (logos).

Decks are made fast: python-pptx builds one template with M pictures, then
each deck is the template's zip with its own image bytes swapped in.
"""
import io
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

from pptx import Presentation
from pptx.util import Inches


def png(seed: int, size: int = 24) -> bytes:
    """A tiny PNG whose pixels encode `seed`: distinct seeds, distinct bytes (no Pillow needed)."""
    r, g, b = (seed >> 16) & 255, (seed >> 8) & 255, seed & 255
    row = b"\x00" + bytes([r, g, b]) * size
    raw = zlib.compress(row * size, 9)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def template(path: Path, pictures: int, slides: int = 1):
    """A deck with `pictures` pictures spread over `slides` slides; image i holds png(i)."""
    prs = Presentation()
    per = max(1, -(-pictures // slides))
    n = 0
    for s_i in range(slides):
        s = prs.slides.add_slide(prs.slide_layouts[5])
        s.shapes.title.text = f"Slide {s_i + 1}"
        for _ in range(min(per, pictures - n)):
            s.shapes.add_picture(io.BytesIO(png(1_000_000 + n)), Inches(1 + n % 6), Inches(2), Inches(1))
            n += 1
    prs.save(path)


def make_course(folder, decks: int, pictures: int, shared: float = 0.2, slides: int = 1) -> dict:
    """Write `decks` decks into folder; returns counts of distinct images.

    A share `shared` of each deck's pictures are course-wide logos (the same bytes in
    every deck); the rest are unique to their deck.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / ".template.pptx"
    template(base, pictures, slides)
    with zipfile.ZipFile(base) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    media = sorted(i.filename for i, _ in members if i.filename.startswith("ppt/media/"))
    n_shared = round(len(media) * shared)
    for d in range(decks):
        swap = {name: png(k if k < n_shared else 1 + d * len(media) + k) for k, name in enumerate(media)}
        with zipfile.ZipFile(folder / f"deck{d:05}.pptx", "w", zipfile.ZIP_DEFLATED) as out:
            for info, data in members:
                out.writestr(info, swap.get(info.filename, data))
    base.unlink()
    return {"decks": decks, "pictures_per_deck": len(media),
            "distinct_images": n_shared + decks * (len(media) - n_shared)}


def copy_course(src, dst):
    """A 'fresh clone': same content, new mtimes (copytree without copystat on files)."""
    shutil.copytree(src, dst, copy_function=shutil.copyfile)
