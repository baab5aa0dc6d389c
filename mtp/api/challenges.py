"""Capture challenges: create, list, read, change and delete them, and their leaderboards.

Anyone with a ``client_id`` reads challenges; creating one takes a token with ``write`` and,
unless the instance lets everyone (MTP_CHALLENGE_CREATORS), a staff account. Only the owner
changes or deletes a challenge.
"""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router
from pydantic import AfterValidator, BeforeValidator, ConfigDict, model_validator

from mtp.api.auth import token_auth, token_or_client_auth
from mtp.api.bodies import openapi_body, validate_body
from mtp.api.errors import ApiError, invalid_parameter
from mtp.api.formats import GEOJSON, JSON_ONLY, JSON_OR_GEOJSON, negotiate
from mtp.api.leaderboards import (
    METRIC_DESCRIPTION,
    LeaderboardOut,
    LeaderboardPage,
    Metric,
    leaderboard_response,
)
from mtp.api.pagination import Ordering, next_link, page, with_next_link
from mtp.api.schemas import (
    RFC3339_DATE_TIME,
    BodyIn,
    ErrorOut,
    Name,
    StrictOut,
    invalid_input,
    line_text,
    lines_text,
)
from mtp.api.scopes import READ, WRITE, require_scope
from mtp.api.sequences import CLIENT_ID_PARAMETER, ERRORS, OWNER_ERRORS, WRITE_ERRORS, parse_bbox
from mtp.challenges import actions
from mtp.challenges.areas import parse_area
from mtp.challenges.models import (
    DESCRIPTION_MAX_LENGTH,
    MAX_CAMERA_MAKES,
    Challenge,
    may_create_challenges,
)
from mtp.lib.dates import in_utc
from mtp.lib.http import json_response
from mtp.sequences.models import find_transport_type

router = Router(tags=["challenges"])

ORDERING = Ordering("newest", "created_at", kind=datetime)
NOT_FOUND = "No challenge with this id."
# An area is GeoJSON in a JSON object: a form cannot carry it.
JSON_BODY = ("application/json",)
# A change may leave these out, never set them to null.
NOT_NULL = ("name", "area", "start", "end", "transport_types", "camera_makes")
GEOJSON_DOC = {
    "responses": {
        200: {
            "content": {
                GEOJSON: {"schema": {"type": "object", "description": "GeoJSON (RFC 7946)"}}
            }
        }
    },
    "parameters": [CLIENT_ID_PARAMETER],
}

# A challenge's description is shorter than a sequence's (the database checks it too).
Description = Annotated[str, BeforeValidator(lines_text), Field(max_length=DESCRIPTION_MAX_LENGTH)]


def _transport_types(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    names = []
    for name in value:
        if not isinstance(name, str):
            return value
        try:
            kind = find_transport_type(name, child_only=False)
        except DjangoValidationError as error:
            raise invalid_input("invalid_transport_type", error.messages[0]) from None
        if kind.name not in names:
            names.append(kind.name)
    return names


def _camera_makes(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    names: list[str] = []
    for name in value:
        if not isinstance(name, str):
            return value
        name = name.strip()
        if name and name.lower() not in (known.lower() for known in names):
            names.append(name)
    return names


TransportTypes = Annotated[
    list[str],
    BeforeValidator(_transport_types),
    Field(description="Ways of travel that count: kinds (Kayak) or groups (Water). None: any."),
]
CameraMakes = Annotated[
    list[Annotated[str, BeforeValidator(line_text), Field(max_length=100)]],
    BeforeValidator(_camera_makes),
    Field(
        max_length=MAX_CAMERA_MAKES, description="Camera makes that count (any case). None: any."
    ),
]
Area = Annotated[
    dict[str, Any],
    Field(description="A GeoJSON Polygon or MultiPolygon in WGS 84 longitude, latitude."),
]


def _date_time(value: Any) -> Any:
    # Without this, pydantic also takes a number of seconds or a time without its offset.
    if value is None or (isinstance(value, str) and RFC3339_DATE_TIME.match(value)):
        return value
    raise invalid_input(
        "invalid_moment", "Give a date-time with its offset, such as 2025-05-01T00:00:00Z."
    )


def _utc(moment: datetime) -> datetime:
    # The databases are given moments in UTC: one with no UTC value is refused here.
    try:
        return in_utc(moment)
    except ValueError as error:
        raise invalid_input("invalid_moment", str(error)) from None


DateTime = Annotated[datetime, BeforeValidator(_date_time), AfterValidator(_utc)]


class ChallengeCreateIn(BodyIn):
    """A new challenge, as JSON."""

    model_config = ConfigDict(title="ChallengeCreate")

    name: Name
    description: Description | None = ""
    area: Area
    transport_types: TransportTypes = []
    camera_makes: CameraMakes = []
    start: DateTime = Field(description="When photos start to count (RFC 3339, with its offset).")
    end: DateTime = Field(description="When they stop counting; after start.")

    @model_validator(mode="after")
    def _window(self) -> "ChallengeCreateIn":
        if self.end <= self.start:
            raise invalid_input("invalid_window", "end must be after start.")
        return self


class ChallengePatchIn(BodyIn):
    """Fields to change; those left out stay as they are."""

    model_config = ConfigDict(title="ChallengePatch")

    name: Name | None = None
    description: Description | None = None
    area: Area | None = None
    transport_types: TransportTypes | None = None
    camera_makes: CameraMakes | None = None
    start: DateTime | None = None
    end: DateTime | None = None


class ChallengeOwnerOut(StrictOut):
    username: str
    name: str
    profile_url: str


class ChallengeOut(StrictOut):
    unique_id: str
    name: str
    description: str
    owner: ChallengeOwnerOut
    transport_types: list[str]
    camera_makes: list[str]
    start: datetime
    end: datetime
    is_active: bool
    bbox: list[float] = Field(description="west, south, east, north of the area")
    url: str
    created_at: datetime
    updated_at: datetime


class ChallengeWriteOut(StrictOut):
    unique_id: str
    challenge: ChallengeOut


class ChallengeListOut(StrictOut):
    results: list[ChallengeOut]
    next: str | None


class ChallengeFilters(LeaderboardPage):
    active: bool | None = Field(
        None, description="true: running now; false: not started yet or over."
    )
    bbox: str | None = Field(
        None, description="west,south,east,north: challenges whose area's box meets this box."
    )
    q: str | None = Field(None, max_length=100, description="Text in the name or description.")


class ChallengeLeaderboardParams(LeaderboardPage):
    metric: Metric = Field(
        "images", description=METRIC_DESCRIPTION + " Inside the area, within the window."
    )


# Look-ups ---------------------------------------------------------------------------------------


def _challenges(*, with_area: bool = False):
    """Challenges with their owner and ways of travel; their area (maybe of thousands of
    corners) only ``with_area``: their JSON and their leaderboards do without it."""
    challenges = Challenge.objects.select_related("owner").prefetch_related("transport_types")
    return challenges if with_area else challenges.defer("area")


def found_challenge(unique_id: UUID, *, with_area: bool = False) -> Challenge:
    challenge = _challenges(with_area=with_area).filter(unique_id=unique_id).first()
    if challenge is None:
        raise ApiError(404, NOT_FOUND)
    return challenge


def owned_challenge(request: HttpRequest, unique_id: UUID) -> Challenge:
    challenge = found_challenge(unique_id)
    user = request.auth.user  # type: ignore[attr-defined]
    if challenge.owner_id != user.pk:
        raise ApiError(403, "Only the challenge's owner may change or delete it.")
    return challenge


def area_of(data: dict[str, Any]):
    try:
        return parse_area(data)
    except DjangoValidationError as error:
        raise invalid_parameter("area", error.messages[0]) from None


def _transport_type_ids(names: list[str]) -> list[int]:
    return [find_transport_type(name, child_only=False).pk for name in names]


def write_response(challenge: Challenge, *, status: int) -> HttpResponse:
    challenge = found_challenge(challenge.unique_id)
    data = challenge.to_dict()
    return json_response({"unique_id": data["unique_id"], "challenge": data}, status=status)


# Calls -----------------------------------------------------------------------------------------


@router.post(
    "/challenges",
    auth=token_auth,
    response={201: ChallengeWriteOut, **ERRORS, 413: ErrorOut, 415: ErrorOut},
    summary="Create a challenge",
    openapi_extra=openapi_body(ChallengeCreateIn, accepted=JSON_BODY),
)
def create_challenge(request: HttpRequest):
    """Create a capture challenge: an area, a time window, ways of travel and cameras.

    Answers 201 with the new challenge's `unique_id` and a `Location` header.
    """
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    user = request.auth.user  # type: ignore[attr-defined]
    if not may_create_challenges(user):
        raise ApiError(403, "On this server only staff members may create challenges.")
    payload = validate_body(request, ChallengeCreateIn, JSON_BODY)
    area = area_of(payload.area)
    challenge = actions.create_challenge(
        user,
        name=payload.name,
        description=payload.description or "",
        camera_makes=payload.camera_makes,
        start=payload.start,
        end=payload.end,
        area=area,
        transport_type_ids=_transport_type_ids(payload.transport_types),
    )
    response = write_response(challenge, status=201)
    response["Location"] = settings.SITE_URL + reverse(
        "api:get_challenge", args=[challenge.unique_id]
    )
    return response


@router.get(
    "/challenges",
    auth=token_or_client_auth,
    response={200: ChallengeListOut, **ERRORS},
    summary="Search challenges",
    openapi_extra=GEOJSON_DOC,
)
def list_challenges(request: HttpRequest, filters: Query[ChallengeFilters]):
    """Challenges, newest first, a page at a time (follow `next`).

    `Accept: application/geo+json` gives a FeatureCollection of their areas.
    """
    media_type = negotiate(request, JSON_OR_GEOJSON)
    require_scope(request, READ)
    queryset = _challenges(with_area=media_type == GEOJSON)
    if filters.active is True:
        queryset = queryset.active()
    elif filters.active is False:
        queryset = queryset.exclude(pk__in=Challenge.objects.active().values("pk"))
    if filters.bbox:
        queryset = queryset.in_bbox(*parse_bbox(filters.bbox))
    if filters.q and filters.q.strip():
        queryset = queryset.matching_text(filters.q.strip())
    rows, cursor = page(queryset, ORDERING, limit=filters.limit, cursor=filters.cursor)
    link = next_link(request, cursor)
    if media_type == GEOJSON:
        body = {
            "type": "FeatureCollection",
            "features": [row.to_feature() for row in rows],
            "next": link,
        }
        response = json_response(body, media_type=GEOJSON, vary=True)
    else:
        response = json_response(
            {"results": [row.to_dict() for row in rows], "next": link}, vary=True
        )
    return with_next_link(response, link)


@router.get(
    "/challenges/{uuid:unique_id}",
    auth=token_or_client_auth,
    response={200: ChallengeOut, **OWNER_ERRORS},
    summary="Read a challenge",
    openapi_extra=GEOJSON_DOC,
)
def get_challenge(request: HttpRequest, unique_id: UUID):
    """A challenge. `Accept: application/geo+json` gives a GeoJSON Feature with its area."""
    media_type = negotiate(request, JSON_OR_GEOJSON)
    require_scope(request, READ)
    challenge = found_challenge(unique_id, with_area=media_type == GEOJSON)
    if media_type == GEOJSON:
        return json_response(challenge.to_feature(), media_type=GEOJSON, vary=True)
    return json_response(challenge.to_dict(), vary=True)


@router.patch(
    "/challenges/{uuid:unique_id}",
    auth=token_auth,
    response={200: ChallengeWriteOut, **WRITE_ERRORS},
    summary="Change a challenge",
    openapi_extra=openapi_body(ChallengePatchIn, required=False, accepted=JSON_BODY),
)
def update_challenge(request: HttpRequest, unique_id: UUID):
    """Change your challenge; fields left out stay as they are."""
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    challenge = owned_challenge(request, unique_id)
    payload = validate_body(request, ChallengePatchIn, JSON_BODY)
    sent = payload.model_fields_set
    for field in NOT_NULL:
        if field in sent and getattr(payload, field) is None:
            raise invalid_parameter(field, "must not be null.")
    # The fields in NOT_NULL that were sent are not None (checked above).
    try:
        actions.change_challenge(
            request.auth.user,  # type: ignore[attr-defined]
            challenge.pk,
            name=payload.name if "name" in sent else None,
            description=(payload.description or "") if "description" in sent else None,
            camera_makes=payload.camera_makes if "camera_makes" in sent else None,
            start=payload.start if "start" in sent else None,
            end=payload.end if "end" in sent else None,
            area=area_of(payload.area) if "area" in sent else None,  # type: ignore[arg-type]
            transport_type_ids=_transport_type_ids(payload.transport_types)  # type: ignore[arg-type]
            if "transport_types" in sent
            else None,
        )
    except actions.BadWindow as error:
        raise invalid_parameter("end", str(error)) from None
    except Challenge.DoesNotExist:
        raise ApiError(404, NOT_FOUND) from None
    return write_response(challenge, status=200)


@router.delete(
    "/challenges/{uuid:unique_id}",
    auth=token_auth,
    response={204: None, **OWNER_ERRORS},
    summary="Delete a challenge",
)
def delete_challenge(request: HttpRequest, unique_id: UUID):
    """Delete your challenge. Answers 204."""
    require_scope(request, WRITE)
    challenge = owned_challenge(request, unique_id)
    try:
        actions.delete_challenge(request.auth.user, challenge.pk)  # type: ignore[attr-defined]
    except Challenge.DoesNotExist:
        raise ApiError(404, NOT_FOUND) from None
    return HttpResponse(status=204)


@router.get(
    "/challenges/{uuid:unique_id}/leaderboard",
    auth=token_or_client_auth,
    response={200: LeaderboardOut, **OWNER_ERRORS},
    summary="A challenge's leaderboard",
    openapi_extra={"parameters": [CLIENT_ID_PARAMETER]},
)
def challenge_leaderboard(
    request: HttpRequest, unique_id: UUID, params: Query[ChallengeLeaderboardParams]
):
    """People ranked by the published photos they captured inside the area within the window.

    Only the ways of travel and camera makes the challenge names count. `distance` is the
    length of their routes inside the area.
    """
    negotiate(request, JSON_ONLY)
    require_scope(request, READ)
    challenge = found_challenge(unique_id)
    return leaderboard_response(
        request, challenge.criteria(params.metric), limit=params.limit, cursor=params.cursor
    )
