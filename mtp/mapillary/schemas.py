"""Pydantic models of the Mapillary Graph API v4 replies an import reads.

Mapillary's replies are loose: ids are strings (sometimes numbers), large numbers may come
as floats, and any field may be missing. The models accept all of that and ignore unknown
fields. A reply with a malformed value (a NaN, a string where a number belongs) is not
refused: ``parse_images`` reads it again leniently, turning each malformed optional value
into ``None``. Strict first, lenient on failure, because the strict path runs in compiled
code and an import reads tens of thousands of images.

Reference: https://www.mapillary.com/developer/api-documentation
"""

import json
import math
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError


class Reply(BaseModel):
    model_config = ConfigDict(
        extra="ignore", coerce_numbers_to_str=True, frozen=True, allow_inf_nan=False
    )


class MapillaryUser(Reply):
    """The owner of a token (``/me``) or an image's ``creator``."""

    id: str
    username: str | None = None


class GeoPoint(Reply):
    """A GeoJSON Point: ``coordinates`` is [lon, lat] (perhaps with an altitude)."""

    type: str = "Point"
    coordinates: list[float]

    @property
    def position(self) -> tuple[float, float] | None:
        """(lon, lat), or None when it is not a valid position on Earth."""
        if self.type != "Point" or len(self.coordinates) < 2:
            return None
        lon, lat = self.coordinates[0], self.coordinates[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return None
        return (lon, lat)


class ImageDetails(Reply):
    """One image's details, every field but ``id`` optional."""

    id: str
    geometry: GeoPoint | None = None
    computed_geometry: GeoPoint | None = None
    captured_at: float | None = None
    compass_angle: float | None = None
    computed_compass_angle: float | None = None
    camera_type: str | None = None
    is_pano: bool | None = None
    make: str | None = None
    model: str | None = None
    width: int | None = None
    height: int | None = None
    altitude: float | None = None
    creator: MapillaryUser | None = None
    sequence: str | None = None
    thumb_256_url: str | None = None
    thumb_1024_url: str | None = None
    thumb_2048_url: str | None = None
    thumb_original_url: str | None = None

    @property
    def location(self) -> tuple[float, float] | None:
        """Where the image was taken, (lon, lat): Mapillary's computed position when it has one."""
        computed = self.computed_geometry.position if self.computed_geometry else None
        return computed or (self.geometry.position if self.geometry else None)

    @property
    def captured_at_datetime(self) -> datetime | None:
        """The capture time (``captured_at`` is milliseconds since the epoch), or None."""
        if self.captured_at is None:
            return None
        try:
            return datetime.fromtimestamp(self.captured_at / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None

    @property
    def heading(self) -> float | None:
        """The compass angle in [0, 360): the computed one when there is one."""
        angle = self.computed_compass_angle
        if angle is None:
            angle = self.compass_angle
        return None if angle is None else angle % 360

    @property
    def panoramic(self) -> bool:
        if self.is_pano is not None:
            return self.is_pano
        return (self.camera_type or "").lower() in ("spherical", "equirectangular")


class ImageId(Reply):
    id: str


class ImageIdsReply(Reply):
    data: list[ImageId]


class ImagesReply(Reply):
    data: list[ImageDetails]


# What an import asks for each image.
IMPORT_FIELDS: tuple[str, ...] = (
    "id",
    "geometry",
    "computed_geometry",
    "captured_at",
    "compass_angle",
    "computed_compass_angle",
    "camera_type",
    "is_pano",
    "make",
    "model",
    "width",
    "height",
    "altitude",
    "creator",
    "sequence",
    "thumb_256_url",
    "thumb_1024_url",
    "thumb_2048_url",
    "thumb_original_url",
)


def parse_images(body: bytes) -> ImagesReply:
    """An ``/images`` reply; malformed optional values become None rather than refusing it.

    Raises ``ValidationError`` when the body is not JSON (a truncated reply) or not an
    ``{"data": [...]}`` object.
    """
    try:
        return ImagesReply.model_validate_json(body)
    except ValidationError as strict_error:
        if any(error["type"] == "json_invalid" for error in strict_error.errors()):
            raise
        reply = json.loads(body)
        if not isinstance(reply, dict) or not isinstance(reply.get("data"), list):
            raise
        images = [
            ImageDetails.model_validate(clean_image(item))
            for item in reply["data"]
            if isinstance(item, dict) and _text(item.get("id"))
        ]
        return ImagesReply(data=images)


# -- the lenient reading of one image --------------------------------------------------------


def _finite_float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _whole_number(value: Any) -> int | None:
    number = _finite_float(value)
    if number is None or number < 0:
        return None
    return round(number)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value if isinstance(value, str) else None


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _point(value: Any) -> dict | None:
    if not isinstance(value, dict) or not isinstance(value.get("coordinates"), list | tuple):
        return None
    coordinates = [_finite_float(number) for number in value["coordinates"][:3]]
    if len(coordinates) < 2 or None in coordinates[:2]:
        return None
    kind = value.get("type", "Point")
    return {"type": kind if isinstance(kind, str) else "", "coordinates": coordinates[:2]}


def _user(value: Any) -> dict | None:
    if not isinstance(value, dict) or not _text(value.get("id")):
        return None
    return {"id": _text(value["id"]), "username": _text(value.get("username"))}


def _sequence_id(value: Any) -> str | None:
    # ``sequence`` is an id string; some replies nest it as {"id": ...}.
    if isinstance(value, dict):
        value = value.get("id")
    return _text(value)


_CLEANERS = {
    "geometry": _point,
    "computed_geometry": _point,
    "captured_at": _finite_float,
    "compass_angle": _finite_float,
    "computed_compass_angle": _finite_float,
    "camera_type": _text,
    "is_pano": _flag,
    "make": _text,
    "model": _text,
    "width": _whole_number,
    "height": _whole_number,
    "altitude": _finite_float,
    "creator": _user,
    "sequence": _sequence_id,
    "thumb_256_url": _text,
    "thumb_1024_url": _text,
    "thumb_2048_url": _text,
    "thumb_original_url": _text,
}


def clean_image(item: dict[str, Any]) -> dict[str, Any]:
    """One image's fields with every malformed value replaced by None."""
    cleaned: dict[str, Any] = {"id": _text(item.get("id"))}
    for name, clean in _CLEANERS.items():
        if name in item:
            cleaned[name] = clean(item[name])
    return cleaned
