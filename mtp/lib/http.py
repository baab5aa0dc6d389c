"""Small helpers for requests and responses."""

import json
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse

JSON = "application/json"
GEOJSON = "application/geo+json"
GPX = "application/gpx+xml"


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


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def json_response(
    data: Any, *, status: int = 200, media_type: str = JSON, vary: bool = False
) -> HttpResponse:
    response = HttpResponse(json_bytes(data), status=status, content_type=media_type)
    if vary:
        response["Vary"] = "Accept"
    return response
