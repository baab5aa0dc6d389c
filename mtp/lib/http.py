"""Small helpers for requests."""

from django.conf import settings
from django.http import HttpRequest


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
