"""A deck's slide renders: each slide drawn at most once, objects cropped out of it.

A render is cached in the state folder under a digest of everything that
changes its pixels: the slide's part and every part it depends on (layout,
master, theme, images, charts, SmartArt, ink, embedded objects...), its
number (slide-number fields), the slide size, the width, this module's
RENDER_VERSION and the LibreOffice program.  So a rerun, or another deck
showing the same slide, renders nothing, and an edit anywhere on the slide
or its layout renders it again.

`SlideRenders.prepare(numbers)` renders what is missing in one go (one
LibreOffice call for all of a deck's slides); `crop(number, box)` cuts an
object's box out (rendering the slide if it must), as PNG bytes.  Cropping
is thread-safe: a vision describer asks from its threads.
"""
import hashlib
import io
import math
import os
import shutil
import tempfile
import threading
import time
import zipfile

from lxml import etree

from ..errors import AltdeckError
from ..files import atomic_path
from ..ooxml.geometry import slide_size
from .copy import write_render_copy
from .soffice import RenderError, Soffice, identity

RENDER_VERSION = 1
WIDTH_PX = 1600
MARGIN_PX = 6
TABLE_GROWTH = 0.25       # LibreOffice's substitute fonts make table rows taller: crop lower
MIN_CROP_PX = 8
_NOT_DRAWN = {"notesSlide", "slide", "hyperlink", "comments", "commentAuthors", "tags"}


class SlideRenders:
    """The slides of one open deck, rendered on demand into `cache_dir` by `soffice` (shared, not owned)."""

    def __init__(self, pkg, cache_dir, soffice: Soffice):
        self.pkg, self.cache_dir, self.soffice = pkg, str(cache_dir), soffice
        self.cx, self.cy = slide_size(pkg)
        self.width = WIDTH_PX
        self.height = max(1, round(WIDTH_PX * self.cy / max(self.cx, 1)))
        self._parts = {n: part for n, part in enumerate(pkg.slide_parts(), start=1)}
        self._digests, self._part_digests = {}, {}
        self._lock = threading.Lock()
        self._tmp = self._copy = None     # a temporary folder holding the render-only copy
        self.rendered = []                # slide numbers this object had LibreOffice draw
        self.render_seconds = 0.0         # wall time spent in LibreOffice (measurable per slide)

    # -- the cache -------------------------------------------------------------------------------

    def _part_digest(self, part) -> str:
        if part not in self._part_digests:
            self._part_digests[part] = hashlib.sha256(self.pkg.read(part)).hexdigest()
        return self._part_digests[part]

    def digest(self, number: int) -> str:
        """The cache key of a slide's render (see the module docstring)."""
        if number not in self._digests:
            h = hashlib.sha256(f"{RENDER_VERSION}|{identity()}|{self.width}x{self.height}|{self.cx}x{self.cy}|"
                               f"slide {number}".encode())
            seen, todo = set(), [self._parts[number]]
            while todo:
                part = todo.pop()
                if part in seen or not self.pkg.has(part):
                    continue
                seen.add(part)
                from_master = self.pkg.content_type(part).endswith(".slideMaster+xml")
                for rel in self.pkg.rels(part).values():
                    if rel.external:
                        h.update(f"|ext:{rel.target}".encode())
                    elif rel.type not in _NOT_DRAWN and not (from_master and rel.type == "slideLayout"):
                        todo.append(rel.target)       # a master lists all its layouts: only ours counts
            for part in sorted(seen):
                h.update(f"|{part}:{self._part_digest(part)}".encode())
            self._digests[number] = h.hexdigest()
        return self._digests[number]

    def path(self, number: int) -> str:
        return os.path.join(self.cache_dir, self.digest(number) + ".png")

    # -- rendering -------------------------------------------------------------------------------

    def prepare(self, numbers):
        """Render every slide of `numbers` that is not cached yet, in one call; RenderError if it fails."""
        with self._lock:
            self._render([n for n in sorted(set(numbers)) if n in self._parts and not os.path.exists(self.path(n))])

    def _render(self, numbers):
        if not numbers:
            return
        os.makedirs(self.cache_dir, exist_ok=True)
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="altdeck-render-")
            self._copy = os.path.join(self._tmp, "deck" + os.path.splitext(self.pkg.path)[1].lower())
            try:
                write_render_copy(self.pkg, self._copy)
            except (AltdeckError, OSError, ValueError, zipfile.BadZipFile, etree.LxmlError) as e:
                self.close()
                raise RenderError(f"the deck could not be copied for LibreOffice ({e})") from None
        out = {n: os.path.join(self._tmp, f"slide-{n}.png") for n in numbers}
        started = time.monotonic()
        try:
            self.soffice.render(self._copy, out, self.width, self.height)
        finally:
            self.render_seconds += time.monotonic() - started
        for n, png in out.items():
            with atomic_path(self.path(n)) as dest:
                shutil.copyfile(png, dest)      # copied: the temp folder may be another file system (tmpfs)
        self.rendered += numbers

    def close(self):
        """Remove the render-only copy (LibreOffice itself belongs to whoever made `soffice`)."""
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = self._copy = None

    def crop(self, number: int, box, grow_down: bool = False) -> bytes:
        """PNG bytes of `box` (x, y, w, h in EMU) on slide `number`, rendered if it must be."""
        if box is None:
            raise RenderError("the object has no position on its slide")
        with self._lock:
            if not os.path.exists(self.path(number)):
                self._render([number])
            with open(self.path(number), "rb") as f:
                data = f.read()
        from ..describe.images import ImageRejected, open_image
        try:
            img = open_image(data).convert("RGB")
        except ImageRejected as e:
            raise RenderError(f"the render of slide {number} cannot be read ({e})") from None
        left, top, right, bottom = crop_box(box, (self.cx, self.cy), img.size, grow_down)
        if right - left < MIN_CROP_PX or bottom - top < MIN_CROP_PX:
            raise RenderError("the object is too small or off its slide in the render")
        buf = io.BytesIO()
        img.crop((left, top, right, bottom)).save(buf, "PNG")
        return buf.getvalue()


def crop_box(box, slide_emu, image_px, grow_down=False, margin=MARGIN_PX) -> tuple:
    """(left, top, right, bottom) pixels of an EMU box: rounded outward, a margin around, within the image."""
    x, y, w, h = box
    if grow_down:
        h *= 1 + TABLE_GROWTH
    sx, sy = image_px[0] / slide_emu[0], image_px[1] / slide_emu[1]
    return (max(0, math.floor(x * sx) - margin), max(0, math.floor(y * sy) - margin),
            min(image_px[0], math.ceil((x + w) * sx) + margin), min(image_px[1], math.ceil((y + h) * sy) + margin))
