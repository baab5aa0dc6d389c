"""Request and response schemas of API v1."""

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from mtp.lib.text import control_character_problem
from mtp.mapillary.formats import KEY_MAX_LENGTH, TOKEN_MAX_LENGTH
from mtp.sequences.external_links import parse_google_street_view, parse_strava
from mtp.sequences.models import (
    DESCRIPTION_MAX_LENGTH,
    MAX_TAGS,
    NAME_MAX_LENGTH,
    TAG_MAX_LENGTH,
    find_transport_type,
)
from mtp.sequences.tags import parse_tags

SOURCE_MAX_LENGTH = 50


def invalid_input(kind: str, message: str) -> PydanticCustomError:
    # The message goes through the context so that braces in user input are not a template.
    return PydanticCustomError(kind, "{message}", {"message": message})


def _text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def line_text(value: Any) -> Any:
    """Text of one line (a name, a title), trimmed; a 422 when it holds control characters
    (mtp.lib.text)."""
    value = _text(value)
    if isinstance(value, str) and (problem := control_character_problem(value)):
        raise invalid_input("control_character", problem)
    return value


def lines_text(value: Any) -> Any:
    """Text of several lines (a description), trimmed; a 422 when it holds control characters
    other than tabs and line ends."""
    value = _text(value)
    if isinstance(value, str) and (problem := control_character_problem(value, lines=True)):
        raise invalid_input("control_character", problem)
    return value


def _transport_type(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return find_transport_type(value, child_only=True).name
    except DjangoValidationError as error:
        raise invalid_input("invalid_transport_type", error.messages[0]) from None


def _tags(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and not isinstance(value, list)):
        return value
    try:
        return parse_tags(value)
    except DjangoValidationError as error:
        raise invalid_input("invalid_tag", error.messages[0]) from None


def _optional_link(value: Any) -> Any:
    return None if value is None else _text(value)


def _google_street_view(value: Any) -> Any:
    value = _optional_link(value)
    if not value or not isinstance(value, str):
        return value
    try:
        return parse_google_street_view(value)
    except DjangoValidationError as error:
        raise invalid_input("invalid_link", error.messages[0]) from None


def _strava(value: Any) -> Any:
    value = _optional_link(value)
    if isinstance(value, float) and value.is_integer():
        # JSON does not tell 272 from 272.0: both are the integer the document asks for.
        value = int(value)
    if not value or not isinstance(value, str | int):
        return value
    try:
        return parse_strava(value)
    except DjangoValidationError as error:
        raise invalid_input("invalid_link", error.messages[0]) from None


Name = Annotated[str, BeforeValidator(line_text), Field(min_length=1, max_length=NAME_MAX_LENGTH)]
Description = Annotated[str, BeforeValidator(lines_text), Field(max_length=DESCRIPTION_MAX_LENGTH)]
TransportTypeName = Annotated[
    str,
    BeforeValidator(_transport_type),
    Field(description="A kind of travel such as Walk or Kayak (any case); see /transport-types."),
]
Tags = Annotated[
    str | list[str] | None,
    BeforeValidator(_tags),
    Field(
        description="Comma-separated tags ('hike,alps') or, in JSON, a list. Lowercased; "
        f"each 1 to {TAG_MAX_LENGTH} letters, digits and hyphens; at most {MAX_TAGS}."
    ),
]
GoogleStreetView = Annotated[
    str | None,
    BeforeValidator(_google_street_view),
    Field(description="A Google Street View share link (https)."),
]
Strava = Annotated[
    str | int | None,
    BeforeValidator(_strava),
    Field(description="A Strava activity: its number, or its strava.com/activities URL."),
]
# The length applies to the text only: on "str | None" as a whole, a null fails with a TypeError.
MapillaryKey = Annotated[str, BeforeValidator(_text), Field(max_length=KEY_MAX_LENGTH)] | None
MapillaryToken = Annotated[str, BeforeValidator(_text), Field(max_length=TOKEN_MAX_LENGTH)] | None


# RFC 3339: a date-time with its offset, or a full date (as the document says).
RFC3339_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
RFC3339_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _moment(value: Any) -> Any:
    # Without this, pydantic also takes a number of seconds or a time without its offset.
    if value is None or (
        isinstance(value, str) and (RFC3339_DATE_TIME.match(value) or RFC3339_DATE.match(value))
    ):
        return value
    raise invalid_input(
        "invalid_moment",
        "Give a date-time with its offset (2024-05-01T09:00:00Z) or a date (2024-05-01).",
    )


Moment = Annotated[datetime | None, BeforeValidator(_moment)]


# Requests ------------------------------------------------------------------------------------


class BodyIn(Schema):
    """A request body: fields it does not have are refused (a misspelt field is never lost)."""

    model_config = ConfigDict(extra="forbid")

    client_id: str | None = Field(
        None, description="Your application's client ID, if sent here: the token's application."
    )


class SequenceCreateIn(BodyIn):
    """A new sequence. Sent as a form (urlencoded or multipart) or as JSON."""

    model_config = ConfigDict(title="SequenceCreate")

    name: Name
    description: Description | None = ""
    transport_type: TransportTypeName
    tag: Tags = None
    tags: Tags = Field(None, description="Same as tag: the spelling replies and PATCH use.")
    source: Annotated[str, BeforeValidator(line_text), Field(max_length=SOURCE_MAX_LENGTH)] = Field(
        "", description="The app that created the sequence, such as mtpdu."
    )

    @model_validator(mode="after")
    def _one_spelling_of_tags(self) -> "SequenceCreateIn":
        if "tags" in self.model_fields_set and "tag" in self.model_fields_set:
            raise invalid_input("conflict", "Send tags or tag, not both.")
        return self

    @property
    def tag_names(self) -> list[str]:
        return list(self.tag or self.tags or [])


class SequencePatchIn(BodyIn):
    """Fields to change; those left out stay as they are. An empty link removes it."""

    model_config = ConfigDict(title="SequencePatch")

    name: Name | None = None
    description: Description | None = None
    transport_type: TransportTypeName | None = None
    tags: Tags = Field(None, description="The new tags, replacing the old ones.")
    tag: Tags = Field(None, description="Same as tags.")
    google_street_view: GoogleStreetView = None
    strava: Strava = None
    cover: Annotated[str, BeforeValidator(_text), Field(max_length=KEY_MAX_LENGTH)] | None = Field(
        None,
        description="The key of the photo to show for the sequence; null for the first.",
    )

    @model_validator(mode="after")
    def _one_spelling_of_tags(self) -> "SequencePatchIn":
        if "tags" in self.model_fields_set and "tag" in self.model_fields_set:
            raise invalid_input("conflict", "Send tags or tag, not both.")
        if "name" in self.model_fields_set and self.name is None:
            raise invalid_input("incomplete", "A sequence needs a name.")
        return self


class ImportIn(BodyIn):
    """What to attach to a sequence: a Mapillary sequence with its token, and/or links.

    The Mapillary pair may be spelled ``seq_key`` + ``token`` (API v1) or
    ``mapillary_sequence_key`` + ``mapillary_user_token`` (the MTP Desktop Uploader).
    """

    model_config = ConfigDict(title="Import")

    seq_key: MapillaryKey = None
    token: MapillaryToken = None
    mapillary_sequence_key: MapillaryKey = None
    mapillary_user_token: MapillaryToken = None
    google_street_view: GoogleStreetView = None
    strava: Strava = None
    refresh: bool | None = Field(
        False,
        description="Fetch the Mapillary sequence again even if it was imported recently.",
    )

    @model_validator(mode="after")
    def _complete(self) -> "ImportIn":
        for first, second in (
            ("seq_key", "mapillary_sequence_key"),
            ("token", "mapillary_user_token"),
        ):
            a, b = getattr(self, first), getattr(self, second)
            if a and b and a != b:
                raise invalid_input("conflict", f"{first} and {second} differ: send one of them.")
        key, token = self.mapillary_key, self.mapillary_token
        if bool(key) != bool(token):
            raise invalid_input(
                "incomplete",
                "A Mapillary sequence key needs the user's Mapillary token, and the other way "
                "round: send both (seq_key and token).",
            )
        return self

    @property
    def is_empty(self) -> bool:
        """Nothing to attach (``{}``, or every field null or empty): the sequence stays as it is.

        The MTP Desktop Uploader sends ``{}`` when Google gave it no link.
        """
        return not (self.mapillary_key or self.google_street_view or self.strava)

    @property
    def mapillary_key(self) -> str | None:
        return self.seq_key or self.mapillary_sequence_key or None

    @property
    def mapillary_token(self) -> str | None:
        return self.token or self.mapillary_user_token or None


Sort = Literal["newest", "captured", "distance", "likes"]


class SequenceFilters(Schema):
    bbox: str | None = Field(
        None,
        description="west,south,east,north in degrees: sequences whose route crosses the box. "
        "west > east crosses the 180th meridian.",
        examples=["6.0,45.8,7.5,46.6"],
    )
    near: str | None = Field(
        None, description="lon,lat: sequences passing within `radius` metres of the point."
    )
    radius: float | None = Field(
        None,
        gt=0,
        description="Metres around `near` (default 1000, at most 100000); without `near`, ignored.",
    )
    transport_type: str | None = Field(
        None, description="A kind (Kayak) or a group (Water: all its kinds), any case."
    )
    tag: list[str] = Field(
        [], description="Repeat for several tags (or separate with commas): all must match."
    )
    user: str | None = Field(
        None,
        description="A username. Your own username lists your drafts and imports too.",
    )
    status: Literal["draft", "importing", "published", "failed"] | None = Field(
        None,
        description="Only with your own username in `user` (and a token): anyone else's "
        "sequences are only ever published, so this answers 403 otherwise.",
    )
    captured_after: Moment = Field(
        None, description="Capture started at or after this time (RFC 3339 date-time or date)."
    )
    captured_before: Moment = Field(
        None, description="Capture ended at or before this time (RFC 3339 date-time or date)."
    )
    q: str | None = Field(None, max_length=100, description="Text in the name or description.")
    is_pano: bool | None = Field(None, description="Only 360° (true) or only flat (false).")
    sort: Sort = Field(
        "newest",
        description="newest (last published first), captured (last captured first), "
        "distance (longest first), likes (most liked first).",
    )
    limit: int = Field(50, ge=1, le=100, description="Page size, at most 100.")
    cursor: str | None = Field(None, description="The `next` link's cursor, as given.")


class PageParams(Schema):
    limit: int = Field(100, ge=1, le=100, description="Page size, at most 100.")
    cursor: str | None = Field(None, description="The `next` link's cursor, as given.")


class NearbyFilters(Schema):
    lon: float = Field(ge=-180, le=180, description="Longitude of the place, degrees.")
    lat: float = Field(ge=-90, le=90, description="Latitude of the place, degrees.")
    radius: float = Field(
        15, gt=0, le=100, description="Metres around the place (default 15, at most 100)."
    )
    heading: float | None = Field(
        None,
        ge=0,
        le=360,
        description="Only photos looking this way (degrees from north); panoramas look every way.",
    )
    tolerance: float = Field(
        45, ge=0, le=180, description="Degrees either side of `heading` (default 45)."
    )
    captured_after: Moment = Field(
        None, description="Taken at or after this time (RFC 3339 date-time or date)."
    )
    captured_before: Moment = Field(
        None, description="Taken at or before this time (RFC 3339 date-time or date)."
    )
    exclude_sequence: UUID | None = Field(
        None, description="Leave this sequence out (the one being viewed)."
    )
    limit: int = Field(20, ge=1, le=100, description="At most this many photos, at most 100.")


class TagFilters(PageParams):
    prefix: str | None = Field(None, max_length=50, description="Tags starting with this.")


# Responses ------------------------------------------------------------------------------------


class StrictOut(Schema):
    # Tests validate real responses against these: an undocumented field fails them.
    model_config = ConfigDict(extra="forbid")


class ErrorOut(StrictOut):
    error: str = Field(description="What went wrong, for people.")
    status: Literal[False] = False
    detail: dict[str, Any] = Field(default_factory=dict)


class MeOut(StrictOut):
    username: str
    display_name: str
    profile_url: str


class OwnerOut(StrictOut):
    username: str
    display_name: str
    profile_url: str


class ProgressOut(StrictOut):
    done: int
    total: int


class ImportOut(StrictOut):
    status: Literal["queued", "running", "succeeded", "failed"]
    mapillary_sequence_key: str
    progress: ProgressOut
    error: str | None
    note: str | None = Field(description="What the import left out, if anything.")
    created_at: datetime
    finished_at: datetime | None


class CoverOut(StrictOut):
    key: str
    mapillary_key: str | None = Field(description="Null for a photo uploaded to this server.")
    thumb_256_url: str
    thumb_1024_url: str
    thumb_2048_url: str
    thumb_original_url: str


class SequenceOut(StrictOut):
    unique_id: str
    name: str
    description: str
    transport_type: str
    tags: list[str]
    status: Literal["draft", "importing", "published", "failed"]
    image_count: int
    distance_m: float
    captured_at_start: datetime | None
    captured_at_end: datetime | None
    is_pano: bool
    like_count: int = Field(description="How many people like it.")
    bbox: list[float] | None = Field(description="[west, south, east, north] of the route.")
    mapillary_sequence_key: str | None
    google_street_view: str | None
    strava: str | None
    source: str
    photo_source: Literal["mapillary", "upload"] = Field(
        description="Where its photos are: imported from Mapillary, or uploaded to this server."
    )
    owner: OwnerOut
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    url: str = Field(description="The sequence's page on the site.")
    cover: CoverOut | None = Field(
        description="The photo shown for the sequence: its owner's pick, else the first photo."
    )
    import_: ImportOut | None = Field(
        alias="import",
        description="The latest import, shown to the owner only.",
    )


class SequenceWriteOut(StrictOut):
    unique_id: str
    sequence: SequenceOut


class ImportAcceptedOut(StrictOut):
    unique_id: str
    sequence: SequenceOut
    import_: ImportOut = Field(alias="import")


class SequenceListOut(StrictOut):
    results: list[SequenceOut]
    next: str | None = Field(description="The next page, or null on the last one.")


class ImageOut(StrictOut):
    key: str = Field(description="The photo's own key: its Mapillary key, or its id here.")
    mapillary_key: str | None = Field(description="Null for a photo uploaded to this server.")
    position: int
    lon: float
    lat: float
    captured_at: datetime | None
    compass_angle: float | None
    altitude: float | None
    is_pano: bool
    width: int | None
    height: int | None
    camera_make: str | None
    camera_model: str | None
    like_count: int = Field(description="How many people like the photo.")
    liked: bool = Field(
        description="Whether you like it (false without a token, and in a guidebook's scenes)."
    )
    thumb_256_url: str
    thumb_1024_url: str
    thumb_2048_url: str
    thumb_original_url: str


class ImageListOut(StrictOut):
    results: list[ImageOut]
    next: str | None


class NearbySequenceOut(StrictOut):
    unique_id: str
    name: str
    owner: str = Field(description="The owner's username.")


class NearbyImageOut(ImageOut):
    distance_m: float = Field(description="Metres from the place asked about.")
    sequence: NearbySequenceOut


class NearbyListOut(StrictOut):
    results: list[NearbyImageOut] = Field(
        description="The nearest photo of each other sequence, nearest first."
    )


class TransportKindOut(StrictOut):
    name: str


class TransportTypeOut(StrictOut):
    name: str
    children: list[TransportKindOut]


class TagOut(StrictOut):
    name: str
    count: int = Field(description="Published sequences with this tag.")


class TagListOut(StrictOut):
    results: list[TagOut]
    next: str | None


class ImageLikeOut(StrictOut):
    key: str = Field(description="The photo's key.")
    liked: bool = Field(description="Whether you like it now.")
    like_count: int


class LikeOut(StrictOut):
    unique_id: str
    liked: bool = Field(description="Whether you like it now.")
    like_count: int
