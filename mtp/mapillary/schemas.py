"""Pydantic models of the Mapillary Graph API v4 replies an import reads.

Mapillary's replies are loose: ids are strings (sometimes numbers), large numbers may come
as floats, and any field may be missing. These models accept all of that, turn a malformed
optional value into ``None`` instead of refusing the whole reply, and ignore unknown fields.

Reference: https://www.mapillary.com/developer/api-documentation
"""

import math
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


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


def _point(value: Any) -> tuple[float, float] | None:
    """A GeoJSON Point as (lon, lat), or None when it is missing or not a valid position."""
    if not isinstance(value, dict) or value.get("type", "Point") != "Point":
        return None
    coordinates = value.get("coordinates")
    if not isinstance(coordinates, list | tuple) or len(coordinates) < 2:
        return None
    lon, lat = _finite_float(coordinates[0]), _finite_float(coordinates[1])
    if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return (lon, lat)


def _sequence_id(value: Any) -> str | None:
    # ``sequence`` is an id string; some replies nest it as {"id": ...}.
    if isinstance(value, dict):
        value = value.get("id")
    return _text(value)


Number = Annotated[float | None, BeforeValidator(_finite_float)]
WholeNumber = Annotated[int | None, BeforeValidator(_whole_number)]
Text = Annotated[str | None, BeforeValidator(_text)]
Flag = Annotated[bool | None, BeforeValidator(_flag)]
Point = Annotated[tuple[float, float] | None, BeforeValidator(_point)]
SequenceId = Annotated[str | None, BeforeValidator(_sequence_id)]


class Reply(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, frozen=True)


class MapillaryUser(Reply):
    """The owner of a token (``/me``) or an image's ``creator``."""

    id: str
    username: Text = None


def _creator(value: Any) -> MapillaryUser | None:
    if not isinstance(value, dict):
        return None
    user_id = _text(value.get("id"))
    if not user_id:
        return None
    return MapillaryUser(id=user_id, username=_text(value.get("username")))


class ImageDetails(Reply):
    """One image's details, every field but ``id`` optional."""

    id: str
    geometry: Point = None
    computed_geometry: Point = None
    captured_at: Number = None
    compass_angle: Number = None
    computed_compass_angle: Number = None
    camera_type: Text = None
    is_pano: Flag = None
    make: Text = None
    model: Text = None
    width: WholeNumber = None
    height: WholeNumber = None
    altitude: Number = None
    creator: Annotated[MapillaryUser | None, BeforeValidator(_creator)] = None
    sequence: SequenceId = None
    thumb_256_url: Text = None
    thumb_1024_url: Text = None
    thumb_2048_url: Text = None
    thumb_original_url: Text = None

    @property
    def location(self) -> tuple[float, float] | None:
        """Where the image was taken, (lon, lat): Mapillary's computed position when it has one."""
        return self.computed_geometry or self.geometry

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
