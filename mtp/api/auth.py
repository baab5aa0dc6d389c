"""Who is calling the API: an OAuth bearer token, a bare ``client_id``, and the client_id rule.

The rule (API v1: "the client_id parameter is present in all requests"):
- ``client_id`` may come in the query string, or in a form or JSON body.
- With a bearer token, a ``client_id`` naming another application is refused (401);
  without one, the token names its application (the MTP Desktop Uploader sends none).
- Without a token (public reads), ``client_id`` is required (400) and must name an
  active application (401).
- Tokens are accepted only in the ``Authorization: Bearer`` header, never in a URL or body.
"""

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.utils import timezone
from ninja.security.http import HttpAuthBase
from oauth2_provider.models import get_access_token_model, get_application_model

from mtp.api.errors import ApiError

AccessToken = get_access_token_model()
Application = get_application_model()

# How often a token's "last used" time is refreshed: a write per hour, not per request.
LAST_USED_GRANULARITY = timedelta(hours=1)


@dataclass(frozen=True)
class Caller:
    """The result of authentication, set as ``request.auth``."""

    application: "Application"
    user: object | None = None
    token: "AccessToken | None" = None

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None


def _unauthorized(message: str, error: str = "invalid_token") -> ApiError:
    return ApiError(
        401,
        message,
        headers={
            "WWW-Authenticate": (
                f'Bearer realm="api", error="{error}", error_description="{message}"'
            )
        },
    )


def request_client_id(request: HttpRequest) -> str | None:
    """The ``client_id`` the caller sent in the query string or the body, if any."""
    value = request.GET.get("client_id")
    if value is None and request.method in ("POST", "PUT", "PATCH", "DELETE"):
        content_type = request.content_type or ""
        if content_type == "application/json":
            try:
                body = json.loads(request.body or b"{}")
            except (ValueError, UnicodeDecodeError):
                body = None
            if isinstance(body, dict) and isinstance(body.get("client_id"), str):
                value = body["client_id"]
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            value = request.POST.get("client_id")
    return value.strip() if isinstance(value, str) else None


def _refuse_token_outside_header(request: HttpRequest) -> None:
    if "access_token" in request.GET:
        raise _unauthorized(
            "Access tokens are accepted only in the Authorization: Bearer header, "
            "never in the URL.",
            "invalid_request",
        )
    content_type = request.content_type or ""
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data") and (
        "access_token" in request.POST
    ):
        raise _unauthorized(
            "Access tokens are accepted only in the Authorization: Bearer header.",
            "invalid_request",
        )


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise _unauthorized(
            "The Authorization header must be 'Bearer <access token>'.", "invalid_request"
        )
    return credentials.strip()


def authenticate_token(raw_token: str) -> "AccessToken":
    """The live access token for ``raw_token``, or a 401."""
    checksum = hashlib.sha256(raw_token.encode("utf-8", "surrogatepass")).hexdigest()
    token = (
        AccessToken.objects.select_related("application", "user")
        .filter(token_checksum=checksum)
        .first()
    )
    if token is None or token.is_expired():
        raise _unauthorized("The access token is invalid, expired or revoked.")
    if token.user is None or not token.user.is_active:
        raise _unauthorized("The access token's user account is disabled.")
    if token.application is None or not token.application.is_active:
        raise _unauthorized("The access token's application is disabled.")
    now = timezone.now()
    if token.updated < now - LAST_USED_GRANULARITY:
        # ``updated`` doubles as "last used", refreshed at most once per granularity.
        AccessToken.objects.filter(pk=token.pk).update(updated=now)
    return token


def authenticate(request: HttpRequest, *, require_user: bool) -> Caller:
    """Apply the client_id rule and return the caller, raising ApiError when refused."""
    _refuse_token_outside_header(request)
    raw_token = bearer_token(request)
    client_id = request_client_id(request)
    if raw_token is not None:
        token = authenticate_token(raw_token)
        if client_id and client_id != token.application.client_id:
            raise _unauthorized("The client_id does not match the access token's application.")
        request.user = token.user
        return Caller(application=token.application, user=token.user, token=token)
    if require_user:
        raise _unauthorized("This needs an access token: send 'Authorization: Bearer <token>'.")
    if not client_id:
        raise ApiError(
            400, "The client_id parameter is required: register an application to get one."
        )
    application = active_application(client_id)
    if application is None:
        raise _unauthorized("The client_id does not name an active application.", "invalid_client")
    return Caller(application=application)


# client_id -> (looked up at, Application or None). Public reads (tiles, search) name their
# application on every request; a short per-process memory saves a query on each. Saving or
# deleting an application clears it in this process; other processes notice within the TTL.
_applications: dict[str, tuple[float, "Application | None"]] = {}
_APPLICATIONS_MAX = 1000


def active_application(client_id: str) -> "Application | None":
    """The active application with this ``client_id``, remembered briefly."""
    if "\x00" in client_id or len(client_id) > 255:
        # No client_id holds a NUL byte (and PostgreSQL refuses to look one up).
        return None
    now = time.monotonic()
    remembered = _applications.get(client_id)
    if remembered is not None and now - remembered[0] < settings.API_CLIENT_CACHE_SECONDS:
        return remembered[1]
    application = Application.objects.filter(client_id=client_id, is_active=True).first()
    if len(_applications) >= _APPLICATIONS_MAX:
        _applications.clear()
    _applications[client_id] = (now, application)
    return application


def forget_applications(**kwargs) -> None:
    _applications.clear()


post_save.connect(forget_applications, sender=Application, dispatch_uid="api-forget-applications")
post_delete.connect(forget_applications, sender=Application, dispatch_uid="api-forget-applications")


class TokenAuth(HttpAuthBase):
    """A user's OAuth access token, required."""

    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Caller:
        return authenticate(request, require_user=True)


class TokenOrClientAuth(HttpAuthBase):
    """A user's access token, or for public reads only a registered ``client_id``."""

    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Caller:
        return authenticate(request, require_user=False)


token_auth = TokenAuth()
token_or_client_auth = TokenOrClientAuth()
