"""Pictures: decoding them safely, and preparing one for a vision model.

A deck can hold a small PNG that decodes to gigapixels (a decompression
bomb).  Pillow only warns between MAX_IMAGE_PIXELS and twice that; here the
warning is an error for the whole process once Pillow is loaded, and the
pixel count is checked again explicitly so other warning filters cannot
switch the check off (no `catch_warnings`: it is not thread-safe, and decks
may build in threads).  Every other Pillow failure (truncated, unknown or
corrupt data) becomes one `ImageRejected` with a short reason, so a bad
picture leaves that picture undescribed instead of crashing the deck.
Decode with `open_image(data)` wherever altdeck decodes an image.

Models take PNG/JPEG, not Office metafiles, and gain nothing from 20-megapixel
photos.  EMF/WMF are rasterized by external converters run in their own
process group with a timeout (emf2svg-conv + rsvg-convert, wmf2gd, then
LibreOffice); when none works the picture stays pending with the reason.
Everything is downscaled to LONGEST_SIDE, flattened onto white (transparent
pixels read as black to many models), converted from CMYK/palette to RGB,
first frame only, and re-encoded as PNG.

Pillow is imported on first use.  Its version is signature.IMAGES_VERSION: bump
it when what a model is sent changes.
"""
import functools
import io
import os
import subprocess
import tempfile

from ..procs import run_quietly

LONGEST_SIDE = 1024
CONVERT_TIMEOUT_S = 60
RASTER_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")

_METAFILES = {"image/x-emf": "emf", "image/emf": "emf", "image/x-wmf": "wmf", "image/wmf": "wmf"}


class ImageRejected(ValueError):
    """The bytes are not an image altdeck will decode; str() is a short reason."""


class ImageError(Exception):
    """The picture cannot be made into an image for the model; str() is the pending reason."""


@functools.cache
def _pil():
    """Pillow's Image module, with decompression-bomb warnings made errors for the whole process."""
    import warnings

    from PIL import Image
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    return Image


def open_image(data: bytes, formats=RASTER_FORMATS, max_pixels: int | None = None, load: bool = True):
    """A Pillow image from `data`, decoded (load=True) and checked; raises ImageRejected.

    `max_pixels` defaults to Pillow's MAX_IMAGE_PIXELS (about 89 megapixels).
    """
    Image = _pil()
    from PIL import UnidentifiedImageError
    limit = max_pixels if max_pixels is not None else Image.MAX_IMAGE_PIXELS
    try:
        img = Image.open(io.BytesIO(data), formats=formats)
        if limit and img.width * img.height > limit:
            raise ImageRejected(f"image is {img.width}x{img.height} pixels (limit {limit:,}); "
                                "refusing a possible decompression bomb")
        if load:
            img.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as e:
        raise ImageRejected(f"refusing a possible decompression bomb ({e})") from None
    except UnidentifiedImageError:
        raise ImageRejected(f"not an image format altdeck decodes ({', '.join(formats or ())})") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as e:   # truncated, corrupt
        raise ImageRejected(f"corrupt image ({e})") from None
    return img


def is_image_type(content_type: str) -> bool:
    """Whether a part is an image prepare() may make something of; anything else (a pasted PDF) is rendered."""
    return not content_type or content_type.startswith("image/")      # "": undeclared, the bytes will tell


def kind_of(data: bytes, content_type: str) -> str:
    """emf, wmf, svg or raster, from the content type, else the magic bytes."""
    if content_type in _METAFILES:
        return _METAFILES[content_type]
    if content_type == "image/svg+xml" or data.lstrip()[:5] in (b"<svg ", b"<?xml"):
        return "svg"
    if data[40:44] == b" EMF":
        return "emf"
    if data[:4] in (b"\xd7\xcd\xc6\x9a", b"\x01\x00\x09\x00", b"\x02\x00\x09\x00"):
        return "wmf"
    return "raster"


def prepare(data: bytes, content_type: str = "", timeout_s: float = CONVERT_TIMEOUT_S, image=None) -> bytes:
    """PNG bytes ready to send; raises ImageError with a reason for the report.

    `image`: the picture already prepared at another size (prepared_image), made the model's size here.
    """
    img = prepared_image(data, content_type, timeout_s) if image is None else image.copy()
    img.thumbnail((LONGEST_SIDE, LONGEST_SIDE), _pil().LANCZOS)
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


def prepared_image(data: bytes, content_type: str = "", timeout_s: float = CONVERT_TIMEOUT_S,
                   longest_side: int = LONGEST_SIDE):
    """The picture as an RGB Pillow image at most `longest_side` pixels long (OCR reads larger ones
    than models get); raises ImageError with a reason for the report."""
    kind = kind_of(data, content_type)
    if kind == "svg":              # an SVG without its PNG fallback (scan sends the fallback when there is one)
        data = rasterize_svg(data, timeout_s)
    elif kind != "raster":
        data = rasterize_metafile(data, kind, timeout_s)
    return _normalize(data, longest_side)


def _normalize(data: bytes, longest_side: int):
    Image = _pil()
    from PIL import ImageOps
    try:
        with open_image(data) as img:      # decompression bombs and corrupt data are refused here
            img.seek(0)                               # first frame of an animated GIF/PNG/WebP
            img = ImageOps.exif_transpose(img)
            img = _flatten(img)
            img.thumbnail((longest_side, longest_side), Image.LANCZOS)
            return img
    except ImageRejected as e:
        what = "is too large to prepare safely" if "decompression bomb" in str(e) else "cannot be read"
        raise ImageError(f"picture {what} ({e})") from None
    except (OSError, ValueError, SyntaxError) as e:
        raise ImageError(f"picture cannot be read as an image ({type(e).__name__}: {e})") from None


def _flatten(img):
    """RGB on white, whatever the mode (CMYK, palette with transparency, LA, RGBA, 16-bit)."""
    if img.mode == "CMYK":
        return img.convert("RGB")
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        img = img.point(lambda v: v / 256).convert("L")
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    if has_alpha:
        Image = _pil()
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img.convert("RGB")


# ---- metafiles -----------------------------------------------------------------------------------

def rasterize_metafile(data: bytes, kind: str, timeout_s: float = CONVERT_TIMEOUT_S) -> bytes:
    """PNG bytes of an EMF/WMF, from the first converter that works."""
    tried = []
    with tempfile.TemporaryDirectory(prefix="altdeck-img-") as tmp:
        src = os.path.join(tmp, f"picture.{kind}")
        with open(src, "wb") as f:
            f.write(data)
        for name, convert in (_CONVERTERS[kind] + [("soffice", _soffice)]):
            try:
                png = convert(src, tmp, timeout_s)
            except FileNotFoundError:
                tried.append(f"{name} not installed")
                continue
            except subprocess.TimeoutExpired:
                tried.append(f"{name} timed out after {timeout_s:g}s")
                continue
            if png and _is_image(png):
                return png
            tried.append(f"{name} failed")
    raise ImageError(f"{kind.upper()} picture could not be rasterized ({'; '.join(tried)})")


def rasterize_svg(data: bytes, timeout_s: float = CONVERT_TIMEOUT_S) -> bytes:
    """PNG bytes of an SVG, by rsvg-convert; alone in a temp folder, it can pull in no other file."""
    with tempfile.TemporaryDirectory(prefix="altdeck-img-") as tmp:
        src, png = os.path.join(tmp, "picture.svg"), os.path.join(tmp, "picture.png")
        with open(src, "wb") as f:
            f.write(data)
        try:
            run_quietly(["rsvg-convert", "--width", str(LONGEST_SIDE), "--keep-aspect-ratio", "-o", png, src], timeout_s)
        except FileNotFoundError:
            raise ImageError("SVG picture could not be rasterized (rsvg-convert not installed)") from None
        except subprocess.TimeoutExpired:
            raise ImageError(f"SVG picture could not be rasterized (rsvg-convert timed out after {timeout_s:g}s)") from None
        out = _read(png)
        if not out or not _is_image(out):
            raise ImageError("SVG picture could not be rasterized (rsvg-convert failed)")
        return out


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _emf2svg(src, tmp, timeout_s):
    svg, png = os.path.join(tmp, "emf.svg"), os.path.join(tmp, "emf.png")
    run_quietly(["emf2svg-conv", "-i", src, "-o", svg], timeout_s)     # exits 0 even when it aborts: check the file
    if not os.path.exists(svg) or not os.path.getsize(svg):
        return None
    run_quietly(["rsvg-convert", "--width", str(LONGEST_SIDE), "--keep-aspect-ratio", "-o", png, svg], timeout_s)
    return _read(png)


def _wmf2gd(src, tmp, timeout_s):
    png = os.path.join(tmp, "wmf.png")
    run_quietly(["wmf2gd", "-t", "png", f"--maxwidth={LONGEST_SIDE}", f"--maxheight={LONGEST_SIDE}", "--maxpect",
          "-o", png, src], timeout_s)
    return _read(png)


def _soffice(src, tmp, timeout_s):
    """LibreOffice draws the metafile on a page; the transparent margin is cropped away."""
    out = os.path.join(tmp, "soffice")
    profile = "file://" + os.path.join(tmp, "profile")
    run_quietly(["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore", "--nologo",
          "--convert-to", "png", "--outdir", out, src], timeout_s)
    png = _read(os.path.join(out, "picture.png"))
    if not png:
        return None
    with open_image(png) as img:
        img = img.convert("RGBA")
        box = img.getchannel("A").getbbox()
        if not box:
            return None
        buf = io.BytesIO()
        img.crop(box).save(buf, "PNG")
        return buf.getvalue()


def _is_image(data: bytes) -> bool:
    try:
        with open_image(data) as img:
            return img.width > 1 and img.height > 1 and img.convert("L").getextrema() != (255, 255)
    except Exception:         # noqa: BLE001 - any failure means "not a usable image"
        return False


_CONVERTERS = {"emf": [("emf2svg-conv", _emf2svg)], "wmf": [("wmf2gd", _wmf2gd)]}
