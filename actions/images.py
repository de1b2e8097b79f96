"""Open picture bytes from a deck safely with Pillow.

A deck can hold a small PNG that decodes to gigapixels (a decompression
bomb).  Pillow only warns between MAX_IMAGE_PIXELS and twice that; here the
warning is an error everywhere, and the pixel count is checked again
explicitly so other warning filters cannot switch the check off (no
`catch_warnings` here: it is not thread-safe, and decks may build in threads).
Every other Pillow failure (truncated, unknown or corrupt data) becomes one
`ImageRejected` with a short reason, so a bad picture leaves that picture
undescribed instead of crashing the deck.

Use `open_image(data)` wherever altdeck decodes an image (e.g. before
preparing it for a vision model).
"""
import io
import warnings

from PIL import Image, UnidentifiedImageError

# Promote the warning to an error for the whole process (altdeck never wants a bomb decoded).
warnings.simplefilter("error", Image.DecompressionBombWarning)

RASTER_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")


class ImageRejected(ValueError):
    """The bytes are not an image altdeck will decode; str() is a short reason."""


def open_image(data: bytes, formats=RASTER_FORMATS, max_pixels: int | None = None, load: bool = True):
    """A Pillow image from `data`, decoded (load=True) and checked; raises ImageRejected.

    `max_pixels` defaults to Pillow's MAX_IMAGE_PIXELS (about 89 megapixels).
    """
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
