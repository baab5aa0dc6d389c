"""Rate limits of the API: per access token, per client address without one, and for imports.

The limits are settings (``MTP_API_RATE_*``, requests per ``MTP_API_RATE_WINDOW`` seconds; 0
turns one off); the counting is mtp.lib.ratelimit's. Every API reply carries the RateLimit
fields of the policy it was counted under; a refusal is a 429 with Retry-After.

Requests are counted per token before the token is looked up, so made-up tokens would each
start a count of their own. So credentials refused with a 401 (tokens, and headers of another
scheme or without a token), and tokens that are not live on
routes that answer without checking them (404, 405), are also counted per address
(``api-bad-token``): past ``MTP_API_RATE_BAD_TOKEN`` in a window, that address's requests with
a token get a 429 until the window ends, without a lookup, whether their token is good or
not (so the answers tell nothing about the tokens tried). Each web process remembers the
addresses it refused, so that a refusal costs neither a lookup nor a count.
"""

import threading
import time

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from mtp.api.auth import authenticate_token
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


def photos_policy() -> Policy:
    # A sequence page shows a strip of photos: counted in batches like tiles.
    return Policy("photos", settings.MTP_API_RATE_PHOTOS, settings.MTP_API_RATE_WINDOW, batch=20)


def bad_token_policy() -> Policy:
    return Policy("api-bad-token", settings.MTP_API_RATE_BAD_TOKEN, settings.MTP_API_RATE_WINDOW)


def import_policy() -> Policy:
    return Policy("api-import", settings.MTP_API_RATE_IMPORT, settings.MTP_API_RATE_WINDOW)


def _bearer(request: HttpRequest) -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    credentials = credentials.strip()
    return credentials if scheme.lower() == "bearer" and credentials else None


def _sends_credentials(request: HttpRequest) -> bool:
    """Whether the request sends credentials of any kind (another scheme than Bearer, or a
    Bearer without a token, is refused with a 401 like a token that is not live)."""
    return bool(request.headers.get("Authorization", "").strip())


def count_request(request: HttpRequest, anonymous: Policy | None = None) -> Usage:
    """Count a request: against its access token when it sends one, else against its address.

    Counted before the token is looked up, so a refusal costs no query; a token that turns
    out not to exist is refused with a 401 anyway.
    """
    raw_token = _bearer(request)
    if raw_token is not None:
        return ratelimit.hit(token_policy(), f"token:{raw_token}")
    return ratelimit.hit(anonymous or address_policy(), f"ip:{client_ip(request)}")


# Addresses over the bad-token limit, and until when (time.time()); this process's only.
_refused: dict[str, float] = {}
_refused_lock = threading.Lock()
_REFUSED_MAX = 10_000


def bad_token_refusal(request: HttpRequest) -> JsonResponse | None:
    """A 429 for a request with credentials from an address over the bad-token limit, else
    None."""
    if not _refused or not _sends_credentials(request):
        return None
    address = client_ip(request)
    with _refused_lock:
        until = _refused.get(address)
        if until is None:
            return None
        left = until - time.time()
        if left <= 0:
            del _refused[address]
            return None
    policy = bad_token_policy()
    return refusal(Usage(policy, policy.limit + 1, max(1, int(left + 0.999))))


def _made_up(request: HttpRequest, raw_token: str) -> bool:
    """Whether a request that was answered without a 401 sent a token that is not live.

    Routes that answer before checking the token (a 404, a 405, the index) would otherwise let
    a new made-up token through on every request, each starting a count of its own: the token
    is looked up here, after the answer, unless authentication already accepted it.
    """
    if getattr(request, "token_checked", False):
        return False
    try:
        authenticate_token(raw_token)
    except ApiError:
        return True
    return False


def count_bad_token(request: HttpRequest, response):
    """After a 401 for a request with credentials, or any answer to one whose token is not
    live: count it against the address; past the limit, 429."""
    if not _sends_credentials(request):
        return response
    raw_token = _bearer(request)
    if response.status_code != 401 and (raw_token is None or not _made_up(request, raw_token)):
        return response
    address = client_ip(request)
    usage = ratelimit.hit(bad_token_policy(), f"ip:{address}")
    if not usage.exceeded:
        return response
    with _refused_lock:
        if len(_refused) >= _REFUSED_MAX:
            now = time.time()
            for stale in [key for key, until in _refused.items() if until <= now]:
                del _refused[stale]
        if len(_refused) < _REFUSED_MAX:
            _refused[address] = time.time() + usage.reset
    return refusal(usage)


def forget_refused() -> None:
    with _refused_lock:
        _refused.clear()


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
    user_id = request.auth.user.pk  # type: ignore[attr-defined]
    usage = ratelimit.hit(import_policy(), f"user:{user_id}")
    if usage.exceeded:
        raise too_many(usage, "Too many import calls.")
