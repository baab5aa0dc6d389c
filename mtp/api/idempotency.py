"""The ``Idempotency-Key`` request header (draft-ietf-httpapi-idempotency-key-header).

A client that sends the same key again with the same request, say after its connection
broke, gets the first answer again instead of a second sequence or import. Keys are the
caller's own (per user), kept ``KEY_LIFETIME`` seconds, in the cache (the database's cache
table, or Redis), where expired entries are swept as the cache sweeps them. Only successful
answers (2xx) are kept: after an error the same request may be sent again and run again.

- the same key with another request (method, path, body): 422;
- the same key while its first request is still being answered: 409;
- a key that is not 1 to 255 printable characters: 400.
"""

import hashlib
import json
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException

from mtp.api.errors import ApiError

HEADER = "Idempotency-Key"
KEY_LIFETIME = 24 * 60 * 60
# How long a request in progress holds its key: longer than any request takes.
IN_PROGRESS_LIFETIME = 15 * 60
# The reply headers a replay repeats.
KEPT_HEADERS = ("Content-Type", "Location", "Content-Location")


def _parse(value: str) -> str:
    # A structured-field string ("...") as the draft has it; a bare token is accepted too.
    key = value.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not 1 <= len(key) <= 255 or not all(" " <= char <= "~" for char in key):
        raise ApiError(400, f"The {HEADER} header must be 1 to 255 printable ASCII characters.")
    return key


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path.rstrip('/')} {request.content_type}\n".encode())
    try:
        digest.update(request.body)
    except RawPostDataException:
        # A multipart form already read into fields: their names and values stand for it.
        digest.update(json.dumps(sorted(request.POST.lists())).encode())
    return digest.hexdigest()


def idempotent(request: HttpRequest, answer: Callable[[], HttpResponse]) -> HttpResponse:
    """``answer()``, or the first answer to the same request with the same Idempotency-Key."""
    value = request.headers.get(HEADER)
    if value is None:
        return answer()
    key = _parse(value)
    user_id = request.auth.user.pk  # type: ignore[attr-defined]
    cache_key = f"idempotency:{user_id}:{hashlib.sha256(key.encode()).hexdigest()}"
    fingerprint = _fingerprint(request)
    if not cache.add(cache_key, {"fingerprint": fingerprint}, timeout=IN_PROGRESS_LIFETIME):
        return _replay(cache.get(cache_key), fingerprint)
    try:
        response = answer()
    except BaseException:
        cache.delete(cache_key)
        raise
    if 200 <= response.status_code < 300:
        stored = {
            "fingerprint": fingerprint,
            "status": response.status_code,
            "body": response.content.decode(),
            "headers": {name: response[name] for name in KEPT_HEADERS if name in response},
        }
        cache.set(cache_key, stored, timeout=KEY_LIFETIME)
    else:
        cache.delete(cache_key)
    return response


def _replay(stored: dict | None, fingerprint: str) -> HttpResponse:
    if stored is None:
        # The first request ended with an error just now: the key is free, but say so.
        raise ApiError(409, f"A request with this {HEADER} has just ended; send it again.")
    if stored["fingerprint"] != fingerprint:
        raise ApiError(
            422,
            f"This {HEADER} was used for another request: use a new key for a new request.",
        )
    if "status" not in stored:
        raise ApiError(
            409,
            f"A request with this {HEADER} is still being answered; try again in a moment.",
            headers={"Retry-After": "1"},
        )
    response = HttpResponse(stored["body"], status=stored["status"])
    for name, value in stored["headers"].items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response
