"""``GET /api/v1/images/<key>/thumbnail?size=1024``: an image's photo, by a link that never
goes stale.

A photo uploaded to this server is answered with its own file (``mtp.sequences.hosted``):
``thumb`` for 256, ``sd`` for 1024 and 2048, ``hd`` (the file as uploaded) for the original.
An imported photo's answer is a 302 to a freshly signed Mapillary link
(``mtp.sequences.photos``), or the photo's kept copy (``mtp.sequences.keeper``): always for
``size=256`` once there is one (it is that very photo), and for other sizes when Mapillary
cannot give the photo (it is unreachable, refuses the instance's token, or has dropped it).

Photos are read by ``<img>`` tags, which send no token and no ``client_id``: photos of
published sequences need neither, and are rate limited per address (``MTP_API_RATE_PHOTOS``).
Photos of sequences that are not public are their owner's only: the owner's signed link
(``expires`` and ``signature``, which the API and the pages give the owner), the owner's
browser session, or the owner's access token; anyone else gets the 404 of a photo that does
not exist. Credentials are checked first, for every key: refused ones (another scheme than
Bearer, no token, a token that is not live) are a 401 whatever the photo, counted as bad
tokens (``api-bad-token``). Like the tiles, this is a plain Django view, not an API
operation: it is read dozens of times per page.
"""

import functools
import time

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from mtp.api.auth import authenticate_token, bearer_token
from mtp.api.errors import ApiError, api_error_response, error_response, invalid_parameter
from mtp.api.limits import bad_token_refusal, count_bad_token, count_request, photos_policy, refusal
from mtp.lib.ratelimit import apply_headers
from mtp.mapillary.formats import is_key
from mtp.sequences import hosted
from mtp.sequences.keeper import SIZE as KEPT_SIZE
from mtp.sequences.links import DEFAULT_SIZE, FIELDS, SIZES, valid_signature
from mtp.sequences.models import Image, Sequence
from mtp.sequences.photos import PhotoUnavailable, resolve, stored_links

NOT_FOUND = "No photo with this key."
GONE = "Mapillary no longer has this photo, and this server kept no copy of it."
# How long browsers may keep a redirect or a kept copy; a redirect never outlives its link.
MAX_AGE = 3600
KEPT_COPY_MAX_AGE = 300


def invalid_size() -> ApiError:
    return invalid_parameter("size", f"choose one of {', '.join(SIZES)}.")


@csrf_exempt  # it changes nothing: any other method is a 405, not a CSRF 403
def thumbnail(request: HttpRequest, key: str) -> HttpResponseBase:
    """The photo: its file when it is hosted here; a redirect to Mapillary's CDN, or the kept
    copy's bytes, when it was imported."""
    if request.method not in ("GET", "HEAD"):
        return error_response(405, "Photos are read with GET.", headers={"Allow": "GET, HEAD"})
    refused = bad_token_refusal(request)
    if refused is not None:
        return refused
    usage = count_request(request, photos_policy())
    if usage.exceeded:
        return refusal(usage)
    try:
        response = _thumbnail(request, key)
    except ApiError as error:
        response = api_error_response(request, error)
    return count_bad_token(request, apply_headers(response, usage))


def _thumbnail(request: HttpRequest, key: str) -> HttpResponseBase:
    size = request.GET.get("size", DEFAULT_SIZE)
    if size not in SIZES:
        raise invalid_size()
    # Credentials are checked before the key is looked up: refused ones get the same 401
    # whether the photo is unpublished or does not exist.
    token_user_id = _token_user_id(request)
    if not is_key(key):
        raise ApiError(404, NOT_FOUND)
    row = _photo_row(key)
    if row is None:
        raise ApiError(404, NOT_FOUND)
    kept_copy = row["kept_copy"]
    public = row["status"] == Sequence.Status.PUBLISHED
    if not public and not _is_owner(request, key, row["owner_id"], token_user_id):
        raise ApiError(404, NOT_FOUND)
    cache_scope = "public" if public else "private"
    if row["photo_source"] == Sequence.PhotoSource.UPLOAD:
        return _hosted(key, size, cache_scope)
    mapillary_key = row["mapillary_key"]
    if size == KEPT_SIZE and kept_copy:
        # The kept copy is this very photo: no need for Mapillary.
        return _kept_copy(kept_copy, cache_scope)
    try:
        links = stored_links(row)
        if links is None:
            links = _resolve_around(mapillary_key, row["sequence_id"], row["position"])
    except PhotoUnavailable as unavailable:
        if kept_copy:
            return _kept_copy(kept_copy, cache_scope)
        headers = {"Retry-After": str(unavailable.retry_after or 60)}
        raise ApiError(503, unavailable.message, headers=headers) from None
    url = links.urls.get(size) or _nearest(links.urls, size)
    if url is None:
        if kept_copy:
            return _kept_copy(kept_copy, cache_scope)
        raise ApiError(404, GONE)
    response = HttpResponseRedirect(url)
    left = links.usable_until - time.time()
    response["Cache-Control"] = f"{cache_scope}, max-age={max(0, min(MAX_AGE, int(left)))}"
    return response


_COLUMNS = (
    "mapillary_key",
    "sequence_id",
    "position",
    "kept_copy",
    "links_until",
    *FIELDS.values(),
)


@functools.lru_cache(maxsize=1)
def _photo_sql() -> str:
    """One indexed lookup of a photo with what the endpoint needs of its sequence: written
    out, as the endpoint is read dozens of times per page and the ORM cost more than the query."""
    image, sequence = Image._meta, Sequence._meta
    quote = connection.ops.quote_name
    columns = ", ".join(
        f"i.{quote(Image._meta.get_field(name).column)}"  # type: ignore[union-attr, arg-type]
        for name in _COLUMNS
    )
    # Only names from the models go into the statement; the key is a parameter.
    return (
        f"SELECT {columns}, s.{quote('status')}, s.{quote('owner_id')},"  # noqa: S608
        f" s.{quote('photo_source')}"
        f" FROM {quote(image.db_table)} i JOIN {quote(sequence.db_table)} s ON s.id = i.sequence_id"
        f" WHERE i.{quote('key')} = %s"
    )


def _photo_row(key: str) -> dict | None:
    with connection.cursor() as cursor:
        cursor.execute(_photo_sql(), [key])
        row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([*_COLUMNS, "status", "owner_id", "photo_source"], row, strict=True))


def _hosted(key: str, size: str, cache_scope: str) -> FileResponse:
    """A hosted photo's file for ``size``, streamed from the storage."""
    try:
        file = default_storage.open(hosted.file_name(key, hosted.FOR_SIZE[size]), "rb")
    except FileNotFoundError:
        # Its sequence is published only once every file is stored: a file missing now was
        # lost from the storage.
        raise ApiError(404, "This server no longer holds this photo's file.") from None
    except OSError:
        raise ApiError(
            503, "Photos are not available right now.", headers={"Retry-After": "60"}
        ) from None
    response = FileResponse(file, content_type="image/jpeg")
    # A hosted photo's files never change: browsers may keep them.
    response["Cache-Control"] = f"{cache_scope}, max-age={MAX_AGE * 24}"
    return response


def _token_user_id(request: HttpRequest) -> int | None:
    """The user of the access token the request sends, or None without credentials; a 401 for
    credentials refused (another scheme, no token, a token that is not live)."""
    raw_token = bearer_token(request)
    if raw_token is None:
        return None
    _token, caller, _application = authenticate_token(raw_token)
    request.token_checked = True  # type: ignore[attr-defined]
    return caller.pk


def _is_owner(request: HttpRequest, key: str, owner_id: int, token_user_id: int | None) -> bool:
    expires = request.GET.get("expires", "")
    signature = request.GET.get("signature", "")
    if expires and signature and valid_signature(key, expires, signature):
        return True
    if token_user_id is not None:
        return token_user_id == owner_id
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.pk == owner_id)


def _resolve_around(mapillary_key: str, sequence_id: int, position: int):
    """Resolve the photo with the ones after it in its sequence, in one Graph API call: a
    viewer walking the sequence then finds the next photos' links already known."""
    following = list(
        Image.objects.filter(sequence_id=sequence_id, position__gt=position)
        .order_by("position")
        .values_list("key", flat=True)[: settings.MAPILLARY_BATCH_SIZE - 1]
    )
    # A browser is waiting: one try; on failure the kept copy, or a 503 with Retry-After.
    links = resolve([mapillary_key, *following], retries=0)
    return links[mapillary_key]


def _nearest(urls: dict[str, str], size: str) -> str | None:
    """Another size when Mapillary gave none for this one: the next larger, else smaller."""
    order = list(SIZES)
    start = order.index(size)
    for candidate in order[start + 1 :] + order[:start][::-1]:
        if urls.get(candidate):
            return urls[candidate]
    return None


def _kept_copy(name: str, cache_scope: str) -> HttpResponse:
    try:
        with default_storage.open(name, "rb") as file:
            data = file.read()
    except OSError:
        raise ApiError(
            503, "Photos are not available right now.", headers={"Retry-After": "60"}
        ) from None
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = f"{cache_scope}, max-age={KEPT_COPY_MAX_AGE}"
    return response


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything under images/ that is not ``<key>/thumbnail``."""
    return error_response(
        404,
        "No such photo: photos are at /api/v1/images/<key>/thumbnail?size=1024.",
        {"sizes": list(SIZES)},
    )
