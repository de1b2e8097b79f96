"""Pictures as a browser shows them: a thumbnail per row, the full image in the preview dialog.

Thumbnails are PNGs in the review folder's img/, one per image (named by its
hash), shared by the static export and the app.  The full image is the
deck's own bytes when a browser can show them (PNG, JPEG, GIF, WebP, BMP,
checked by their magic bytes, never by the deck's word), else a PNG made
with Pillow or the metafile converters; SVG and anything else a deck holds
is never handed to the browser as it is.
"""
import io
import os
import re

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
