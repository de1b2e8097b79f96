"""Pictures as a browser shows them: a thumbnail per row, the full image in the preview dialog.

Thumbnails are PNGs in the review folder's img/, one per image (named by its
hash), shared by the static export and the app.  The full image is the
deck's own bytes when a browser can show them (PNG, JPEG, GIF, WebP, BMP,
checked by their magic bytes, never by the deck's word), else a PNG made
with Pillow or the metafile converters; SVG and anything else a deck holds
is never handed to the browser as it is.

Objects with no picture Pillow can draw (charts, tables, SmartArt, diagrams,
ink, OLE objects, EMF pictures) are shown cut out of their slide as
LibreOffice renders it (`Renders`), from the build's render cache in the
state folder: a slide the build already rendered is not rendered again, and
whole-slide renders found there are shown for context.
"""
import hashlib
import io
import os
import re
import threading

from ..describe.images import ImageError, ImageRejected, kind_of, open_image, rasterize_metafile
from ..errors import AltdeckError
from ..files import atomic_path

THUMB = (240, 180)
_HASH = re.compile(r"[0-9a-f]{64}")
_MAGIC = (("image/png", b"\x89PNG\r\n\x1a\n"), ("image/jpeg", b"\xff\xd8\xff"), ("image/gif", b"GIF8"),
          ("image/bmp", b"BM"))
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/bmp": "bmp", "image/webp": "webp"}


class NoPreview(AltdeckError):
    """The image cannot be shown in a browser; str() says why."""


def thumb_name(image: str) -> str:
    """The thumbnail's path relative to the review folder (image: a sha256 in hex)."""
    if not _HASH.fullmatch(image or ""):
        raise NoPreview("no image")
    return f"img/{image[:16]}.png"


def thumbnail(data: bytes, dest) -> str | None:
    """Write a PNG thumbnail; None (and nothing written) when Pillow cannot render the image."""
    try:
        with open_image(data, formats=None) as img:
            img.thumbnail(THUMB)
            if img.mode not in ("RGB", "RGBA", "L", "LA"):
                img = img.convert("RGBA")
            with atomic_path(dest) as tmp:
                img.save(tmp, "PNG")
        return None
    except ImageRejected as e:
        return str(e)
    except OSError as e:                  # Pillow opens EMF/WMF but cannot draw them off Windows
        return str(e) or type(e).__name__


def browser_type(data: bytes) -> str | None:
    """The content type a browser shows these bytes as, or None when they are not such an image."""
    for ctype, magic in _MAGIC:
        if data.startswith(magic):
            return ctype
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def for_browser(data: bytes, content_type: str = "", metafiles: bool = True) -> tuple:
    """(bytes, content type) of the full image a browser can show; NoPreview with the reason otherwise.

    `metafiles`: rasterize EMF/WMF (external converters, up to a minute each: for one preview on demand,
    not for a whole course's export).
    """
    ctype = browser_type(data)
    if ctype:
        return data, ctype
    kind = kind_of(data, content_type)
    try:
        if kind in ("emf", "wmf") and metafiles:
            return rasterize_metafile(data, kind), "image/png"
        with open_image(data) as img:          # TIFF and other rasters Pillow reads: as PNG, full size
            out = io.BytesIO()
            (img if img.mode in ("RGB", "RGBA", "L", "LA") else img.convert("RGBA")).save(out, "PNG")
            return out.getvalue(), "image/png"
    except (ImageError, ImageRejected, OSError) as e:
        raise NoPreview(f"no preview ({content_type or kind}: {e})") from None


def write_full(data: bytes, content_type: str, folder, image: str) -> str:
    """Write the full image for a static page once; -> its path relative to the review folder."""
    thumb_name(image)                                      # a hash, or NoPreview
    data, ctype = for_browser(data, content_type, metafiles=False)
    rel = f"img/full/{image[:16]}.{EXTENSIONS[ctype]}"
    dest = os.path.join(folder, rel)
    if not os.path.exists(dest):
        with atomic_path(dest) as tmp:
            with open(tmp, "wb") as f:
                f.write(data)
    return rel


class Renders:
    """Objects cut out of their rendered slide, and whole-slide renders, through the render cache.

    LibreOffice starts only when a wanted slide is not in the cache (one for the whole review,
    stopped by close()); a deck is rendered at a time (`_lock`).
    """

    def __init__(self, cfg):
        self.cfg = cfg
        self.cache = cfg.root_dir / cfg.state_dir / "renders"
        self.folder = cfg.root_dir / cfg.review_dir
        self._soffice = None
        self._lock = threading.Lock()

    def crops(self, deck, wanted) -> dict:
        """Write thumbnails and full-size crops of one deck's objects into the review folder.

        `wanted`: (slide, box, kind) of each object -> {that: (thumbnail path, full path) relative to the
        review folder, or the NoPreview saying why not}.  Crops already written are not made again.
        """
        from ..ooxml.package import Package
        from ..render.slides import SlideRenders
        from ..render.soffice import RenderError, Soffice
        wanted = list(dict.fromkeys(wanted))
        out = {}
        with self._lock:
            try:
                with Package(self.cfg.root_dir / deck, name=deck) as pkg:
                    if self._soffice is None:
                        self._soffice = Soffice(self.cfg.batch.deck_timeout_s)
                    renders = SlideRenders(pkg, self.cache, self._soffice)
                    try:
                        names = {w: self._name(renders, *w[:2]) for w in wanted}
                        todo = [w for w in wanted if not os.path.exists(os.path.join(self.folder, names[w][1]))]
                        try:
                            renders.prepare(slide for slide, _, _ in todo)
                        except RenderError as e:
                            return {w: (names[w] if w not in todo else NoPreview(f"no preview ({e})")) for w in wanted}
                        for w in wanted:
                            out[w] = names[w] if w not in todo else self._write(renders, w, names[w])
                    finally:
                        renders.close()
            except (AltdeckError, OSError) as e:
                return {w: NoPreview(f"no preview (could not open the deck: {e})") for w in wanted}
        return out

    @staticmethod
    def _name(renders, slide, box) -> tuple:
        """(thumbnail, full crop) paths: named by the slide's render digest (its content) and the box."""
        h = hashlib.sha256(f"{renders.digest(slide)}|{box}".encode()).hexdigest()[:16]
        return f"img/r-{h}.png", f"img/full/r-{h}.png"

    def _write(self, renders, wanted, names):
        from ..render.soffice import RenderError
        slide, box, kind = wanted
        try:
            data = renders.crop(slide, box, grow_down=kind == "table")
        except RenderError as e:
            return NoPreview(f"no preview ({e})")
        problem = thumbnail(data, os.path.join(self.folder, names[0]))
        if problem:
            return NoPreview(f"no preview ({problem})")
        with atomic_path(os.path.join(self.folder, names[1])) as tmp:
            with open(tmp, "wb") as f:
                f.write(data)
        return names

    def slides(self, deck, numbers) -> dict:
        """{slide number: path of its render} for those LibreOffice already made (never renders)."""
        from ..ooxml.package import Package
        from ..render.slides import SlideRenders
        if not os.path.isdir(self.cache):
            return {}
        try:
            with Package(self.cfg.root_dir / deck, name=deck) as pkg:
                renders = SlideRenders(pkg, self.cache, None)
                paths = {n: renders.path(n) for n in set(numbers)}
        except (AltdeckError, OSError, KeyError):
            return {}
        return {n: p for n, p in paths.items() if os.path.isfile(p)}

    def close(self):
        if self._soffice is not None:
            self._soffice.close()
            self._soffice = None
