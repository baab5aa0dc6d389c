"""Rate limits of the API: per access token, per client address without one, and for imports.

The limits are settings (``MTP_API_RATE_*``, requests per ``MTP_API_RATE_WINDOW`` seconds; 0
turns one off); the counting is mtp.lib.ratelimit's. Every API reply carries the RateLimit
fields of the policy it was counted under; a refusal is a 429 with Retry-After.
"""

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from mtp.api.errors import ApiError, error_response
from mtp.lib import ratelimit
from mtp.lib.http import client_ip
from mtp.lib.ratelimit import Policy, Usage


def token_policy() -> Policy:
    return Policy("api-token", settings.MTP_API_RATE_TOKEN, settings.MTP_API_RATE_WINDOW)


def address_policy() -> Policy:
    return Policy("api-address", settings.MTP_API_RATE_ADDRESS, settings.MTP_API_RATE_WINDOW)


def tiles_policy() -> Policy:
    # A map view fetches dozens of tiles at once: counted in batches of 20 (a client may go
    # over by up to 19 per web process), one write per 20 tiles instead of one per tile.
    return Policy("tiles", settings.MTP_API_RATE_TILES, settings.MTP_API_RATE_WINDOW, batch=20)


def import_policy() -> Policy:
    return Policy("api-import", settings.MTP_API_RATE_IMPORT, settings.MTP_API_RATE_WINDOW)


def _bearer(request: HttpRequest) -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    credentials = credentials.strip()
    return credentials if scheme.lower() == "bearer" and credentials else None


def count_request(request: HttpRequest, anonymous: Policy | None = None) -> Usage:
    """Count a request: against its access token when it sends one, else against its address.

    Counted before the token is looked up, so a refusal costs no query; a token that turns
    out not to exist is refused with a 401 anyway.
    """
    raw_token = _bearer(request)
    if raw_token is not None:
        return ratelimit.hit(token_policy(), f"token:{raw_token}")
    return ratelimit.hit(anonymous or address_policy(), f"ip:{client_ip(request)}")


def too_many(usage: Usage, message: str = "Too many requests: slow down.") -> ApiError:
    """The 429 for an exceeded policy, saying which, and for how long."""
    return ApiError(
        429,
        f"{message} Try again in {usage.reset} seconds.",
        {
            "policy": usage.policy.name,
            "limit": usage.policy.limit,
            "window": usage.policy.window,
            "retry_after": usage.reset,
        },
        headers=usage.headers(),
    )


def refusal(usage: Usage) -> JsonResponse:
    error = too_many(usage)
    return error_response(error.status, error.message, error.detail, error.headers)


def check_import(request: HttpRequest) -> None:
    """Each import call may ask Mapillary whose token it is: limited per user (a 429)."""
    usage = ratelimit.hit(import_policy(), f"user:{request.auth.user.pk}")
    if usage.exceeded:
        raise too_many(usage, "Too many import calls.")
