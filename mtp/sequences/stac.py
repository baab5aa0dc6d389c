"""Published sequences and their photos as STAC (SpatioTemporal Asset Catalog) objects: a
sequence is a Collection, a photo an Item, and the queries that find them.

The objects are STAC 1.1.0, as the STAC API 1.0.0 serves them (``mtp.api.stac``), with the
fields Panoramax's own clients read (``stats:items``, ``original_file:name``, assets ``hd``,
``sd`` and ``thumb``). Every photo link is this instance's own (``mtp.sequences.links``): only
published sequences are STAC objects, so no link needs a signature.

Reference: https://github.com/radiantearth/stac-spec/tree/v1.1.0
"""

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from uuid import UUID

from django.conf import settings
from django.contrib.gis.db.models import FloatField, Func
from django.contrib.gis.geos import Polygon
from django.db import connections
from django.db.models import Q, QuerySet
from django.urls import get_script_prefix, reverse

from mtp.sequences.links import absolute, person_data, photo_url
from mtp.sequences.models import Image, Sequence, transport_types_by_id

STAC_VERSION = "1.1.0"
VIEW_EXTENSION = "https://stac-extensions.github.io/view/v1.0.0/schema.json"
PERSPECTIVE_EXTENSION = "https://stac-extensions.github.io/perspective-imagery/v1.0.0/schema.json"
# Photos imported from Mapillary are shared there under CC BY-SA 4.0, and so here.
LICENSE = "CC-BY-SA-4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by-sa/4.0/"
JPEG = "image/jpeg"
GEOJSON = "application/geo+json"
JSON = "application/json"
# A photo's assets: Panoramax's names, each the instance's own link at one of its sizes.
ASSETS = {
    "hd": ("original", "The photo at its full size", ["data"]),
    "sd": ("2048", "The photo, 2048 pixels wide", ["visual"]),
    "thumb": ("256", "A thumbnail of the photo", ["thumbnail"]),
}


def photo_key_field(prefix: str = "") -> str:
    """The column that holds a photo's own key, its item's id (``prefix``: the way to the
    image from the model queried)."""
    return f"{prefix}key"


def stac_time(moment: datetime | None) -> str | None:
    """A moment as RFC 3339 in UTC, with a Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def stac_url(name: str, *args: str) -> str:
    """The absolute URL of the STAC route ``name`` with its ``args``, without resolving the
    route each time (an item has several links, and a page a thousand items)."""
    url = _url_template(name, len(args), settings.SITE_URL, get_script_prefix())
    for index, value in enumerate(args):
        url = url.replace(f"ARG{index}X", quote(value, safe=_SAFE), 1)
    return url


# What Django's reverse() leaves unquoted in a path argument.
_SAFE = "!$&'()*+,;=~:@"


@functools.lru_cache(maxsize=32)
def _url_template(name: str, count: int, site_url: str, prefix: str) -> str:
    return absolute(reverse(name, args=[f"ARG{index}X" for index in range(count)]))


def link(rel: str, href: str, media_type: str = JSON, **fields: Any) -> dict[str, Any]:
    return {"rel": rel, "href": href, "type": media_type, **fields}


def common_links(rel_self: str) -> list[dict[str, Any]]:
    """The links of every object: itself and the landing page."""
    return [link("self", rel_self), link("root", stac_url("stac-landing"))]


# Collections ------------------------------------------------------------------------------------

# What a collection's JSON reads of a sequence (``Sequence.objects.values(*COLLECTION_VALUES)``).
COLLECTION_VALUES = (
    *("id", "unique_id", "name", "description", "transport_type_id", "image_count", "is_pano"),
    *("bbox_west", "bbox_south", "bbox_east", "bbox_north", "captured_at_start"),
    *("captured_at_end", "created_at", "updated_at", "published_at", "distance_m"),
    *("owner__username", "owner__display_name", "camera_make__name", "camera_model__name"),
)


def collection_data(values: Mapping[str, Any], *, tags: list[str]) -> dict[str, Any]:
    """The STAC Collection of a published sequence, from its ``COLLECTION_VALUES``."""
    collection_id = str(values["unique_id"])
    self_url = stac_url("stac-collection", collection_id)
    box = [values["bbox_west"], values["bbox_south"], values["bbox_east"], values["bbox_north"]]
    start = values["captured_at_start"] or values["published_at"]
    end = values["captured_at_end"] or start
    owner = person_data(values["owner__username"], values["owner__display_name"])
    transport_type = transport_types_by_id().get(values["transport_type_id"])
    orientation = interior_orientation(
        values["camera_make__name"], values["camera_model__name"], values["is_pano"]
    )
    summaries: dict[str, Any] = {}
    if transport_type is not None:
        summaries["mtp:transport_type"] = [transport_type.name]
    if orientation:
        summaries["pers:interior_orientation"] = [orientation]
    return {
        "type": "Collection",
        "stac_version": STAC_VERSION,
        "stac_extensions": [PERSPECTIVE_EXTENSION] if orientation else [],
        "id": collection_id,
        "title": values["name"],
        "description": values["description"] or f"{values['name']}, by {owner['display_name']}.",
        "keywords": tags,
        "license": LICENSE,
        "providers": [
            {
                "name": owner["display_name"],
                "roles": ["producer"],
                "url": owner["profile_url"],
            }
        ],
        "extent": {
            "spatial": {"bbox": [box if box[0] is not None else [-180.0, -90.0, 180.0, 90.0]]},
            "temporal": {"interval": [[stac_time(start), stac_time(end)]]},
        },
        "summaries": summaries,
        "created": stac_time(values["created_at"]),
        "updated": stac_time(values["updated_at"]),
        "stats:items": {"count": values["image_count"]},
        "mtp:distance_m": round(values["distance_m"], 1),
        "links": [
            *common_links(self_url),
            link("parent", stac_url("stac-landing")),
            link("items", stac_url("stac-items", collection_id), GEOJSON),
            link("license", LICENSE_URL, "text/html"),
            link("alternate", absolute(reverse("web:sequence", args=[collection_id])), "text/html"),
        ],
    }


def interior_orientation(
    make: str | None,
    model: str | None,
    is_pano: bool,
    width: int | None = None,
    height: int | None = None,
) -> dict[str, Any]:
    """What the perspective imagery extension says of the camera: {} when nothing is known."""
    orientation: dict[str, Any] = {}
    if make:
        orientation["camera_manufacturer"] = make
    if model:
        orientation["camera_model"] = model
    if width and height:
        orientation["sensor_array_dimensions"] = [width, height]
    if is_pano:
        orientation["field_of_view"] = 360
    return orientation


def published_collections() -> QuerySet[Sequence]:
    """The sequences that are STAC collections: published ones, imported or not."""
    return Sequence.objects.published()


def collections_in_interval(
    queryset: QuerySet[Sequence], start: datetime | None, end: datetime | None
) -> QuerySet[Sequence]:
    """Collections whose capture times overlap the interval (None: open at that end)."""
    if start is not None:
        queryset = queryset.filter(captured_at_end__gte=start)
    if end is not None:
        queryset = queryset.filter(captured_at_start__lte=end)
    return queryset


# Items ------------------------------------------------------------------------------------------

# What an item's JSON reads of a photo and its sequence, in ``item_data``'s order.
ITEM_VALUES = (
    photo_key_field(),
    "position",
    "lon",
    "lat",
    "captured_at",
    "compass_angle",
    "altitude",
    "is_pano",
    "width",
    "height",
    "camera_make__name",
    "camera_model__name",
    "sequence__unique_id",
    "sequence__captured_at_start",
    "sequence__published_at",
)


def item_rows(queryset: QuerySet[Image]) -> QuerySet:
    """``queryset``'s photos as tuples of ``ITEM_VALUES``, then ``sequence_id`` and ``id``,
    without models."""
    return queryset.annotate(
        lon=Func("point", function="ST_X", output_field=FloatField()),
        lat=Func("point", function="ST_Y", output_field=FloatField()),
    ).values_list(*ITEM_VALUES, "sequence_id", "id")


def item_data(
    row: tuple, *, neighbours: tuple[str | None, str | None] = (None, None)
) -> dict[str, Any]:
    """The STAC Item of a photo from its ``item_rows`` row; ``neighbours``: the keys of the
    photos before and after it in its sequence, for the prev and next links."""
    (key, position, lon, lat, captured_at, compass_angle, altitude, is_pano, width, height) = row[
        :10
    ]
    make, model, collection_uuid, sequence_start, published_at = row[10:15]
    collection_id = str(collection_uuid)
    self_url = stac_url("stac-item", collection_id, key)
    collection_url = stac_url("stac-collection", collection_id)
    properties: dict[str, Any] = {
        # A photo without a time of its own is dated by its sequence.
        "datetime": stac_time(captured_at or sequence_start or published_at),
        "original_file:name": f"{key}.jpg",
        "mtp:position": position,
    }
    extensions = []
    if compass_angle is not None:
        properties["view:azimuth"] = compass_angle
        extensions.append(VIEW_EXTENSION)
    orientation = interior_orientation(make, model, is_pano, width, height)
    if orientation:
        properties["pers:interior_orientation"] = orientation
        extensions.append(PERSPECTIVE_EXTENSION)
    links = [
        *common_links(self_url),
        link("parent", collection_url),
        link("collection", collection_url),
        link("license", LICENSE_URL, "text/html"),
    ]
    previous, following = neighbours
    if previous is not None:
        links.append(link("prev", stac_url("stac-item", collection_id, previous), GEOJSON))
    if following is not None:
        links.append(link("next", stac_url("stac-item", collection_id, following), GEOJSON))
    coordinates = [lon, lat] if altitude is None else [lon, lat, altitude]
    return {
        "type": "Feature",
        "stac_version": STAC_VERSION,
        "stac_extensions": extensions,
        "id": key,
        "collection": collection_id,
        "geometry": {"type": "Point", "coordinates": coordinates},
        "bbox": [lon, lat, lon, lat],
        "properties": properties,
        "assets": {
            name: {"href": photo_url(key, size), "type": JPEG, "title": title, "roles": roles}
            for name, (size, title, roles) in ASSETS.items()
        },
        "links": links,
    }


@dataclass(frozen=True)
class PhotoSearch:
    """What an item search asks for; None: no condition. ``bbox``: west, south, east, north
    (west greater than east: across 180°)."""

    bbox: tuple[float, float, float, float] | None = None
    start: datetime | None = None
    end: datetime | None = None
    collections: tuple[UUID, ...] | None = None
    ids: tuple[str, ...] | None = None


def published_photos(search: PhotoSearch) -> QuerySet[Image]:
    """The photos of published sequences that match ``search``."""
    queryset = Image.objects.filter(sequence__status=Sequence.Status.PUBLISHED)
    if search.collections is not None:
        queryset = queryset.filter(sequence__unique_id__in=search.collections)
    if search.ids is not None:
        queryset = queryset.filter(**{f"{photo_key_field()}__in": search.ids})
    return _matching(queryset, search)


def _matching(queryset: QuerySet[Image], search: PhotoSearch) -> QuerySet[Image]:
    """Photos taken in the search's interval and box (edges included)."""
    if search.start is not None:
        queryset = queryset.filter(captured_at__gte=search.start)
    if search.end is not None:
        queryset = queryset.filter(captured_at__lte=search.end)
    if search.bbox is None:
        return queryset
    west, south, east, north = search.bbox
    spans = [(west, east)] if west <= east else [(west, 180.0), (-180.0, east)]
    inside = Q()
    for span_west, span_east in spans:
        inside |= Q(stac_lon__gte=span_west, stac_lon__lte=span_east)
    return queryset.alias(
        stac_lon=Func("point", function="ST_X", output_field=FloatField()),
        stac_lat=Func("point", function="ST_Y", output_field=FloatField()),
    ).filter(inside, stac_lat__gte=south, stac_lat__lte=north)


# Sequences asked for at first in a search (at least one per photo of the page), and how many
# times more each next time.
FIRST_SEQUENCES = 4
MORE_SEQUENCES = 4


def search_photos(search: PhotoSearch, *, after: tuple[int, int] | None, limit: int) -> list[tuple]:
    """Up to ``limit`` ``item_rows`` of the photos that match, in (sequence, photo id) order,
    after ``after`` (the last one's sequence id and photo id).

    The sequences come first: those published that may hold a match (their route's box
    crosses the box, their capture times the interval), by id, from their indexes; then their
    photos that match. A photo index ordered by id would be read far into a box that holds few
    photos, and one searched by place would return a dense box's every photo to sort. The
    sequences are asked for a batch at a time, each larger, until the page is full.
    """
    if search.ids is not None:
        # A few photos named by key: their own index.
        photos = published_photos(search)
        if after is not None:
            photos = photos.filter(_after(after))
        return list(item_rows(photos.order_by("sequence_id", "id"))[:limit])
    sequences = published_collections()
    if search.collections is not None:
        sequences = sequences.filter(unique_id__in=search.collections)
    if search.bbox is not None:
        sequences = _boxes_overlapping(sequences, *search.bbox)
    sequences = collections_in_interval(sequences, search.start, search.end)
    first = after[0] if after is not None else 0
    batch = max(FIRST_SEQUENCES, limit)
    rows: list[tuple] = []
    while len(rows) < limit:
        ids = list(
            sequences.filter(id__gte=first).order_by("id").values_list("id", flat=True)[:batch]
        )
        if not ids:
            break
        photos = _matching(Image.objects.filter(sequence_id__in=ids), search)
        if after is not None:
            photos = photos.filter(_after(after))
        found = item_rows(photos.order_by("sequence_id", "id"))[: limit - len(rows)]
        rows += list(found)
        if len(ids) < batch:
            break
        first = ids[-1] + 1
        batch *= MORE_SEQUENCES
    return rows


def _boxes_overlapping(
    sequences: QuerySet[Sequence], west: float, south: float, east: float, north: float
) -> QuerySet[Sequence]:
    """Sequences whose route's box overlaps the box: those that may have photos in it (their
    photos are tested one by one after), found without testing their lines."""
    spans = [(west, east)] if west <= east else [(west, 180.0), (-180.0, east)]
    overlapping = Q()
    for span_west, span_east in spans:
        box = Q(
            bbox_west__lte=span_east,
            bbox_east__gte=span_west,
            bbox_south__lte=north,
            bbox_north__gte=south,
        )
        if connections[sequences.db].vendor == "postgresql":
            # && on the routes' GiST index; sequences of one photo have a box and no line.
            frame = Polygon.from_bbox((span_west, south, span_east, north))
            frame.srid = 4326
            box = Q(geometry__bboverlaps=frame) | Q(box, geometry__isnull=True)
        overlapping |= box
    return sequences.filter(overlapping)


def _after(after: tuple[int, int]) -> Q:
    sequence_id, photo_id = after
    return Q(sequence_id__gt=sequence_id) | Q(sequence_id=sequence_id, id__gt=photo_id)


def neighbour_keys(sequence_id: int, position: int) -> tuple[str | None, str | None]:
    """The keys of the photos just before and after ``position`` in a sequence."""
    photos = Image.objects.filter(sequence_id=sequence_id).values_list(photo_key_field(), flat=True)
    before = photos.filter(position__lt=position).order_by("-position").first()
    after = photos.filter(position__gt=position).order_by("position").first()
    return before, after
