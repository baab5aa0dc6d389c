"""Tours: several published sequences in the order of a trip. Create, read, search, change,
reorder and delete them, and like them.

Anyone with a ``client_id`` reads published tours; a draft exists for its owner only (anyone
else gets the 404 of an id that does not exist). Changing a tour takes its owner's token with
``write``. Any published sequence may be in anyone's tour, once; a sequence deleted or no
longer published leaves every tour at once (mtp.tours.models).
"""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from pydantic import BeforeValidator, ConfigDict

from mtp.api.auth import token_auth, token_or_client_auth
from mtp.api.bodies import openapi_body, validate_body
from mtp.api.errors import ApiError, invalid_parameter
from mtp.api.formats import ALL_FORMATS, GEOJSON, GPX, JSON_ONLY, negotiate
from mtp.api.idempotency import idempotent
from mtp.api.pagination import Ordering, next_link, page, with_next_link
from mtp.api.schemas import (
    BodyIn,
    Description,
    ErrorOut,
    LikeOut,
    Name,
    OwnerOut,
    SequenceOut,
    StrictOut,
    Tags,
    invalid_input,
)
from mtp.api.scopes import READ, WRITE, require_scope
from mtp.api.search import NEWEST, OWN_NEWEST, lists_own, searched_tags
from mtp.api.sequences import (
    CLIENT_ID_PARAMETER,
    ERRORS,
    OWNER_ERRORS,
    WRITE_ERRORS,
    like_response,
    parse_bbox,
)
from mtp.lib.http import json_response
from mtp.sequences.actions import NotPublished
from mtp.sequences.links import OWNER_FIELDS_UNREAD
from mtp.sequences.models import Sequence
from mtp.sequences.tags import parse_tags
from mtp.tours import actions
from mtp.tours.formats import geojson_response, gpx_response
from mtp.tours.models import (
    MAX_SEQUENCES,
    Tour,
    routes_of,
    tag_names_by_tour,
    tour_data,
)

# by_alias: the routes are named as their replies name them ("import", not import_).
router = Router(tags=["tours"], by_alias=True)

NOT_FOUND = "No tour with this id."
ORDERINGS = {
    "newest": NEWEST,
    "likes": Ordering("likes", "like_count", kind=int),
    "distance": Ordering("distance", "distance_m", kind=float),
}
FORMATS_DOC = {
    "responses": {
        200: {
            "content": {
                GEOJSON: {"schema": {"type": "object", "description": "GeoJSON (RFC 7946)"}},
                GPX: {"schema": {"type": "string", "description": "GPX 1.1, a track per route"}},
            }
        }
    },
    "parameters": [CLIENT_ID_PARAMETER],
}


# Bodies ----------------------------------------------------------------------------------------


def _sequence_ids(value: Any) -> Any:
    """A list of sequence ids; a form sends them repeated, or separated by commas."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list):
        return value
    ids = []
    for item in value:
        if not isinstance(item, str):
            return value
        try:
            ids.append(str(UUID(item.strip())))
        except ValueError:
            raise invalid_input(
                "invalid_sequence_id", f"{item[:60]!r} is not a sequence id."
            ) from None
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise invalid_input(
                "duplicate_sequence", f"{item} is in the list twice: a route is in a tour once."
            )
        seen.add(item)
    return ids


SequenceIds = Annotated[
    list[str],
    BeforeValidator(_sequence_ids),
    Field(
        max_length=MAX_SEQUENCES,
        description=f"The `unique_id`s of published sequences, in the tour's order; each once, "
        f"at most {MAX_SEQUENCES}. A form sends the field repeated or the ids separated by commas.",
    ),
]
Status = Literal["draft", "published"]


class TourCreateIn(BodyIn):
    """A new tour. Sent as JSON or a form (urlencoded or multipart)."""

    model_config = ConfigDict(title="TourCreate", extra="forbid")

    name: Name
    description: Description | None = ""
    tags: Tags = None
    sequences: SequenceIds = []
    status: Status = Field(
        "published", description="draft: seen by its owner only, until published."
    )


class TourPatchIn(BodyIn):
    """Fields to change; those left out stay as they are."""

    model_config = ConfigDict(title="TourPatch", extra="forbid")

    name: Name | None = None
    description: Description | None = None
    tags: Tags = None
    status: Status | None = None


class TourSequencesIn(BodyIn):
    """The tour's routes, all of them, in order."""

    model_config = ConfigDict(title="TourSequences", extra="forbid")

    sequences: SequenceIds


# Replies ---------------------------------------------------------------------------------------


class TourSummaryOut(StrictOut):
    unique_id: str
    name: str
    description: str
    tags: list[str]
    status: Status
    sequence_count: int
    image_count: int
    distance_m: float
    bbox: list[float] | None = Field(description="[west, south, east, north] of its routes.")
    like_count: int
    owner: OwnerOut
    url: str = Field(description="The tour's page on the site.")
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class TourOut(TourSummaryOut):
    sequences: list[SequenceOut] = Field(description="Its routes, in order.")


class TourWriteOut(StrictOut):
    unique_id: str
    tour: TourOut


class TourListOut(StrictOut):
    results: list[TourSummaryOut]
    next: str | None = Field(description="The next page, or null on the last one.")


class TourFilters(Schema):
    user: str | None = Field(None, description="A username. Your own lists your drafts too.")
    q: str | None = Field(None, max_length=100, description="Text in the name or description.")
    tag: list[str] = Field(
        [], description="Repeat for several tags (or separate with commas): all must match."
    )
    bbox: str | None = Field(
        None, description="west,south,east,north: tours whose routes' box meets this box."
    )
    sequence: UUID | None = Field(None, description="Tours that hold this sequence.")
    sort: Literal["newest", "likes", "distance"] = Field(
        "newest",
        description="newest (last published first), likes (most liked first), "
        "distance (longest first).",
    )
    limit: int = Field(50, ge=1, le=100, description="Page size, at most 100.")
    cursor: str | None = Field(None, description="The `next` link's cursor, as given.")


# Look-ups and representations -----------------------------------------------------------------


def _tours():
    return Tour.objects.select_related("owner").defer(*OWNER_FIELDS_UNREAD)


def visible_tour(request: HttpRequest, unique_id: UUID) -> Tour:
    viewer = request.auth.user  # type: ignore[attr-defined]
    tour = _tours().visible_to(viewer).filter(unique_id=unique_id).first()
    if tour is None:
        raise ApiError(404, NOT_FOUND)
    return tour


def owned_tour(request: HttpRequest, unique_id: UUID) -> Tour:
    """The caller's own tour; 404 for anyone else's draft, 403 for their published one."""
    tour = Tour.objects.select_related("owner").filter(unique_id=unique_id).first()
    user = request.auth.user  # type: ignore[attr-defined]
    if tour is None or (tour.owner_id != user.pk and not tour.is_public):
        raise ApiError(404, NOT_FOUND)
    if tour.owner_id != user.pk:
        raise ApiError(403, "Only the tour's owner may change or delete it.")
    return tour


def published_sequence_ids(unique_ids: list[str]) -> list[int]:
    """The row ids of the published sequences ``unique_ids``, in order; a 422 naming those
    that are not (unknown, or a draft: nobody's draft may be in a tour)."""
    if not unique_ids:
        return []
    found = dict(
        Sequence.objects.published().filter(unique_id__in=unique_ids).values_list("unique_id", "pk")
    )
    found = {str(key): value for key, value in found.items()}
    missing = [item for item in unique_ids if item not in found]
    if missing:
        listed = ", ".join(missing[:10])
        raise ApiError(
            422,
            f"sequences: no published sequence with the id {listed}.",
            {
                "errors": [
                    {
                        "field": "sequences",
                        "message": f"No published sequence with the id {item}.",
                        "type": "unknown_sequence",
                    }
                    for item in missing
                ]
            },
        )
    return [found[item] for item in unique_ids]


def write_response(tour: Tour, *, status: int) -> HttpResponse:
    tour = _tours().get(pk=tour.pk)
    data = tour_data(tour, routes_of(tour))
    return json_response({"unique_id": data["unique_id"], "tour": data}, status=status)


def _tag_names(value) -> list[str]:
    return parse_tags(value) if value else []


# Calls -----------------------------------------------------------------------------------------


@router.post(
    "/tours",
    auth=token_auth,
    response={201: TourWriteOut, **ERRORS, 413: ErrorOut, 415: ErrorOut},
    summary="Create a tour",
    openapi_extra=openapi_body(TourCreateIn),
)
def create_tour(request: HttpRequest):
    """Create a tour of published sequences (anyone's), in the order given, each once.

    The body may be JSON or a form. Answers 201 with the new tour's `unique_id` and a
    `Location` header. With an `Idempotency-Key` header, the same request again gets the
    first answer.
    """
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    return idempotent(request, lambda: _create_tour(request))


def _create_tour(request: HttpRequest) -> HttpResponse:
    payload = validate_body(request, TourCreateIn)
    sequence_ids = published_sequence_ids(payload.sequences)
    tour = actions.create_tour(
        request.auth.user,  # type: ignore[attr-defined]
        name=payload.name,
        description=payload.description or "",
        status=payload.status,
        tags=_tag_names(payload.tags),
        sequence_ids=sequence_ids,
        application=request.auth.application,  # type: ignore[attr-defined]
    )
    response = write_response(tour, status=201)
    response["Location"] = settings.SITE_URL + reverse("api:get_tour", args=[tour.unique_id])
    return response


@router.get(
    "/tours",
    auth=token_or_client_auth,
    response={200: TourListOut, **ERRORS},
    summary="Search tours",
    openapi_extra={"parameters": [CLIENT_ID_PARAMETER]},
)
def list_tours(request: HttpRequest, filters: Query[TourFilters]):
    """Published tours matching every filter given, a page at a time (follow `next`).

    With your own username in `user`, your drafts are listed too.
    """
    negotiate(request, JSON_ONLY)
    require_scope(request, READ)
    viewer = request.auth.user  # type: ignore[attr-defined]
    own = lists_own(request, filters.user)
    ordering = ORDERINGS[filters.sort]
    if own:
        queryset = Tour.objects.filter(owner=viewer)
        if filters.sort == "newest":
            ordering = OWN_NEWEST
    else:
        queryset = Tour.objects.published()
        if filters.user:
            queryset = queryset.of_username(filters.user)
    if filters.bbox:
        queryset = queryset.in_bbox(*parse_bbox(filters.bbox))
    if filters.tag:
        queryset = queryset.with_all_tags(searched_tags(filters.tag))
    if filters.sequence:
        sequence_id = (
            Sequence.objects.filter(unique_id=filters.sequence).values_list("pk", flat=True).first()
        )
        queryset = queryset.with_sequence(sequence_id) if sequence_id else queryset.none()
    if filters.q and filters.q.strip():
        queryset = queryset.matching_text(filters.q.strip())
    rows, cursor = page(
        queryset.select_related("owner").defer(*OWNER_FIELDS_UNREAD),
        ordering,
        limit=filters.limit,
        cursor=filters.cursor,
    )
    tags = tag_names_by_tour([row.pk for row in rows])
    link = next_link(request, cursor)
    response = json_response(
        {"results": [row.to_dict(tags=tags[row.pk]) for row in rows], "next": link}, vary=True
    )
    return with_next_link(response, link)


@router.get(
    "/tours/{uuid:unique_id}",
    auth=token_or_client_auth,
    response={200: TourOut, **OWNER_ERRORS},
    summary="Read a tour",
    openapi_extra=FORMATS_DOC,
)
def get_tour(request: HttpRequest, unique_id: UUID):
    """A published tour, or one of your own drafts, with its routes in order.

    `Accept: application/geo+json` gives a FeatureCollection with a Feature per route, in
    order; `Accept: application/gpx+xml` a GPX document with a track per route.
    """
    media_type = negotiate(request, ALL_FORMATS)
    require_scope(request, READ)
    tour = visible_tour(request, unique_id)
    if media_type == GPX:
        return gpx_response(tour)
    if media_type == GEOJSON:
        return geojson_response(tour)
    return json_response(tour_data(tour, routes_of(tour)), vary=True)


@router.patch(
    "/tours/{uuid:unique_id}",
    auth=token_auth,
    response={200: TourWriteOut, **WRITE_ERRORS},
    summary="Change a tour",
    openapi_extra=openapi_body(TourPatchIn, required=False),
)
def update_tour(request: HttpRequest, unique_id: UUID):
    """Change your tour's name, description, tags or status; fields left out stay as they are.

    `tags` replaces all tags. A draft made `published` is told to the application that
    created it (webhook `tour.published`).
    """
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    tour = owned_tour(request, unique_id)
    payload = validate_body(request, TourPatchIn)
    sent = payload.model_fields_set
    for field in ("name", "status"):
        if field in sent and getattr(payload, field) is None:
            raise invalid_parameter(field, "must not be null.")
    try:
        actions.change_tour(
            request.auth.user,  # type: ignore[attr-defined]
            tour.pk,
            name=payload.name if "name" in sent else None,
            description=(payload.description or "") if "description" in sent else None,
            status=payload.status if "status" in sent else None,
            tags=_tag_names(payload.tags) if "tags" in sent else None,
        )
    except Tour.DoesNotExist:
        raise ApiError(404, NOT_FOUND) from None
    return write_response(tour, status=200)


@router.put(
    "/tours/{uuid:unique_id}/sequences",
    auth=token_auth,
    response={200: TourWriteOut, **WRITE_ERRORS},
    summary="Replace a tour's routes",
    openapi_extra=openapi_body(TourSequencesIn),
)
def replace_tour_sequences(request: HttpRequest, unique_id: UUID):
    """Make the list the tour's routes, in this order: add, remove and reorder in one call."""
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    tour = owned_tour(request, unique_id)
    payload = validate_body(request, TourSequencesIn)
    sequence_ids = published_sequence_ids(payload.sequences)
    try:
        actions.set_routes(request.auth.user, tour.pk, sequence_ids)  # type: ignore[attr-defined]
    except Tour.DoesNotExist:
        raise ApiError(404, NOT_FOUND) from None
    return write_response(tour, status=200)


@router.delete(
    "/tours/{uuid:unique_id}",
    auth=token_auth,
    response={204: None, **OWNER_ERRORS},
    summary="Delete a tour",
)
def delete_tour(request: HttpRequest, unique_id: UUID):
    """Delete your tour (its routes stay as they are). Answers 204."""
    require_scope(request, WRITE)
    tour = owned_tour(request, unique_id)
    try:
        actions.delete_tour(request.auth.user, tour.pk)  # type: ignore[attr-defined]
    except Tour.DoesNotExist:
        raise ApiError(404, NOT_FOUND) from None
    return HttpResponse(status=204)


# Likes -----------------------------------------------------------------------------------------


def _like(request: HttpRequest, unique_id: UUID, liked: bool) -> HttpResponse:
    tour = visible_tour(request, unique_id)
    try:
        count = actions.like_tour(request.auth.user, tour, liked)  # type: ignore[attr-defined]
    except NotPublished as error:
        raise ApiError(422, str(error)) from None
    return like_response(tour.unique_id, liked, count)


@router.put(
    "/tours/{uuid:unique_id}/like",
    auth=token_auth,
    response={200: LikeOut, **OWNER_ERRORS},
    summary="Like a tour",
)
def like_tour(request: HttpRequest, unique_id: UUID):
    """Like a published tour. Liking it again changes nothing."""
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    return _like(request, unique_id, True)


@router.delete(
    "/tours/{uuid:unique_id}/like",
    auth=token_auth,
    response={200: LikeOut, **OWNER_ERRORS},
    summary="No longer like a tour",
)
def unlike_tour(request: HttpRequest, unique_id: UUID):
    """Take back your like of a tour. Doing it again changes nothing."""
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    return _like(request, unique_id, False)
