"""Sequences: create, attach imports and links, read, search, edit and delete.

Drafts, importing and failed sequences exist only for their owner: anyone else gets the same
404 as for an id that does not exist.
"""

import logging
import math
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from mtp.api.auth import token_auth, token_or_client_auth
from mtp.api.bodies import openapi_body, validate_body
from mtp.api.errors import ApiError, invalid_parameter
from mtp.api.formats import (
    ALL_FORMATS,
    GEOJSON,
    GPX,
    JSON,
    JSON_ONLY,
    JSON_OR_GEOJSON,
    negotiate,
)
from mtp.api.idempotency import idempotent
from mtp.api.limits import too_many
from mtp.api.pagination import Ordering, next_link, page, with_next_link
from mtp.api.schemas import (
    ErrorOut,
    ImageLikeOut,
    ImageListOut,
    ImportAcceptedOut,
    ImportIn,
    LikeOut,
    PageParams,
    SequenceCreateIn,
    SequenceFilters,
    SequenceListOut,
    SequenceOut,
    SequencePatchIn,
    SequenceWriteOut,
)
from mtp.api.scopes import READ, WRITE, require_scope
from mtp.api.search import NEWEST, OWN_NEWEST, lists_own, searched_tags
from mtp.imports.actions import (
    ImportLimitReached,
    InvalidImportField,
    MapillarySaysNo,
    SequenceNotFound,
    start_import,
)
from mtp.imports.jobs import ImportRequestError
from mtp.imports.models import ImportJob, latest_imports
from mtp.lib.dates import utc_or_calendar_end
from mtp.lib.http import json_response
from mtp.mapillary.formats import is_key
from mtp.sequences import actions
from mtp.sequences.formats import feature, gpx_response
from mtp.sequences.likes import liked_ids
from mtp.sequences.links import OWNER_FIELDS_UNREAD, absolute, object_url
from mtp.sequences.models import (
    MAX_RADIUS_M,
    Image,
    ImageLike,
    Sequence,
    find_transport_type,
    transport_types_by_name,
)
from mtp.sequences.photos import cover_keys
from mtp.sequences.tags import tag_names_by_sequence

logger = logging.getLogger(__name__)

# by_alias: the document names fields as the replies do ("import", not import_).
router = Router(tags=["sequences"], by_alias=True)

DEFAULT_RADIUS_M = 1000.0

ORDERINGS = {
    "newest": NEWEST,
    "captured": Ordering("captured", "captured_at_start", nullable=True, kind=datetime),
    "distance": Ordering("distance", "distance_m", kind=float),
    "likes": Ordering("likes", "like_count", kind=int),
}
IMAGE_ORDERING = Ordering("position", "position", descending=False, kind=int)

CLIENT_ID_PARAMETER = {
    "in": "query",
    "name": "client_id",
    "required": False,
    "schema": {"type": "string"},
    "description": "Your application's client ID; needed when no access token is sent.",
}
# 429: every operation is rate limited (mtp/api/limits.py).
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 406: ErrorOut, 422: ErrorOut, 429: ErrorOut}
OWNER_ERRORS = {**ERRORS, 404: ErrorOut}
WRITE_ERRORS = {**OWNER_ERRORS, 413: ErrorOut, 415: ErrorOut}


def _formats_doc(schema: dict, *, gpx: bool) -> dict:
    content: dict[str, Any] = {
        GEOJSON: {"schema": {"type": "object", "description": "GeoJSON (RFC 7946)"}}
    }
    if gpx:
        content[GPX] = {"schema": {"type": "string", "description": "GPX 1.1 track"}}
    return {"responses": {200: {"content": content}}, **schema}


# Representations -------------------------------------------------------------------------------


def sequence_api_url(sequence: Sequence) -> str:
    return object_url("api:get_sequence", sequence.unique_id)


def write_response(sequence: Sequence, *, status: int, **extra: Any) -> HttpResponse:
    data = sequence.to_dict(
        tags=tag_names_by_sequence([sequence.pk])[sequence.pk],
        latest_import=latest_imports([sequence.pk]).get(sequence.pk),
        cover_key=cover_keys([sequence]).get(sequence.pk),
    )
    return json_response(
        {"unique_id": str(sequence.unique_id), "sequence": data, **extra}, status=status
    )


# Look-ups --------------------------------------------------------------------------------------

NOT_FOUND = "No sequence with this id."


def _with_owner(queryset):
    return queryset.select_related("owner").defer(*OWNER_FIELDS_UNREAD)


class SequenceMoved(Exception):
    """The id is that of a sequence merged into another (``sequence``): a 308 to it."""

    def __init__(self, unique_id: UUID, sequence: Sequence) -> None:
        super().__init__(str(unique_id))
        self.unique_id = unique_id
        self.sequence = sequence


def moved_response(request: HttpRequest, moved: SequenceMoved) -> HttpResponse:
    """A 308 to the same call on the sequence the id was merged into."""
    location = absolute(request.path.replace(str(moved.unique_id), str(moved.sequence.unique_id)))
    if request.META.get("QUERY_STRING"):
        location += "?" + request.META["QUERY_STRING"]
    response = json_response({"unique_id": str(moved.sequence.unique_id)}, status=308)
    response["Location"] = location
    return response


def _merged_into(queryset, unique_id: UUID):
    """The sequence of ``queryset`` that the id was merged into, or None."""
    return queryset.filter(aliases__unique_id=unique_id).first()


def visible_sequence(request: HttpRequest, unique_id: UUID) -> Sequence:
    """The sequence if the caller may see it (published, or theirs); 404 otherwise.

    An id merged into another sequence raises ``SequenceMoved``.
    """
    visible = _with_owner(Sequence.objects.visible_to(request.auth.user))  # type: ignore[attr-defined]
    sequence = visible.filter(unique_id=unique_id).first()
    if sequence is None:
        target = _merged_into(visible, unique_id)
        if target is not None:
            raise SequenceMoved(unique_id, target)
        raise ApiError(404, NOT_FOUND)
    return sequence


def owned_sequence(
    request: HttpRequest, unique_id: UUID, *, follow_alias: bool = False
) -> Sequence:
    """The caller's own sequence; 404 for anyone else's, exactly as for a missing one.

    For an id merged into another of theirs: that sequence with ``follow_alias``, else
    ``SequenceMoved``.
    """
    queryset = Sequence.objects.filter(owner=request.auth.user)  # type: ignore[attr-defined]
    queryset = queryset.select_related("owner")
    sequence = queryset.filter(unique_id=unique_id).first()
    if sequence is None:
        target = _merged_into(queryset, unique_id)
        if target is None:
            raise ApiError(404, NOT_FOUND)
        if not follow_alias:
            raise SequenceMoved(unique_id, target)
        return target
    return sequence


# Create ----------------------------------------------------------------------------------------


@router.post(
    "/sequence/create",
    auth=token_auth,
    response={201: SequenceWriteOut, **ERRORS, 413: ErrorOut, 415: ErrorOut},
    summary="Create a draft sequence",
    openapi_extra=openapi_body(SequenceCreateIn),
)
def create_sequence(request: HttpRequest):
    """Create a draft that only its owner can see; an import publishes it.

    The body may be a form (urlencoded or multipart) or JSON. A trailing slash is accepted.
    Answers 201 with the new sequence's `unique_id` at the top level and a `Location` header.
    With an `Idempotency-Key` header, the same request again gets the first answer.
    """
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    return idempotent(request, lambda: _create_sequence(request))


def _create_sequence(request: HttpRequest) -> HttpResponse:
    payload = validate_body(request, SequenceCreateIn)
    caller = request.auth  # type: ignore[attr-defined]
    sequence = actions.create_sequence(
        caller.user,
        name=payload.name,
        description=payload.description or "",
        transport_type_id=transport_types_by_name()[payload.transport_type.lower()].pk,
        source=payload.source,
        tags=payload.tag_names,
        application=caller.application,
    )
    data = sequence.to_dict(tags=payload.tag_names)
    response = json_response({"unique_id": data["unique_id"], "sequence": data}, status=201)
    response["Location"] = sequence_api_url(sequence)
    return response


# Import and links ------------------------------------------------------------------------------


@router.put(
    "/sequence/import/{uuid:unique_id}",
    auth=token_auth,
    response={
        200: SequenceWriteOut | ImportAcceptedOut,
        202: ImportAcceptedOut,
        **OWNER_ERRORS,
        409: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
    },
    summary="Import a Mapillary sequence, or attach links",
    openapi_extra=openapi_body(ImportIn),
)
def import_sequence(request: HttpRequest, unique_id: UUID):
    """Attach data to your sequence: a Google Street View link, a Strava activity, and/or the
    Mapillary sequence to import with the user's Mapillary token.

    Links alone answer 200; an empty body (`{}`) answers 200 with the sequence unchanged. A
    Mapillary sequence answers 202 with the import's status while it is queued or running in
    the background (200 once it has finished): call again, or read the sequence, to follow it.
    Repeating the same call is safe, and a call that changes nothing is not counted against the
    import limit: it never starts a second import while one runs, and a sequence imported in
    the last hour is not fetched again (send `"refresh": true` to fetch it again anyway).
    Before accepting, the server asks Mapillary whose token it is, whether the sequence exists
    (422 if not) and whether its first image is the token owner's (403 if not); a token
    Mapillary refuses is a 400. When Mapillary is slow or down, the import is accepted (202)
    and the server waits it out in the background. A Mapillary sequence that another of your
    sequences holds is joined to that one (2xx, with its `unique_id`; this id then leads to
    it); one held by someone else's sequence is a 409.
    Only the owner may call it; for anyone else the sequence does not exist (404).
    With an `Idempotency-Key` header, the same request again gets the first answer.
    """
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    return idempotent(request, lambda: _import_sequence(request, unique_id))


def _import_sequence(request: HttpRequest, unique_id: UUID) -> HttpResponse:
    sequence = owned_sequence(request, unique_id, follow_alias=True)
    payload = validate_body(request, ImportIn)
    try:
        sequence, job = start_import(
            request.auth.user,  # type: ignore[attr-defined]
            sequence,
            mapillary_key=payload.mapillary_key,
            mapillary_token=payload.mapillary_token,
            refresh=bool(payload.refresh),
            google_street_view=payload.google_street_view or None,
            strava=str(payload.strava) if payload.strava else None,
        )
    except ImportLimitReached as limited:
        raise too_many(limited.usage, "Too many import calls.") from None
    except InvalidImportField as invalid:
        raise invalid_parameter(invalid.field, invalid.message) from None
    except MapillarySaysNo as refused:
        detail = {"mapillary": refused.mapillary} if refused.mapillary else None
        raise ApiError(refused.http_status, refused.message, detail) from None
    except SequenceNotFound:
        raise ApiError(404, NOT_FOUND) from None
    except ImportRequestError as error:
        raise ApiError(error.http_status, error.message) from None
    return import_response(sequence, job)


def import_response(sequence: Sequence, job: ImportJob | None) -> HttpResponse:
    """The answer to an import call: 202 while the import runs, else 200."""
    sequence = _with_owner(Sequence.objects).get(pk=sequence.pk)
    if job is None:
        return write_response(sequence, status=200)
    status = 202 if job.is_active else 200
    return write_response(sequence, status=status, **{"import": job.to_dict()})


# Read ------------------------------------------------------------------------------------------


@router.get(
    "/sequence/{uuid:unique_id}",
    auth=token_or_client_auth,
    response={200: SequenceOut, **OWNER_ERRORS},
    summary="Read a sequence",
    openapi_extra=_formats_doc({"parameters": [CLIENT_ID_PARAMETER]}, gpx=True),
)
def get_sequence(request: HttpRequest, unique_id: UUID):
    """A published sequence, or one of your own in any state.

    `Accept: application/geo+json` gives a GeoJSON Feature with the route;
    `Accept: application/gpx+xml` gives a GPX track with a point per image.
    """
    media_type = negotiate(request, ALL_FORMATS)
    require_scope(request, READ)
    sequence = visible_sequence(request, unique_id)
    if media_type == GPX:
        return gpx_response(sequence)
    is_owner = request.auth.user is not None and sequence.owner_id == request.auth.user.pk  # type: ignore[attr-defined]
    latest = latest_imports([sequence.pk]).get(sequence.pk) if is_owner else None
    tags = tag_names_by_sequence([sequence.pk])[sequence.pk]
    data = sequence.to_dict(
        tags=tags, latest_import=latest, cover_key=cover_keys([sequence]).get(sequence.pk)
    )
    if media_type == GEOJSON:
        return json_response(feature(sequence, data), media_type=GEOJSON, vary=True)
    return json_response(data, vary=True)


@router.get(
    "/sequence/{uuid:unique_id}/images",
    auth=token_or_client_auth,
    response={200: ImageListOut, **OWNER_ERRORS},
    summary="A sequence's images, in capture order",
    openapi_extra=_formats_doc({"parameters": [CLIENT_ID_PARAMETER]}, gpx=False),
)
def list_images(request: HttpRequest, unique_id: UUID, params: Query[PageParams]):
    """The images of a sequence you may see, in capture order, a page at a time.

    `Accept: application/geo+json` gives a FeatureCollection of points.
    """
    media_type = negotiate(request, JSON_OR_GEOJSON)
    require_scope(request, READ)
    viewer = request.auth.user  # type: ignore[attr-defined]
    visible = Sequence.objects.visible_to(viewer)
    sequence = visible.filter(unique_id=unique_id).only("id", "status").first()
    if sequence is None:
        target = _merged_into(visible.only("unique_id"), unique_id)
        if target is not None:
            raise SequenceMoved(unique_id, target)
        raise ApiError(404, NOT_FOUND)
    images = Image.objects.filter(sequence_id=sequence.pk).select_related(
        "camera_make", "camera_model"
    )
    rows, cursor = page(images, IMAGE_ORDERING, limit=params.limit, cursor=params.cursor)
    private = not sequence.is_public
    liked = liked_ids(ImageLike, "image", viewer, [image.pk for image in rows])
    results = [image.to_dict(private=private, liked=image.pk in liked) for image in rows]
    link = next_link(request, cursor)
    if media_type == GEOJSON:
        body = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": item["key"],
                    "geometry": {"type": "Point", "coordinates": [item["lon"], item["lat"]]},
                    "properties": item,
                }
                for item in results
            ],
            "next": link,
        }
        response = json_response(body, media_type=GEOJSON, vary=True)
    else:
        response = json_response({"results": results, "next": link}, vary=True)
    return with_next_link(response, link)


# Search ----------------------------------------------------------------------------------------


def _numbers(field: str, text: str, count: int) -> list[float]:
    parts = text.split(",")
    try:
        values = [float(part) for part in parts]
    except ValueError:
        values = []
    if len(values) != count or not all(math.isfinite(value) for value in values):
        raise invalid_parameter(field, f"give {count} numbers separated by commas.")
    return values


def _check_lon_lat(field: str, lon: float, lat: float) -> None:
    if not -180 <= lon <= 180 or not -90 <= lat <= 90:
        raise invalid_parameter(
            field, "longitudes are -180 to 180 and latitudes -90 to 90 (lon,lat order)."
        )


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    west, south, east, north = _numbers("bbox", text, 4)
    _check_lon_lat("bbox", west, south)
    _check_lon_lat("bbox", east, north)
    return west, south, east, north


@router.get(
    "/sequences",
    auth=token_or_client_auth,
    response={200: SequenceListOut, **ERRORS},
    summary="Search sequences",
    openapi_extra=_formats_doc({"parameters": [CLIENT_ID_PARAMETER]}, gpx=False),
)
def list_sequences(request: HttpRequest, filters: Query[SequenceFilters]):
    """Published sequences matching every filter given, a page at a time (follow `next`).

    With your own username in `user`, your drafts, imports and failed imports are listed too.
    `Accept: application/geo+json` gives a FeatureCollection with the routes.
    """
    media_type = negotiate(request, JSON_OR_GEOJSON)
    require_scope(request, READ)
    viewer = request.auth.user  # type: ignore[attr-defined]
    own = lists_own(request, filters.user)
    ordering = ORDERINGS[filters.sort]
    if own:
        queryset = Sequence.objects.filter(owner=viewer)
        if filters.sort == "newest":
            ordering = OWN_NEWEST
    else:
        queryset = Sequence.objects.published()
        if filters.user:
            queryset = queryset.of_username(filters.user)
    if filters.status:
        if not own:
            # Others' drafts, imports and failures are not yours to list: a 403, as the
            # request is well formed but asks for what this caller may not see.
            raise ApiError(
                403,
                "status: only with your own username in user, and your access token.",
                {"errors": [{"field": "status", "message": "only with your own username"}]},
            )
        queryset = queryset.filter(status=filters.status)
    if filters.bbox:
        west, south, east, north = parse_bbox(filters.bbox)
        # A box whose south is above its north holds nothing (west > east crosses 180°).
        queryset = queryset.in_bbox(west, south, east, north)
    if filters.radius is not None and filters.radius > MAX_RADIUS_M:
        raise invalid_parameter("radius", f"at most {MAX_RADIUS_M} metres.")
    if filters.near:
        lon, lat = _numbers("near", filters.near, 2)
        _check_lon_lat("near", lon, lat)
        radius = DEFAULT_RADIUS_M if filters.radius is None else filters.radius
        queryset = queryset.near(lon, lat, radius)
    if filters.transport_type:
        try:
            kind = find_transport_type(filters.transport_type, child_only=False)
        except DjangoValidationError as error:
            raise invalid_parameter("transport_type", error.messages[0]) from None
        queryset = queryset.of_transport_type(kind)
    if filters.tag:
        queryset = queryset.with_all_tags(searched_tags(filters.tag))
    if filters.captured_after:
        queryset = queryset.filter(
            captured_at_start__gte=utc_or_calendar_end(filters.captured_after)
        )
    if filters.captured_before:
        queryset = queryset.filter(
            captured_at_end__lte=utc_or_calendar_end(filters.captured_before)
        )
    if filters.q:
        queryset = queryset.matching_text(filters.q.strip())
    if filters.is_pano is not None:
        queryset = queryset.filter(is_pano=filters.is_pano)
    if media_type == JSON:
        queryset = queryset.defer("geometry")

    rows, cursor = page(_with_owner(queryset), ordering, limit=filters.limit, cursor=filters.cursor)
    ids = [row.pk for row in rows]
    tags = tag_names_by_sequence(ids)
    latest = latest_imports(ids) if own else {}
    covers = cover_keys(rows)
    link = next_link(request, cursor)
    items = [
        row.to_dict(
            tags=tags[row.pk], latest_import=latest.get(row.pk), cover_key=covers.get(row.pk)
        )
        for row in rows
    ]
    if media_type == GEOJSON:
        body = {
            "type": "FeatureCollection",
            "features": [feature(row, data) for row, data in zip(rows, items, strict=True)],
            "next": link,
        }
        response = json_response(body, media_type=GEOJSON, vary=True)
    else:
        response = json_response({"results": items, "next": link}, vary=True)
    return with_next_link(response, link)


# Edit and delete -------------------------------------------------------------------------------


@router.patch(
    "/sequence/{uuid:unique_id}",
    auth=token_auth,
    response={200: SequenceWriteOut, **OWNER_ERRORS, 413: ErrorOut, 415: ErrorOut},
    summary="Change a sequence",
    openapi_extra=openapi_body(SequencePatchIn),
)
def update_sequence(request: HttpRequest, unique_id: UUID):
    """Change the name, description, transport type, tags, links or cover photo of your sequence.

    Fields left out stay as they are; `tags` replaces all tags; an empty link removes it.
    `cover` is the `key` of one of the sequence's photos; null or empty goes back to
    the first photo.
    """
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    sequence = owned_sequence(request, unique_id)
    payload = validate_body(request, SequencePatchIn)
    sent = payload.model_fields_set
    tags_field = "tags" if "tags" in sent else "tag" if "tag" in sent else None
    try:
        actions.change_sequence(
            request.auth.user,  # type: ignore[attr-defined]
            sequence.pk,
            name=payload.name if "name" in sent else None,
            description=(payload.description or "") if "description" in sent else None,
            transport_type_id=transport_types_by_name()[payload.transport_type.lower()].pk
            if "transport_type" in sent and payload.transport_type is not None
            else None,
            google_street_view=(payload.google_street_view or "")
            if "google_street_view" in sent
            else None,
            strava=str(payload.strava or "") if "strava" in sent else None,
            cover=(payload.cover or "") if "cover" in sent else None,
            tags=list(getattr(payload, tags_field) or []) if tags_field else None,
        )
    except actions.NotAPhoto as error:
        raise invalid_parameter("cover", str(error)) from None
    except Sequence.DoesNotExist:
        raise ApiError(404, NOT_FOUND) from None
    sequence = visible_sequence(request, unique_id)
    return write_response(sequence, status=200)


@router.delete(
    "/sequence/{uuid:unique_id}",
    auth=token_auth,
    response={204: None, **OWNER_ERRORS},
    summary="Delete a sequence",
)
def delete_sequence(request: HttpRequest, unique_id: UUID):
    """Delete your sequence with its images and import history. Answers 204.

    The id of a sequence merged into another: only that id is forgotten, the other stays.
    """
    require_scope(request, WRITE)
    user = request.auth.user  # type: ignore[attr-defined]
    try:
        sequence = owned_sequence(request, unique_id)
    except SequenceMoved:
        actions.forget_merged_id(user, unique_id)
        return HttpResponse(status=204)
    try:
        actions.delete_sequence(user, sequence.pk)
    except Sequence.DoesNotExist:
        raise ApiError(404, NOT_FOUND) from None
    return HttpResponse(status=204)


# Likes -----------------------------------------------------------------------------------------


def like_response(unique_id: UUID, liked: bool, count: int) -> HttpResponse:
    return json_response({"unique_id": str(unique_id), "liked": liked, "like_count": count})


def _like(request: HttpRequest, unique_id: UUID, liked: bool) -> HttpResponse:
    sequence = visible_sequence(request, unique_id)
    try:
        count = actions.like_sequence(request.auth.user, sequence, liked)  # type: ignore[attr-defined]
    except actions.NotPublished as error:
        raise ApiError(422, str(error)) from None
    return like_response(sequence.unique_id, liked, count)


@router.put(
    "/sequence/{uuid:unique_id}/like",
    auth=token_auth,
    response={200: LikeOut, **OWNER_ERRORS},
    summary="Like a sequence",
)
def like_sequence(request: HttpRequest, unique_id: UUID):
    """Like a published sequence. Liking it again changes nothing."""
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    return _like(request, unique_id, True)


@router.delete(
    "/sequence/{uuid:unique_id}/like",
    auth=token_auth,
    response={200: LikeOut, **OWNER_ERRORS},
    summary="No longer like a sequence",
)
def unlike_sequence(request: HttpRequest, unique_id: UUID):
    """Take back your like of a sequence. Doing it again changes nothing."""
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    return _like(request, unique_id, False)


# Likes of single photos ------------------------------------------------------------------------

PHOTO_NOT_FOUND = "No photo with this key."


def _like_image(request: HttpRequest, key: str, liked: bool) -> HttpResponse:
    if not is_key(key):
        raise ApiError(404, PHOTO_NOT_FOUND)
    user = request.auth.user  # type: ignore[attr-defined]
    try:
        count = actions.like_image(user, key, liked)
    except Image.DoesNotExist:
        # A photo of another's draft is answered as one that does not exist.
        raise ApiError(404, PHOTO_NOT_FOUND) from None
    except actions.NotPublished as error:
        raise ApiError(422, str(error)) from None
    return json_response({"key": key, "liked": liked, "like_count": count})


@router.put(
    "/images/{str:key}/like",
    auth=token_auth,
    response={200: ImageLikeOut, **OWNER_ERRORS},
    summary="Like a photo",
)
def like_image(request: HttpRequest, key: str):
    """Like a photo of a published sequence. Liking it again changes nothing."""
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    return _like_image(request, key, True)


@router.delete(
    "/images/{str:key}/like",
    auth=token_auth,
    response={200: ImageLikeOut, **OWNER_ERRORS},
    summary="No longer like a photo",
)
def unlike_image(request: HttpRequest, key: str):
    """Take back your like of a photo. Doing it again changes nothing."""
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    return _like_image(request, key, False)
