"""Guidebooks: ordered scenes, each a photo of a published sequence with points of interest.

Anyone with a ``client_id`` reads published guidebooks; drafts are their owner's only (anyone
else gets the 404 of an id that does not exist). Changing a guidebook, its scenes or their
points takes the owner's token with ``write``. Publishing one (``"published": true``) tells
the application that created it, by webhook (``guidebook.published``).

A scene whose photo's sequence is no longer published is hidden (left out of every reply and
count) until the sequence is published again; deleting the sequence deletes the scene.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from pydantic import BeforeValidator, ConfigDict, Strict, model_validator

from mtp.api.auth import token_auth, token_or_client_auth
from mtp.api.bodies import openapi_body, validate_body
from mtp.api.errors import ApiError, invalid_parameter
from mtp.api.formats import GEOJSON, JSON_ONLY, JSON_OR_GEOJSON, negotiate
from mtp.api.pagination import next_link, page, with_next_link
from mtp.api.schemas import (
    BodyIn,
    ErrorOut,
    ImageOut,
    OwnerOut,
    StrictOut,
    Tags,
    invalid_input,
    line_text,
    lines_text,
)
from mtp.api.scopes import READ, WRITE, require_scope
from mtp.api.search import NEWEST, OWN_NEWEST, lists_own, searched_tags
from mtp.api.sequences import CLIENT_ID_PARAMETER, ERRORS, OWNER_ERRORS, WRITE_ERRORS, parse_bbox
from mtp.guidebooks import actions
from mtp.guidebooks.models import (
    DESCRIPTION_MAX_LENGTH,
    MAX_SCENES,
    NAME_MAX_LENGTH,
    POI_DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    URL_MAX_LENGTH,
    Category,
    Guidebook,
    Poi,
    Scene,
    TooManyPois,
    TooManyScenes,
    xy_of,
)
from mtp.lib.http import json_response
from mtp.sequences.models import Image

router = Router(tags=["guidebooks"])

JSON_BODY = ("application/json",)
NOT_FOUND = "No guidebook with this id."
SCENE_NOT_FOUND = "No scene with this id in this guidebook."
POI_NOT_FOUND = "No point of interest with this id on this scene."
# A change may leave these out, never set them to null.
NOT_NULL = ("name", "published", "title", "x", "y", "yaw", "pitch", "position", "scenes")
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


def _text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


Name = Annotated[str, BeforeValidator(line_text), Field(min_length=1, max_length=NAME_MAX_LENGTH)]
Description = Annotated[str, BeforeValidator(lines_text), Field(max_length=DESCRIPTION_MAX_LENGTH)]
Title = Annotated[str, BeforeValidator(line_text), Field(max_length=TITLE_MAX_LENGTH)]
PoiTitle = Annotated[
    str, BeforeValidator(line_text), Field(min_length=1, max_length=TITLE_MAX_LENGTH)
]
PoiDescription = Annotated[
    str, BeforeValidator(lines_text), Field(max_length=POI_DESCRIPTION_MAX_LENGTH)
]
CategorySlug = Annotated[
    str,
    BeforeValidator(_text),
    Field(max_length=50, description="A category's slug (see /guidebook-categories)."),
]
# Strict: a number is a JSON number (not "0.5", not true) and a yes-or-no a JSON boolean (not 0),
# as the document says.
Fraction = Annotated[float, Strict(), Field(ge=0, le=1)]
Yaw = Annotated[
    float, Strict(), Field(ge=-180, le=180, description="Degrees; 0: the photo's middle.")
]
Pitch = Annotated[float, Strict(), Field(ge=-90, le=90, description="Degrees; 0: the horizon.")]
Position = Annotated[
    int, Strict(), Field(ge=0, le=MAX_SCENES, description="0-based place in the order.")
]
Published = Annotated[bool, Strict()]


def _url(value: Any) -> Any:
    value = _text(value)
    if not isinstance(value, str) or not value:
        return value
    try:
        URLValidator(schemes=["http", "https"])(value)
    except DjangoValidationError:
        raise invalid_input("invalid_url", "Give an http or https URL.") from None
    return value


Url = Annotated[
    str,
    BeforeValidator(_url),
    Field(max_length=URL_MAX_LENGTH, description="A link to more (http or https)."),
]


# Requests -------------------------------------------------------------------------------------


class GuidebookCreateIn(BodyIn):
    """A new guidebook, as JSON: a draft unless ``published``."""

    model_config = ConfigDict(title="GuidebookCreate")

    name: Name
    description: Description | None = ""
    category: CategorySlug | None = None
    tags: Tags = None
    published: Published = Field(False, description="true: seen by everyone at once.")


class GuidebookPatchIn(BodyIn):
    """Fields to change; those left out stay as they are. ``published`` publishes or
    withdraws it."""

    model_config = ConfigDict(title="GuidebookPatch")

    name: Name | None = None
    description: Description | None = None
    category: CategorySlug | None = Field(None, description="A category's slug; null for none.")
    tags: Tags = Field(None, description="The new tags, replacing the old ones.")
    published: Published | None = None


class SceneCreateIn(BodyIn):
    """A new scene: an image of a published sequence."""

    model_config = ConfigDict(title="SceneCreate")

    image: Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=100)] = Field(
        description="The key of an image of a published sequence on this server."
    )
    title: Title | None = ""
    description: Description | None = ""
    position: Position | None = Field(None, description="0-based place; left out: the end.")


class ScenePatchIn(BodyIn):
    """Fields to change; ``position`` moves the scene (the others move along)."""

    model_config = ConfigDict(title="ScenePatch")

    title: Title | None = None
    description: Description | None = None
    position: Position | None = None


class SceneOrderIn(BodyIn):
    """Every scene's unique_id, in the new order."""

    model_config = ConfigDict(title="SceneOrder")

    scenes: list[UUID] = Field(max_length=MAX_SCENES)


class PoiFields(BodyIn):
    if TYPE_CHECKING:  # each subclass declares them, in the order of its schema
        x: float | None
        y: float | None
        yaw: float | None
        pitch: float | None

    @model_validator(mode="after")
    def _one_placing(self) -> "PoiFields":
        sent = self.model_fields_set
        by_xy, by_direction = sent & {"x", "y"}, sent & {"yaw", "pitch"}
        if by_xy and by_direction:
            raise invalid_input(
                "conflict", "Place the point by x and y, or by yaw and pitch: not both."
            )
        if len(by_xy) == 1 or len(by_direction) == 1:
            raise invalid_input("incomplete", "Give x with y, and yaw with pitch.")
        return self

    def placing(self) -> tuple[float, float] | None:
        """(x, y) where the point lies across the photo, if it is placed; None otherwise."""
        if self.x is not None and self.y is not None:
            return self.x, self.y
        if self.yaw is not None and self.pitch is not None:
            return xy_of(self.yaw, self.pitch)
        return None


class PoiCreateIn(PoiFields):
    """A new point of interest: at x, y across the photo (0 to 1 from its top left corner), or
    on a 360° panorama also at yaw, pitch."""

    model_config = ConfigDict(title="PoiCreate")

    title: PoiTitle
    description: PoiDescription | None = ""
    x: Fraction | None = None
    y: Fraction | None = None
    yaw: Yaw | None = None
    pitch: Pitch | None = None
    category: CategorySlug | None = None
    url: Url | None = None


class PoiPatchIn(PoiFields):
    """Fields to change; those left out stay as they are."""

    model_config = ConfigDict(title="PoiPatch")

    title: PoiTitle | None = None
    description: PoiDescription | None = None
    x: Fraction | None = None
    y: Fraction | None = None
    yaw: Yaw | None = None
    pitch: Pitch | None = None
    category: CategorySlug | None = None
    url: Url | None = None


class GuidebookSearch(Schema):
    user: str | None = Field(
        None, description="A username. Your own username lists your drafts too."
    )
    q: str | None = Field(None, max_length=100, description="Text in the name or description.")
    tag: list[str] = Field(
        [], description="Repeat for several tags (or separate with commas): all must match."
    )
    category: str | None = Field(None, max_length=50, description="A category's slug.")
    bbox: str | None = Field(
        None, description="west,south,east,north: guidebooks with a scene in the box."
    )
    limit: int = Field(50, ge=1, le=100, description="Page size, at most 100.")
    cursor: str | None = Field(None, description="The `next` link's cursor, as given.")


# Responses ------------------------------------------------------------------------------------


class CategoryOut(StrictOut):
    slug: str
    name: str


class PoiOut(StrictOut):
    unique_id: str
    title: str
    description: str
    x: float
    y: float
    yaw: float | None = Field(description="On a 360° panorama: degrees from the middle.")
    pitch: float | None = Field(description="On a 360° panorama: degrees above the horizon.")
    category: CategoryOut | None
    url: str | None


class SceneSequenceOut(StrictOut):
    unique_id: str
    name: str
    url: str


class SceneOut(StrictOut):
    unique_id: str
    position: int
    title: str
    description: str
    image: ImageOut
    sequence: SceneSequenceOut
    pois: list[PoiOut]


class GuidebookSummaryOut(StrictOut):
    unique_id: str
    name: str
    description: str
    category: CategoryOut | None
    tags: list[str]
    published: bool
    published_at: datetime | None
    owner: OwnerOut
    scene_count: int = Field(description="Scenes shown (of published sequences).")
    url: str
    created_at: datetime
    updated_at: datetime


class GuidebookOut(GuidebookSummaryOut):
    bbox: list[float] | None = Field(description="west, south, east, north of the scenes.")
    scenes: list[SceneOut]


class GuidebookWriteOut(StrictOut):
    unique_id: str
    guidebook: GuidebookOut


class SceneWriteOut(StrictOut):
    unique_id: str
    scene: SceneOut


class PoiWriteOut(StrictOut):
    unique_id: str
    poi: PoiOut


class GuidebookListOut(StrictOut):
    results: list[GuidebookSummaryOut]
    next: str | None


# Look-ups -------------------------------------------------------------------------------------


def _guidebooks():
    return Guidebook.objects.select_related("owner", "category")


def found_guidebook(request: HttpRequest, unique_id: UUID) -> Guidebook:
    """The guidebook if the caller may see it (published, or theirs); 404 otherwise."""
    queryset = _guidebooks()
    viewer = request.auth.user  # type: ignore[attr-defined]
    guidebook = queryset.visible_to(viewer).filter(unique_id=unique_id).first()
    if guidebook is None:
        raise ApiError(404, NOT_FOUND)
    return guidebook


def owned_guidebook(request: HttpRequest, unique_id: UUID) -> Guidebook:
    """The caller's guidebook; 403 for another's published one."""
    guidebook = found_guidebook(request, unique_id)
    if guidebook.owner_id != request.auth.user.pk:  # type: ignore[attr-defined]
        raise ApiError(403, "Only the guidebook's owner may change it.")
    return guidebook


def owned_scene(
    request: HttpRequest, unique_id: UUID, scene_id: UUID, *, hidden: bool = False
) -> tuple[Guidebook, Scene]:
    """The caller's guidebook and one of its shown scenes (or hidden ones too, to
    delete them)."""
    guidebook = owned_guidebook(request, unique_id)
    scenes = Scene.objects.all() if hidden else Scene.objects.shown()
    scene = scenes.select_related("image").filter(guidebook=guidebook, unique_id=scene_id).first()
    if scene is None:
        raise ApiError(404, SCENE_NOT_FOUND)
    return guidebook, scene


def refuse_nulls(payload: BodyIn) -> None:
    """A 422 for a null where a field may only be left out (``NOT_NULL``)."""
    for field in NOT_NULL:
        if field in payload.model_fields_set and getattr(payload, field, "") is None:
            raise invalid_parameter(field, "must not be null.")


def find_category(field: str, slug: str | None) -> Category | None:
    if not slug:
        return None
    category = Category.objects.filter(slug=slug.lower()).first()
    if category is None:
        raise invalid_parameter(field, "unknown category: see /api/v1/guidebook-categories.")
    return category


def guidebook_data(guidebook: Guidebook) -> dict[str, Any]:
    return guidebook.reading_dict()


def scene_data(scene: Scene) -> dict[str, Any]:
    """The scene's JSON; empty when it is hidden (its sequence is not published)."""
    shown = Scene.objects.for_reading().filter(pk=scene.pk).first()
    return shown.to_dict() if shown is not None else {}


def _located(response: HttpResponse, guidebook: Guidebook) -> HttpResponse:
    response["Location"] = settings.SITE_URL + reverse(
        "api:get_guidebook", args=[guidebook.unique_id]
    )
    return response


# Guidebooks -----------------------------------------------------------------------------------


@router.get(
    "/guidebook-categories",
    auth=token_or_client_auth,
    response={200: list[CategoryOut], **ERRORS},
    summary="Guidebook categories",
    openapi_extra={"parameters": [CLIENT_ID_PARAMETER]},
)
def list_categories(request: HttpRequest):
    """The categories a guidebook or a point of interest may have, by slug."""
    negotiate(request, JSON_ONLY)
    require_scope(request, READ)
    return json_response([category.to_dict() for category in Category.objects.all()])


@router.post(
    "/guidebooks",
    auth=token_auth,
    response={201: GuidebookWriteOut, **ERRORS, 413: ErrorOut, 415: ErrorOut},
    summary="Create a guidebook",
    openapi_extra=openapi_body(GuidebookCreateIn, accepted=JSON_BODY),
)
def create_guidebook(request: HttpRequest):
    """Create a guidebook: a draft only you can see, unless `published`.

    Answers 201 with its `unique_id` and a `Location` header. Add scenes next.
    """
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    payload = validate_body(request, GuidebookCreateIn, JSON_BODY)
    refuse_nulls(payload)
    guidebook = actions.create_guidebook(
        request.auth.user,  # type: ignore[attr-defined]
        name=payload.name,
        description=payload.description or "",
        category=find_category("category", payload.category),
        published=bool(payload.published),
        tags=list(payload.tags or []),
        application=request.auth.application,  # type: ignore[attr-defined]
    )
    guidebook = found_guidebook(request, guidebook.unique_id)
    data = guidebook_data(guidebook)
    response = json_response({"unique_id": data["unique_id"], "guidebook": data}, status=201)
    return _located(response, guidebook)


@router.get(
    "/guidebooks",
    auth=token_or_client_auth,
    response={200: GuidebookListOut, **ERRORS},
    summary="Search guidebooks",
    openapi_extra={"parameters": [CLIENT_ID_PARAMETER]},
)
def list_guidebooks(request: HttpRequest, filters: Query[GuidebookSearch]):
    """Published guidebooks matching every filter given, newest first, a page at a time.

    With your own username in `user`, your drafts are listed too (after the published ones).
    """
    negotiate(request, JSON_ONLY)
    require_scope(request, READ)
    viewer = request.auth.user  # type: ignore[attr-defined]
    own = lists_own(request, filters.user)
    ordering = NEWEST
    if own:
        queryset = Guidebook.objects.filter(owner=viewer)
        ordering = OWN_NEWEST
    else:
        queryset = Guidebook.objects.published()
        if filters.user:
            queryset = queryset.filter(owner__username__iexact=filters.user)
    if filters.q and filters.q.strip():
        queryset = queryset.matching_text(filters.q.strip())
    if filters.tag:
        queryset = queryset.with_all_tags(searched_tags(filters.tag))
    if filters.category:
        queryset = queryset.filter(category=find_category("category", filters.category))
    if filters.bbox:
        queryset = queryset.in_bbox(*parse_bbox(filters.bbox))
    queryset = (
        queryset.select_related("owner", "category")
        .prefetch_related("tags")
        .annotate(
            shown_scene_count=Count("scenes", filter=Q(scenes__image__sequence__status="published"))
        )
    )
    rows, cursor = page(queryset, ordering, limit=filters.limit, cursor=filters.cursor)
    link = next_link(request, cursor)
    results = [row.to_dict(tags=row.tag_names(), scene_count=row.shown_scene_count) for row in rows]
    response = json_response({"results": results, "next": link}, vary=True)
    return with_next_link(response, link)


@router.get(
    "/guidebooks/{uuid:unique_id}",
    auth=token_or_client_auth,
    response={200: GuidebookOut, **OWNER_ERRORS},
    summary="Read a guidebook",
    openapi_extra=GEOJSON_DOC,
)
def get_guidebook(request: HttpRequest, unique_id: UUID):
    """A published guidebook, or a draft of yours: its scenes in order, each with its image
    (stable photo links) and its points of interest.

    `Accept: application/geo+json` gives a FeatureCollection with a Point per scene, in order.
    """
    media_type = negotiate(request, JSON_OR_GEOJSON)
    require_scope(request, READ)
    guidebook = found_guidebook(request, unique_id)
    if media_type == GEOJSON:
        collection = guidebook.to_feature_collection(guidebook.shown_scenes())
        return json_response(collection, media_type=GEOJSON, vary=True)
    return json_response(guidebook_data(guidebook), vary=True)


@router.patch(
    "/guidebooks/{uuid:unique_id}",
    auth=token_auth,
    response={200: GuidebookWriteOut, **WRITE_ERRORS},
    summary="Change a guidebook",
    openapi_extra=openapi_body(GuidebookPatchIn, required=False, accepted=JSON_BODY),
)
def update_guidebook(request: HttpRequest, unique_id: UUID):
    """Change your guidebook; fields left out stay as they are. `"published": true` publishes
    it (and tells the application that created it); `false` makes it a draft again."""
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    guidebook = owned_guidebook(request, unique_id)
    payload = validate_body(request, GuidebookPatchIn, JSON_BODY)
    sent = payload.model_fields_set
    refuse_nulls(payload)
    try:
        actions.change_guidebook(
            request.auth.user,  # type: ignore[attr-defined]
            guidebook.pk,
            name=payload.name if "name" in sent else None,
            description=(payload.description or "") if "description" in sent else None,
            category=find_category("category", payload.category)
            if "category" in sent
            else actions.KEEP,
            published=bool(payload.published) if "published" in sent else None,
            tags=list(payload.tags or []) if "tags" in sent else None,
        )
    except Guidebook.DoesNotExist:
        raise ApiError(404, NOT_FOUND) from None
    data = guidebook_data(found_guidebook(request, unique_id))
    return json_response({"unique_id": data["unique_id"], "guidebook": data})


@router.delete(
    "/guidebooks/{uuid:unique_id}",
    auth=token_auth,
    response={204: None, **OWNER_ERRORS},
    summary="Delete a guidebook",
)
def delete_guidebook(request: HttpRequest, unique_id: UUID):
    """Delete your guidebook with its scenes and points. Answers 204."""
    require_scope(request, WRITE)
    guidebook = owned_guidebook(request, unique_id)
    try:
        actions.delete_guidebook(request.auth.user, guidebook.pk)  # type: ignore[attr-defined]
    except Guidebook.DoesNotExist:
        raise ApiError(404, NOT_FOUND) from None
    return HttpResponse(status=204)


# Scenes ---------------------------------------------------------------------------------------


def published_image(key: str) -> Image:
    image = (
        Image.objects.filter(key=key, sequence__status="published").only("id", "is_pano").first()
    )
    if image is None:
        raise invalid_parameter(
            "image", "give the key of an image of a published sequence on this server."
        )
    return image


@router.post(
    "/guidebooks/{uuid:unique_id}/scenes",
    auth=token_auth,
    response={201: SceneWriteOut, **WRITE_ERRORS},
    summary="Add a scene",
    openapi_extra=openapi_body(SceneCreateIn, accepted=JSON_BODY),
)
def create_scene(request: HttpRequest, unique_id: UUID):
    """Add a scene to your guidebook: an image of a published sequence (anyone's), with a title
    and a description, at `position` (the end if left out). At most 500 scenes.

    Answers 201 with the scene's `unique_id`.
    """
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    guidebook = owned_guidebook(request, unique_id)
    payload = validate_body(request, SceneCreateIn, JSON_BODY)
    refuse_nulls(payload)
    image = published_image(payload.image)
    try:
        scene = actions.add_scene(
            request.auth.user,  # type: ignore[attr-defined]
            guidebook.pk,
            image,
            position=payload.position,
            title=payload.title or "",
            description=payload.description or "",
        )
    except TooManyScenes as error:
        raise ApiError(
            422,
            str(error),
            {"errors": [{"field": "image", "message": str(error), "type": "too_many"}]},
        ) from None
    except Guidebook.DoesNotExist:
        raise ApiError(404, NOT_FOUND) from None
    data = scene_data(scene)
    response = json_response({"unique_id": data["unique_id"], "scene": data}, status=201)
    return _located(response, guidebook)


@router.put(
    "/guidebooks/{uuid:unique_id}/scenes",
    auth=token_auth,
    response={200: GuidebookWriteOut, **WRITE_ERRORS},
    summary="Reorder the scenes",
    openapi_extra=openapi_body(SceneOrderIn, accepted=JSON_BODY),
)
def reorder_scenes(request: HttpRequest, unique_id: UUID):
    """Put your guidebook's scenes in a new order: every scene's `unique_id`, each once.

    Hidden scenes (of sequences no longer published) may be left out: they go after the others.
    """
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    guidebook = owned_guidebook(request, unique_id)
    payload = validate_body(request, SceneOrderIn, JSON_BODY)
    try:
        actions.reorder_scenes(request.auth.user, guidebook.pk, payload.scenes)  # type: ignore[attr-defined]
    except actions.SceneOrderError as error:
        raise invalid_parameter("scenes", str(error)) from None
    except Guidebook.DoesNotExist:
        raise ApiError(404, NOT_FOUND) from None
    data = guidebook_data(found_guidebook(request, unique_id))
    return json_response({"unique_id": data["unique_id"], "guidebook": data})


@router.patch(
    "/guidebooks/{uuid:unique_id}/scenes/{uuid:scene_id}",
    auth=token_auth,
    response={200: SceneWriteOut, **WRITE_ERRORS},
    summary="Change a scene",
    openapi_extra=openapi_body(ScenePatchIn, required=False, accepted=JSON_BODY),
)
def update_scene(request: HttpRequest, unique_id: UUID, scene_id: UUID):
    """Change a scene's title or description, or move it to `position`."""
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    guidebook, scene = owned_scene(request, unique_id, scene_id)
    payload = validate_body(request, ScenePatchIn, JSON_BODY)
    sent = payload.model_fields_set
    refuse_nulls(payload)
    try:
        scene = actions.change_scene(
            request.auth.user,  # type: ignore[attr-defined]
            guidebook.pk,
            scene.pk,
            title=(payload.title or "") if "title" in sent else None,
            description=(payload.description or "") if "description" in sent else None,
            position=payload.position if "position" in sent else None,
        )
    except (Guidebook.DoesNotExist, Scene.DoesNotExist):
        raise ApiError(404, SCENE_NOT_FOUND) from None
    data = scene_data(scene)
    return json_response({"unique_id": data["unique_id"], "scene": data})


@router.delete(
    "/guidebooks/{uuid:unique_id}/scenes/{uuid:scene_id}",
    auth=token_auth,
    response={204: None, **OWNER_ERRORS},
    summary="Delete a scene",
)
def delete_scene(request: HttpRequest, unique_id: UUID, scene_id: UUID):
    """Delete a scene with its points of interest; the scenes after it move up. Answers 204."""
    require_scope(request, WRITE)
    guidebook, scene = owned_scene(request, unique_id, scene_id, hidden=True)
    try:
        actions.delete_scene(request.auth.user, guidebook.pk, scene.pk)  # type: ignore[attr-defined]
    except (Guidebook.DoesNotExist, Scene.DoesNotExist):
        raise ApiError(404, SCENE_NOT_FOUND) from None
    return HttpResponse(status=204)


# Points of interest ---------------------------------------------------------------------------


def _poi_response(poi: Poi, *, is_pano: bool, status: int) -> HttpResponse:
    poi = Poi.objects.select_related("category").get(pk=poi.pk)
    data = poi.to_dict(is_pano=is_pano)
    return json_response({"unique_id": data["unique_id"], "poi": data}, status=status)


def _check_direction(scene: Scene, payload: PoiFields) -> None:
    if payload.yaw is not None and not scene.image.is_pano:
        raise invalid_parameter(
            "yaw", "only a 360° panorama takes yaw and pitch: place the point by x and y."
        )


@router.post(
    "/guidebooks/{uuid:unique_id}/scenes/{uuid:scene_id}/pois",
    auth=token_auth,
    response={201: PoiWriteOut, **WRITE_ERRORS},
    summary="Add a point of interest",
    openapi_extra=openapi_body(PoiCreateIn, accepted=JSON_BODY),
)
def create_poi(request: HttpRequest, unique_id: UUID, scene_id: UUID):
    """Place a point of interest on a scene's photo: `x` and `y` from 0 to 1 from its top left
    corner or, on a 360° panorama, `yaw` (-180 to 180) and `pitch` (-90 to 90) in degrees.
    At most 100 per scene. Answers 201 with its `unique_id`."""
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    guidebook, scene = owned_scene(request, unique_id, scene_id)
    payload = validate_body(request, PoiCreateIn, JSON_BODY)
    refuse_nulls(payload)
    _check_direction(scene, payload)
    placing = payload.placing()
    if placing is None:
        raise invalid_parameter("x", "place the point: give x and y (or yaw and pitch).")
    try:
        poi = actions.add_poi(
            request.auth.user,  # type: ignore[attr-defined]
            guidebook.pk,
            scene.pk,
            title=payload.title,
            description=payload.description or "",
            x=placing[0],
            y=placing[1],
            category=find_category("category", payload.category),
            url=payload.url or "",
        )
    except TooManyPois as error:
        raise ApiError(422, str(error)) from None
    except (Guidebook.DoesNotExist, Scene.DoesNotExist):
        raise ApiError(404, SCENE_NOT_FOUND) from None
    return _poi_response(poi, is_pano=scene.image.is_pano, status=201)


def _owned_poi(request: HttpRequest, unique_id: UUID, scene_id: UUID, poi_id: UUID):
    guidebook, scene = owned_scene(request, unique_id, scene_id)
    poi = Poi.objects.filter(scene=scene, unique_id=poi_id).first()
    if poi is None:
        raise ApiError(404, POI_NOT_FOUND)
    return guidebook, scene, poi


@router.patch(
    "/guidebooks/{uuid:unique_id}/scenes/{uuid:scene_id}/pois/{uuid:poi_id}",
    auth=token_auth,
    response={200: PoiWriteOut, **WRITE_ERRORS},
    summary="Change a point of interest",
    openapi_extra=openapi_body(PoiPatchIn, required=False, accepted=JSON_BODY),
)
def update_poi(request: HttpRequest, unique_id: UUID, scene_id: UUID, poi_id: UUID):
    """Change a point of interest; fields left out stay as they are. `category` and `url`
    may be null (none)."""
    negotiate(request, JSON_ONLY)
    require_scope(request, WRITE)
    guidebook, scene, poi = _owned_poi(request, unique_id, scene_id, poi_id)
    payload = validate_body(request, PoiPatchIn, JSON_BODY)
    sent = payload.model_fields_set
    refuse_nulls(payload)
    _check_direction(scene, payload)
    placing = payload.placing()
    try:
        poi = actions.change_poi(
            request.auth.user,  # type: ignore[attr-defined]
            guidebook.pk,
            poi.pk,
            x=placing[0] if placing is not None else None,
            y=placing[1] if placing is not None else None,
            title=payload.title if "title" in sent else None,
            description=(payload.description or "") if "description" in sent else None,
            category=find_category("category", payload.category)
            if "category" in sent
            else actions.KEEP,
            url=(payload.url or "") if "url" in sent else None,
        )
    except (Guidebook.DoesNotExist, Poi.DoesNotExist):
        raise ApiError(404, POI_NOT_FOUND) from None
    return _poi_response(poi, is_pano=scene.image.is_pano, status=200)


@router.delete(
    "/guidebooks/{uuid:unique_id}/scenes/{uuid:scene_id}/pois/{uuid:poi_id}",
    auth=token_auth,
    response={204: None, **OWNER_ERRORS},
    summary="Delete a point of interest",
)
def delete_poi(request: HttpRequest, unique_id: UUID, scene_id: UUID, poi_id: UUID):
    """Delete a point of interest. Answers 204."""
    require_scope(request, WRITE)
    guidebook, _scene, poi = _owned_poi(request, unique_id, scene_id, poi_id)
    try:
        actions.delete_poi(request.auth.user, guidebook.pk, poi.pk)  # type: ignore[attr-defined]
    except Guidebook.DoesNotExist:
        raise ApiError(404, NOT_FOUND) from None
    return HttpResponse(status=204)
