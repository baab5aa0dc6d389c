"""Leaderboards: people ranked by the photos, distance or sequences they published, or by the
likes their photos received; and the most liked photos."""

from datetime import timedelta
from typing import Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from mtp.api.auth import token_or_client_auth
from mtp.api.errors import ApiError, invalid_parameter
from mtp.api.formats import JSON_ONLY, negotiate
from mtp.api.pagination import next_link, with_next_link
from mtp.api.schemas import StrictOut
from mtp.api.scopes import READ, require_scope
from mtp.api.sequences import CLIENT_ID_PARAMETER, ERRORS, parse_bbox
from mtp.lib.http import json_response
from mtp.sequences.leaderboard import (
    PERIOD_DAYS,
    Criteria,
    camera_make_ids,
    decode_cursor,
    decode_photo_cursor,
    encode_cursor,
    encode_photo_cursor,
    most_liked_photos,
    standings,
    transport_type_ids,
)
from mtp.sequences.models import find_transport_type

router = Router(tags=["leaderboards"])

# A challenge's leaderboard counts what was captured in its area; the global one also likes.
Metric = Literal["images", "distance", "sequences"]
GlobalMetric = Literal["images", "distance", "sequences", "photo_likes"]
Period = Literal["all", "year", "month", "week"]

METRIC_DESCRIPTION = "images (photos), distance (metres of route) or sequences (how many)."
GLOBAL_METRIC_DESCRIPTION = (
    "images (photos), distance (metres of route), sequences (how many) or photo_likes (likes "
    "their photos received)."
)


class LeaderboardPage(Schema):
    limit: int = Field(50, ge=1, le=100, description="Page size, at most 100.")
    cursor: str | None = Field(None, description="The `next` link's cursor, as given.")


class PhotoLeaderboardFilters(LeaderboardPage):
    period: Period = Field(
        "all", description="Photos captured in the last 365 (year), 30 (month) or 7 (week) days."
    )
    transport_type: str | None = Field(
        None, description="A kind (Kayak) or a group (Water: all its kinds), any case."
    )
    camera_make: str | None = Field(None, max_length=100, description="A camera make, any case.")
    bbox: str | None = Field(
        None,
        description="west,south,east,north in degrees: photos inside the box.",
        examples=["6.0,45.8,7.5,46.6"],
    )


class LeaderboardFilters(LeaderboardPage):
    metric: GlobalMetric = Field("images", description=GLOBAL_METRIC_DESCRIPTION)
    period: Period = Field(
        "all", description="Photos captured in the last 365 (year), 30 (month) or 7 (week) days."
    )
    transport_type: str | None = Field(
        None, description="A kind (Kayak) or a group (Water: all its kinds), any case."
    )
    camera_make: str | None = Field(None, max_length=100, description="A camera make, any case.")
    bbox: str | None = Field(
        None,
        description="west,south,east,north in degrees: sequences whose route crosses the box.",
        examples=["6.0,45.8,7.5,46.6"],
    )


class RankedUserOut(StrictOut):
    username: str
    name: str
    profile_url: str


class StandingOut(StrictOut):
    rank: int = Field(description="1 for the first; people with the same value share a rank.")
    user: RankedUserOut
    value: int | float = Field(description="Photos, metres, sequences or likes, by the metric.")


class LeaderboardOut(StrictOut):
    results: list[StandingOut]
    next: str | None


class LikedPhotoSequenceOut(StrictOut):
    unique_id: str
    name: str
    transport_type: str
    url: str = Field(description="The sequence's page, opened at this photo.")


class LikedPhotoOut(StrictOut):
    rank: int = Field(description="1 for the first; photos with as many likes share a rank.")
    key: str = Field(description="The photo's key.")
    like_count: int
    thumb_256_url: str
    thumb_1024_url: str
    thumb_2048_url: str
    thumb_original_url: str
    sequence: LikedPhotoSequenceOut
    user: RankedUserOut


class PhotoLeaderboardOut(StrictOut):
    results: list[LikedPhotoOut]
    next: str | None


def leaderboard_response(
    request: HttpRequest, criteria: Criteria, *, limit: int, cursor: str | None
):
    """A page of standings as JSON, with the link to the next one."""
    try:
        after = decode_cursor(cursor) if cursor else None
    except ValueError:
        raise ApiError(
            400, "The cursor is not valid: use the next link of the page before, unchanged."
        ) from None
    rows = standings(criteria, limit=limit + 1, after=after)
    following = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    link = next_link(request, following)
    body = {"results": [row.to_dict() for row in rows[:limit]], "next": link}
    response = json_response(body)
    return with_next_link(response, link)


# The global leaderboard -----------------------------------------------------------------------


def filter_criteria(filters: LeaderboardFilters | PhotoLeaderboardFilters) -> Criteria:
    """The criteria the query asks for; a 422 naming the parameter when one is not valid."""
    kinds = None
    if filters.transport_type:
        try:
            kind = find_transport_type(filters.transport_type, child_only=False)
        except DjangoValidationError as error:
            raise invalid_parameter("transport_type", error.messages[0]) from None
        kinds = transport_type_ids([kind])
    makes = camera_make_ids([filters.camera_make]) if filters.camera_make else None
    days = PERIOD_DAYS[filters.period]
    return Criteria(
        metric=getattr(filters, "metric", "photo_likes"),
        transport_type_ids=kinds,
        camera_make_ids=makes,
        captured_from=timezone.now() - timedelta(days=days) if days else None,
        bbox=parse_bbox(filters.bbox) if filters.bbox else None,
    )


@router.get(
    "/leaderboard",
    auth=token_or_client_auth,
    response={200: LeaderboardOut, **ERRORS},
    summary="Who mapped the most",
    openapi_extra={"parameters": [CLIENT_ID_PARAMETER]},
)
def leaderboard(request: HttpRequest, filters: Query[LeaderboardFilters]):
    """People ranked by their published sequences: photos, distance or sequences.

    Ties share a rank (1, 1, 3). Every filter narrows the sequences that count.
    """
    negotiate(request, JSON_ONLY)
    require_scope(request, READ)
    criteria = filter_criteria(filters)
    return leaderboard_response(request, criteria, limit=filters.limit, cursor=filters.cursor)


@router.get(
    "/leaderboard/photos",
    auth=token_or_client_auth,
    response={200: PhotoLeaderboardOut, **ERRORS},
    summary="The most liked photos",
    openapi_extra={"parameters": [CLIENT_ID_PARAMETER]},
)
def photo_leaderboard(request: HttpRequest, filters: Query[PhotoLeaderboardFilters]):
    """Photos of published sequences, most liked first, with their sequence and owner.

    Photos with as many likes share a rank (1, 1, 3); photos nobody likes are not listed.
    """
    negotiate(request, JSON_ONLY)
    require_scope(request, READ)
    criteria = filter_criteria(filters)
    try:
        after = decode_photo_cursor(filters.cursor) if filters.cursor else None
    except ValueError:
        raise ApiError(
            400, "The cursor is not valid: use the next link of the page before, unchanged."
        ) from None
    rows = most_liked_photos(criteria, limit=filters.limit + 1, after=after)
    following = encode_photo_cursor(rows[filters.limit - 1]) if len(rows) > filters.limit else None
    link = next_link(request, following)
    body = {"results": [row.to_dict() for row in rows[: filters.limit]], "next": link}
    return with_next_link(json_response(body), link)
