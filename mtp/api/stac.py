"""The STAC API (1.0.0) under ``/api``: published sequences as collections, their photos as
items, and a search of all photos by place, time, collection and id.

``/api`` is the landing page that STAC clients (pystac-client, QGIS, Panoramax's tools) open;
``/api/collections`` and ``/api/collections/<id>/items`` are OGC API Features; ``/api/search``
takes GET and POST. Lists page by ``next`` links holding a cursor, never an offset, so a deep
page costs what the first does. The objects are ``mtp.sequences.stac``'s.

Everything here is public and read only: no token, no ``client_id``; requests are counted per
address (``MTP_API_RATE_ADDRESS``). Errors are the API's shape with STAC's ``code`` and
``description`` beside ``error``.

Reference: https://github.com/radiantearth/stac-api-spec/tree/v1.0.0
"""

import json
import math
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Count, Max, Min, Sum
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from mtp.api.bodies import body_refusal_error
from mtp.api.errors import ApiError
from mtp.api.limits import address_policy, too_many
from mtp.api.pagination import Ordering
from mtp.api.search import NEWEST
from mtp.lib import ratelimit
from mtp.lib.dates import in_utc
from mtp.lib.http import client_ip, json_response
from mtp.lib.ratelimit import apply_headers
from mtp.sequences import stac
from mtp.sequences.links import person_data
from mtp.sequences.tags import tag_names_by_sequence

# Not OGC's oas30 class, nor a service-desc link: API v1's OpenAPI document does not describe
# these routes.
CONFORMANCE = [
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/collections",
    "https://api.stacspec.org/v1.0.0/ogcapi-features",
    "https://api.stacspec.org/v1.0.0/item-search",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
DEFAULT_LIMIT = 10
DEFAULT_COLLECTIONS_LIMIT = 100
MAX_LIMIT = 1000
# The most collection ids or item ids one search may name.
MAX_NAMED = 1000
UNSUPPORTED = ("intersects", "sortby", "fields", "filter", "query")

SEARCH_ORDER = Ordering("search", "sequence_id", descending=False, kind=int)
ITEMS_ORDER = Ordering("items", "position", descending=False, kind=int)


class StacError(ApiError):
    """A 4xx with STAC's error code (``InvalidParameterValue``, ``NotFound``...)."""

    def __init__(self, status: int, message: str, code: str = "InvalidParameterValue") -> None:
        super().__init__(status, message)
        self.code = code


def not_found(what: str) -> StacError:
    return StacError(404, f"No {what} with this id.", "NotFound")


def _error_reply(error: ApiError) -> HttpResponse:
    code = getattr(error, "code", "Error")
    body = {
        "error": error.message,
        "status": False,
        "detail": error.detail,
        "code": code,
        "description": error.message,
    }
    response = json_response(body, status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


def stac_view(*methods: str) -> Callable:
    """A public STAC route: its methods (and HEAD with GET), the per-address count, and
    its errors in the API's shape."""
    allowed = sorted({*methods, "HEAD"} if "GET" in methods else set(methods))

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt  # nothing here acts for anyone: no cookie is read
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                error = StacError(405, f"Use {', '.join(allowed)} here.", "MethodNotAllowed")
                error.headers["Allow"] = ", ".join(allowed)
                return _error_reply(error)
            usage = ratelimit.hit(address_policy(), f"ip:{client_ip(request)}")
            if usage.exceeded:
                return _error_reply(too_many(usage))
            try:
                refused = body_refusal_error(request)
                if refused is not None:
                    raise refused
                response = view(request, *args, **kwargs)
            except ApiError as error:
                response = _error_reply(error)
            if request.method == "HEAD":
                response["Content-Length"] = str(len(response.content))
                response.content = b""
            return apply_headers(response, usage)

        return wrapper

    return decorate


# Parameters -------------------------------------------------------------------------------------


def parse_limit(value: Any, default: int) -> int:
    """A page's size: a whole number from 1; over MAX_LIMIT is MAX_LIMIT (as OGC API Features
    asks)."""
    if value is None or value == "":
        return default
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise StacError(400, f"limit: give a whole number from 1 to {MAX_LIMIT}.")
    return min(value, MAX_LIMIT)


def parse_bbox(value: Any) -> tuple[float, float, float, float]:
    """``west,south,east,north`` (or with two heights, which are ignored); west greater than
    east: across 180°."""
    parts = value.split(",") if isinstance(value, str) else value
    numbers: list[float] = []
    if isinstance(parts, list) and len(parts) in (4, 6):
        try:
            numbers = [float(part) for part in parts if not isinstance(part, bool)]
        except (TypeError, ValueError):
            numbers = []
    if len(numbers) not in (4, 6) or not all(math.isfinite(number) for number in numbers):
        raise StacError(400, "bbox: give 4 numbers, west,south,east,north (or 6 with heights).")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    west, south, east, north = numbers
    if not all(-180 <= lon <= 180 for lon in (west, east)) or not all(
        -90 <= lat <= 90 for lat in (south, north)
    ):
        raise StacError(400, "bbox: longitudes are -180 to 180 and latitudes -90 to 90.")
    if south > north:
        raise StacError(400, "bbox: the south edge is above the north edge.")
    return west, south, east, north


def _moment(text: str) -> datetime:
    if "T" not in text.upper():
        raise ValueError("a date without a time")
    return in_utc(datetime.fromisoformat(text))


def parse_datetime(value: Any) -> tuple[datetime | None, datetime | None]:
    """A moment, or an interval ``start/end`` with ``..`` or nothing for an open end, in
    RFC 3339: the start and end to search between (None: open)."""
    if not isinstance(value, str) or not value.strip():
        raise StacError(400, "datetime: give an RFC 3339 date-time or an interval start/end.")
    text = value.strip()
    try:
        if "/" not in text:
            moment = _moment(text)
            return moment, moment
        start_text, _, end_text = text.partition("/")
        start = None if start_text in ("", "..") else _moment(start_text)
        end = None if end_text in ("", "..") else _moment(end_text)
    except ValueError:
        raise StacError(
            400,
            "datetime: give an RFC 3339 date-time (2024-05-01T09:00:00Z) or an interval "
            "start/end, with .. for an open end.",
        ) from None
    if start is None and end is None:
        raise StacError(400, "datetime: an interval needs at least one end.")
    if start is not None and end is not None and start > end:
        raise StacError(400, "datetime: the interval's start is after its end.")
    return start, end


def parse_names(field: str, value: Any) -> tuple[str, ...]:
    """Ids separated by commas (GET) or a list of strings (POST)."""
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise StacError(400, f"{field}: give a list of ids.")
    names = [name.strip() for name in names if name.strip()]
    if len(names) > MAX_NAMED:
        raise StacError(400, f"{field}: name at most {MAX_NAMED} ids.")
    return tuple(names)


def collection_uuids(names: tuple[str, ...]) -> tuple[UUID, ...]:
    """The ids that may be collections' (the others name none)."""
    uuids = []
    for name in names:
        try:
            uuids.append(UUID(name))
        except ValueError:
            continue
    return tuple(uuids)


def _search_from(params: dict[str, Any]) -> tuple[stac.PhotoSearch, int, str | None]:
    """The search, the page size and the cursor of a search's parameters (GET's or POST's)."""
    for name in UNSUPPORTED:
        if params.get(name) not in (None, "", [], {}):
            raise StacError(400, f"{name} is not supported here: search with bbox.")
    bbox = parse_bbox(params["bbox"]) if params.get("bbox") not in (None, "") else None
    start = end = None
    if params.get("datetime") not in (None, ""):
        start, end = parse_datetime(params["datetime"])
    collections = None
    if params.get("collections") not in (None, ""):
        collections = collection_uuids(parse_names("collections", params["collections"]))
    ids = parse_names("ids", params["ids"]) if params.get("ids") not in (None, "") else None
    cursor = params.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise StacError(400, "cursor: use the next link of the page before, unchanged.")
    search = stac.PhotoSearch(bbox=bbox, start=start, end=end, collections=collections, ids=ids)
    return search, parse_limit(params.get("limit"), DEFAULT_LIMIT), cursor or None


def _query_params(request: HttpRequest) -> dict[str, Any]:
    return {name: request.GET.get(name) for name in request.GET}


def _decode(ordering: Ordering, cursor: str) -> tuple[Any, int]:
    try:
        return ordering.decode(cursor)
    except ApiError as error:
        raise StacError(400, error.message) from None


def _next_get(request: HttpRequest, cursor: str | None) -> list[dict[str, Any]]:
    if cursor is None:
        return []
    query = request.GET.copy()
    query["cursor"] = cursor
    href = f"{settings.SITE_URL}{request.path}?{query.urlencode()}"
    return [stac.link("next", href, stac.GEOJSON)]


# Views ------------------------------------------------------------------------------------------


@stac_view("GET")
def landing(request: HttpRequest) -> HttpResponse:
    """The landing page: what this API conforms to and where its parts are."""
    search_url = stac.stac_url("stac-search")
    body = {
        "type": "Catalog",
        "stac_version": stac.STAC_VERSION,
        "id": "map-the-paths",
        "title": settings.SITE_NAME,
        "description": "Street-level photos shared on this Map the Paths server: each "
        "published sequence is a collection, each of its photos an item.",
        "conformsTo": CONFORMANCE,
        "links": [
            *stac.common_links(stac.stac_url("stac-landing")),
            stac.link("conformance", stac.stac_url("stac-conformance")),
            stac.link("data", stac.stac_url("stac-collections")),
            stac.link("search", search_url, stac.GEOJSON, method="GET"),
            stac.link("search", search_url, stac.GEOJSON, method="POST"),
        ],
    }
    return json_response(body)


@stac_view("GET")
def conformance(request: HttpRequest) -> HttpResponse:
    return json_response({"conformsTo": CONFORMANCE})


def _collections_page(
    queryset, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of collections, newest first, with their tags: two queries."""
    queryset = queryset.order_by(*NEWEST.order_by())
    if cursor:
        value, pk = _decode(NEWEST, cursor)
        queryset = queryset.filter(NEWEST.after(value, pk))
    rows = list(queryset.values(*stac.COLLECTION_VALUES)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = NEWEST.encode(
            SimpleNamespace(published_at=last["published_at"], pk=last["id"])
        )
    tags = tag_names_by_sequence([row["id"] for row in rows])
    return [stac.collection_data(row, tags=tags[row["id"]]) for row in rows], next_cursor


@stac_view("GET")
def collections(request: HttpRequest) -> HttpResponse:
    """Published sequences, newest first, a page at a time; ``bbox`` and ``datetime`` narrow."""
    params = _query_params(request)
    limit = parse_limit(params.get("limit"), DEFAULT_COLLECTIONS_LIMIT)
    queryset = stac.published_collections()
    if params.get("bbox"):
        queryset = queryset.in_bbox(*parse_bbox(params["bbox"]))  # type: ignore[attr-defined]
    if params.get("datetime"):
        queryset = stac.collections_in_interval(queryset, *parse_datetime(params["datetime"]))
    found, cursor = _collections_page(queryset, limit=limit, cursor=params.get("cursor"))
    self_url = stac.stac_url("stac-collections")
    body = {
        "collections": found,
        "links": [
            *stac.common_links(self_url),
            stac.link("parent", stac.stac_url("stac-landing")),
            *[{**link, "type": stac.JSON} for link in _next_get(request, cursor)],
        ],
    }
    return json_response(body)


def _published_collection(collection_id: str) -> dict[str, Any]:
    try:
        unique_id = UUID(collection_id)
    except ValueError:
        raise not_found("collection") from None
    row = (
        stac.published_collections()
        .filter(unique_id=unique_id)
        .values(*stac.COLLECTION_VALUES)
        .first()
    )
    if row is None:
        raise not_found("collection")
    return row


@stac_view("GET")
def collection(request: HttpRequest, collection_id: str) -> HttpResponse:
    row = _published_collection(collection_id)
    tags = tag_names_by_sequence([row["id"]])
    return json_response(stac.collection_data(row, tags=tags[row["id"]]))


def _feature_collection(
    features: list[dict[str, Any]], links: list[dict[str, Any]]
) -> HttpResponse:
    body = {
        "type": "FeatureCollection",
        "features": features,
        "links": links,
        "numberReturned": len(features),
    }
    return json_response(body, media_type=stac.GEOJSON)


@stac_view("GET")
def items(request: HttpRequest, collection_id: str) -> HttpResponse:
    """A collection's photos in capture order, a page at a time; ``bbox`` and ``datetime``
    narrow (OGC API Features)."""
    row = _published_collection(collection_id)
    params = _query_params(request)
    search, limit, cursor = _search_from(
        {name: params.get(name) for name in ("bbox", "datetime", "limit", "cursor")}
    )
    queryset = stac.published_photos(search).filter(sequence_id=row["id"])
    queryset = queryset.order_by(*ITEMS_ORDER.order_by())
    if cursor:
        queryset = queryset.filter(ITEMS_ORDER.after(*_decode(ITEMS_ORDER, cursor)))
    rows = list(stac.item_rows(queryset)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = ITEMS_ORDER.encode(SimpleNamespace(position=rows[-1][1], pk=rows[-1][-1]))
    collection_url = stac.stac_url("stac-collection", collection_id)
    links = [
        *stac.common_links(stac.stac_url("stac-items", collection_id)),
        stac.link("parent", collection_url),
        stac.link("collection", collection_url),
        *_next_get(request, next_cursor),
    ]
    return _feature_collection([stac.item_data(row) for row in rows], links)


@stac_view("GET")
def item(request: HttpRequest, collection_id: str, item_id: str) -> HttpResponse:
    """One photo, with links to the photos before and after it."""
    row = _published_collection(collection_id)
    photos = stac.published_photos(stac.PhotoSearch(ids=(item_id,))).filter(sequence_id=row["id"])
    found = stac.item_rows(photos).first()
    if found is None:
        raise not_found("item")
    neighbours = stac.neighbour_keys(row["id"], found[1])
    response = json_response(stac.item_data(found, neighbours=neighbours))
    response["Content-Type"] = stac.GEOJSON
    return response


@stac_view("GET", "POST")
def search(request: HttpRequest) -> HttpResponse:
    """Photos of published sequences by ``bbox``, ``datetime``, ``collections`` and ``ids``,
    a page at a time: ``limit`` (default 10, at most 1000), then the ``next`` link."""
    if request.method == "POST":
        try:
            params = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise StacError(400, "The body is not JSON: send a JSON object.") from None
        if not isinstance(params, dict):
            raise StacError(400, "The body is not a JSON object.")
    else:
        params = _query_params(request)
    found, limit, cursor = _search_from(params)
    after = _decode(SEARCH_ORDER, cursor) if cursor else None
    rows = stac.search_photos(found, after=after, limit=limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = SimpleNamespace(sequence_id=rows[-1][-2], pk=rows[-1][-1])
        next_cursor = SEARCH_ORDER.encode(last)
    search_url = stac.stac_url("stac-search")
    links = [*stac.common_links(search_url)]
    if next_cursor is not None and request.method == "POST":
        body = {**params, "cursor": next_cursor}
        links.append(stac.link("next", search_url, stac.GEOJSON, method="POST", body=body))
    else:
        links += _next_get(request, next_cursor)
    return _feature_collection([stac.item_data(row) for row in rows], links)


@stac_view("GET")
def user_collection(request: HttpRequest, user_id: str) -> HttpResponse:
    """A person's published sequences as one collection whose children they are (as
    Panoramax gives it, for ``panoramax_cli download --user``), ``user_id`` being the
    username; a page of children at a time."""
    params = _query_params(request)
    limit = parse_limit(params.get("limit"), MAX_LIMIT)
    owned = stac.published_collections().of_username(user_id)  # type: ignore[attr-defined]
    totals = owned.aggregate(
        count=Count("id"),
        photos=Sum("image_count"),
        west=Min("bbox_west"),
        south=Min("bbox_south"),
        east=Max("bbox_east"),
        north=Max("bbox_north"),
        start=Min("captured_at_start"),
        end=Max("captured_at_end"),
        username=Max("owner__username"),
        display_name=Max("owner__display_name"),
    )
    if not totals["count"]:
        raise StacError(404, "No one with this username has published a sequence.", "NotFound")
    queryset = owned.order_by(*NEWEST.order_by())
    cursor = params.get("cursor")
    if cursor:
        queryset = queryset.filter(NEWEST.after(*_decode(NEWEST, cursor)))
    children = list(queryset.values("id", "unique_id", "name", "published_at")[: limit + 1])
    next_cursor = None
    if len(children) > limit:
        children = children[:limit]
        last = children[-1]
        next_cursor = NEWEST.encode(
            SimpleNamespace(published_at=last["published_at"], pk=last["id"])
        )
    owner = person_data(totals["username"], totals["display_name"])
    self_url = stac.stac_url("stac-user-collection", user_id)
    box = [totals["west"], totals["south"], totals["east"], totals["north"]]
    body = {
        "type": "Collection",
        "stac_version": stac.STAC_VERSION,
        "stac_extensions": [],
        "id": f"user:{totals['username']}",
        "title": f"{owner['display_name']}'s sequences",
        "description": f"Every sequence {owner['display_name']} has published.",
        "license": stac.LICENSE,
        "providers": [
            {"name": owner["display_name"], "roles": ["producer"], "url": owner["profile_url"]}
        ],
        "extent": {
            "spatial": {"bbox": [box]},
            "temporal": {
                "interval": [[stac.stac_time(totals["start"]), stac.stac_time(totals["end"])]]
            },
        },
        "stats:items": {"count": totals["photos"] or 0},
        "stats:collections": {"count": totals["count"]},
        "links": [
            *stac.common_links(self_url),
            stac.link("parent", stac.stac_url("stac-landing")),
            *[
                stac.link(
                    "child",
                    stac.stac_url("stac-collection", str(child["unique_id"])),
                    title=child["name"],
                )
                for child in children
            ],
            *[{**link, "type": stac.JSON} for link in _next_get(request, next_cursor)],
        ],
    }
    return json_response(body)
