"""Photos the Mapillary stand-in serves: real JPEG bytes, drawn with Pillow.

Each photo is a sky over ground, with a post every 45 degrees of heading labelled N, NE, E...
and the image's id written on it, so that tests (and people) can tell photos apart and see a
panorama turn. Panoramas are 2:1 (equirectangular), other photos 4:3.
"""

import functools
import io
import zlib

from PIL import Image, ImageDraw

# The width of each size; "original" is kept small, as drawing it is all the stand-in does.
WIDTHS = {"256": 256, "1024": 1024, "2048": 2048, "original": 2048}
LABELS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


@functools.lru_cache(maxsize=512)
def jpeg(image_id: str, size: str, pano: bool) -> bytes:
    """The JPEG of ``image_id`` at ``size`` (a key of ``WIDTHS``)."""
    width = WIDTHS[size]
    height = width // 2 if pano else width * 3 // 4
    hue = zlib.crc32(image_id.encode()) % 360
    sky = _colour(hue, 0.35, 0.85)
    ground = _colour((hue + 40) % 360, 0.45, 0.45)
    picture = Image.new("RGB", (width, height), sky)
    draw = ImageDraw.Draw(picture)
    horizon = height // 2
    draw.rectangle((0, horizon, width, height), fill=ground)
    # A post every 45 degrees across a panorama; across a photo, three posts.
    posts = len(LABELS) if pano else 3
    for index in range(posts):
        x = int((index + 0.5) * width / posts)
        post = max(2, width // 200)
        draw.rectangle((x - post, horizon - height // 4, x + post, horizon), fill=(40, 40, 40))
        label = LABELS[index] if pano else str(index + 1)
        draw.text((x + 2 * post, horizon - height // 4), label, fill=(0, 0, 0))
    draw.text((4, 4), image_id, fill=(0, 0, 0))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=70)
    return out.getvalue()


def _colour(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    """An RGB colour from hue (degrees), saturation and value (0 to 1)."""
    chroma = value * saturation
    x = chroma * (1 - abs((hue / 60) % 2 - 1))
    m = value - chroma
    sector = int(hue // 60) % 6
    red, green, blue = [
        (chroma, x, 0),
        (x, chroma, 0),
        (0, chroma, x),
        (0, x, chroma),
        (x, 0, chroma),
        (chroma, 0, x),
    ][sector]
    return (int((red + m) * 255), int((green + m) * 255), int((blue + m) * 255))
