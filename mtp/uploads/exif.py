"""What an uploaded photo says about itself: read with geopic-tag-reader, Panoramax's own
EXIF/XMP reader (position, time with its offset, heading, camera, field of view, 360° from
GPano), and checked: a photo without a position or a time, or that is not a whole JPEG, is
refused with the reason.
"""

from dataclasses import dataclass
from datetime import datetime

import pyvips
from geopic_tag_reader import reader

JPEG_START = b"\xff\xd8\xff"
JPEG_END = b"\xff\xd9"


class PhotoRefused(ValueError):
    """The photo cannot be taken; ``str()`` says why, fit for the person who sent it."""


@dataclass(frozen=True)
class Overrides:
    """What the uploader says instead of the photo's own tags (Panoramax's ``override_*``)."""

    lon: float | None = None
    lat: float | None = None
    captured_at: datetime | None = None


@dataclass(frozen=True)
class PhotoTags:
    lon: float
    lat: float
    captured_at: datetime
    heading: float | None
    altitude: float | None
    camera_make: str
    camera_model: str
    field_of_view: int | None
    is_pano: bool
    width: int
    height: int


def check_jpeg(data: bytes) -> None:
    """Refuse what is not a JPEG, or one cut short (it must end with its EOI marker, padding
    of zero bytes aside)."""
    if not data.startswith(JPEG_START):
        raise PhotoRefused("The file is not a JPEG photo: only JPEG photos are taken.")
    if not data.rstrip(b"\x00").endswith(JPEG_END):
        raise PhotoRefused("The JPEG file is truncated: it stops before its end.")


def read_tags(data: bytes, overrides: Overrides | None = None) -> PhotoTags:
    """The tags of a JPEG photo, the uploader's overrides applied; ``PhotoRefused`` when it is
    not a whole JPEG, or has no position or no capture time (and no override gives one)."""
    check_jpeg(data)
    overrides = overrides or Overrides()
    try:
        tags: reader.GeoPicTags | reader.PartialGeoPicTags = reader.readPictureMetadata(data)
    except reader.PartialExifException as partial:
        tags = partial.tags
    except reader.InvalidExifException as error:
        raise PhotoRefused(f"The photo's metadata cannot be read: {error}") from None
    except (RuntimeError, ValueError) as error:
        # pyexiv2 raises RuntimeError on a file it cannot parse.
        raise PhotoRefused(f"The photo cannot be read: {error}") from None
    lat = overrides.lat if overrides.lat is not None else tags.lat
    lon = overrides.lon if overrides.lon is not None else tags.lon
    captured_at = overrides.captured_at or tags.ts
    if lat is None or lon is None or (lat == 0 and lon == 0):
        raise PhotoRefused("The photo has no position: its EXIF tags hold no GPS coordinates.")
    if captured_at is None:
        raise PhotoRefused("The photo has no capture time: its EXIF tags hold no valid date.")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise PhotoRefused("The photo's position is outside the world's coordinates.")
    width, height = _size(data)
    is_pano = tags.type == "equirectangular"
    return PhotoTags(
        lon=float(lon),
        lat=float(lat),
        captured_at=captured_at,
        heading=float(tags.heading) % 360 if tags.heading is not None else None,
        altitude=float(tags.altitude) if tags.altitude is not None else None,
        camera_make=(tags.make or "").strip()[:100],
        camera_model=(tags.model or "").strip()[:100],
        field_of_view=360 if is_pano else tags.field_of_view,
        is_pano=is_pano,
        width=width,
        height=height,
    )


def _size(data: bytes) -> tuple[int, int]:
    """The photo's width and height in pixels, from its JPEG header (libvips reads no more)."""
    try:
        image = pyvips.Image.new_from_buffer(data, "", access="sequential")
    except pyvips.Error:
        raise PhotoRefused("The JPEG file cannot be decoded.") from None
    return image.width, image.height
