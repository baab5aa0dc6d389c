"""Small helpers for requests and responses: who sent a request, whether its body may be read,
and JSON replies."""

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse

JSON = "application/json"
GEOJSON = "application/geo+json"
GPX = "application/gpx+xml"

LENGTH_REQUIRED = (
    "Send the body with a Content-Length header: a chunked body (Transfer-Encoding) is not read."
)


def client_ip(request: HttpRequest) -> str:
    """The address of the client, trusting ``X-Forwarded-For`` only behind a known proxy.

    With ``MTP_PROXY_COUNT=N`` the N-th address from the right of the header is the
    client's (each trusted proxy appends the address it saw).
    """
    count = settings.MTP_PROXY_COUNT
    if count:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


@dataclass(frozen=True)
class BodyRefusal:
    """Why a request's body is refused: the HTTP status, the message, and for a 413 the limit."""

    status: int
    message: str
    limit: int | None = None


def unsized_body(request: HttpRequest) -> bool:
    """Whether the request sends a body in chunks without saying its length.

    Django reads a body only as far as Content-Length says: such a body would be taken as
    empty, silently. It is refused with a 411 instead.
    """
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "")
    return bool(encoding.strip()) and not request.META.get("CONTENT_LENGTH")


def too_large() -> BodyRefusal:
    """The 413 for a body over MTP_MAX_BODY_BYTES (``DATA_UPLOAD_MAX_MEMORY_SIZE``)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return BodyRefusal(413, f"The request body is over the limit of {limit} bytes.", limit)


def body_refusal(request: HttpRequest) -> BodyRefusal | None:
    """Why the request's body must be refused before anything reads it, or None: a 411 for a
    chunked body without a length, a 400 for a Content-Length that is not a number, a 413 for
    a body declared larger than MTP_MAX_BODY_BYTES.

    The one size check of every path: the site and the OAuth endpoints (``RequestSizeMiddleware``)
    and the API (``mtp.api.urls``), which answer it each in their own error shape.
    """
    if unsized_body(request):
        return BodyRefusal(411, LENGTH_REQUIRED)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return BodyRefusal(400, "The Content-Length header is not a number.")
    if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return too_large()
    return None


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def json_response(
    data: Any, *, status: int = 200, media_type: str = JSON, vary: bool = False
) -> HttpResponse:
    response = HttpResponse(json_bytes(data), status=status, content_type=media_type)
    if vary:
        response["Vary"] = "Accept"
    return response
