"""``GET /api/v1/tiles/{z}/{x}/{y}.mvt``: a vector tile of published sequences and photos (drawn
by ``mtp.tiles``).

A public read under the API's client_id rule: a registered ``client_id`` in the query string,
or a bearer token. The view is a plain Django view, not an API operation: a tile is bytes
straight from the database, and every step between the request and the query costs time.
"""

import hashlib
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.http import parse_etags

from mtp.api.auth import authenticate
from mtp.api.errors import ApiError, api_error_response, error_response
from mtp.api.limits import (
    bad_token_refusal,
    count_bad_token,
    count_request,
    refusal,
    tiles_policy,
)
from mtp.lib.ratelimit import apply_headers
from mtp.tiles.cache import cached_tile
from mtp.tiles.mvt import MAX_ZOOM, render_tile

CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
_NUMBER = re.compile(r"[0-9]{1,12}")


def tile(request: HttpRequest, z: str, x: str, y: str) -> HttpResponse:
    """The tile as MVT bytes; 204 when it holds no feature, 304 when the client has it."""
    if request.method not in ("GET", "HEAD"):
        return error_response(405, "Tiles are read with GET.", headers={"Allow": "GET, HEAD"})
    refused = bad_token_refusal(request)
    if refused is not None:
        return refused
    # A map view fetches dozens of tiles: their own, higher limit per address (or token).
    usage = count_request(request, tiles_policy())
    if usage.exceeded:
        return refusal(usage)
    return count_bad_token(request, apply_headers(_tile(request, z, x, y), usage))


def _tile(request: HttpRequest, z: str, x: str, y: str) -> HttpResponse:
    try:
        authenticate(request, require_user=False)
        zoom, column, row = parse_tile(z, x, y)
    except ApiError as error:
        return api_error_response(request, error)

    data = cached_tile(zoom, column, row, render_tile)
    cache_control = f"public, max-age={settings.TILES_MAX_AGE}"
    if not data:
        response = HttpResponse(status=204)
        response["Cache-Control"] = cache_control
        return response
    etag = f'"{hashlib.blake2b(data, digest_size=16).hexdigest()}"'
    if _client_has(request, etag):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(data, content_type=CONTENT_TYPE)
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    return response


def parse_tile(z: str, x: str, y: str) -> tuple[int, int, int]:
    """Tile numbers from the path: 400 when not whole numbers, 404 when outside the grid."""
    if not all(_NUMBER.fullmatch(part) for part in (z, x, y)):
        if all(part.isascii() and part.isdigit() for part in (z, x, y)):
            # Whole numbers too long to be on any grid.
            raise _no_such_tile()
        raise ApiError(
            400,
            "Tile coordinates z, x and y must be whole numbers.",
            {"z": z[:20], "x": x[:20], "y": y[:20]},
        )
    zoom, column, row = int(z), int(x), int(y)
    if zoom > MAX_ZOOM:
        raise _no_such_tile(f"Zoom {zoom} is past the deepest zoom, {MAX_ZOOM}.")
    last = (1 << zoom) - 1
    if column > last or row > last:
        raise _no_such_tile(f"At zoom {zoom}, x and y run from 0 to {last}.")
    return zoom, column, row


def _no_such_tile(message: str = "No such tile.") -> ApiError:
    return ApiError(404, message, {"max_zoom": MAX_ZOOM})


def _client_has(request: HttpRequest, etag: str) -> bool:
    """Whether If-None-Match names this tile (weak comparison, as RFC 9110 asks)."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = parse_etags(header)
    return "*" in tags or etag in (tag.removeprefix("W/") for tag in tags)


def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Anything under tiles/ that is not ``{z}/{x}/{y}.mvt``."""
    return error_response(
        404, "No such tile: tiles are at /api/v1/tiles/{z}/{x}/{y}.mvt.", {"max_zoom": MAX_ZOOM}
    )
