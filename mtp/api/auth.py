"""Who is calling the API: an OAuth bearer token, a bare ``client_id``, and the client_id rule.

The rule (API v1: "the client_id parameter is present in all requests"):
- ``client_id`` may come in the query string, or in a form or JSON body.
- With a bearer token, a ``client_id`` naming another application is refused (401);
  without one, the token names its application (the MTP Desktop Uploader sends none).
- Without a token (public reads), ``client_id`` is required and must name an active
  application: no credentials at all is a 401 with ``WWW-Authenticate`` (RFC 6750 section 3.1),
  as is an unknown client_id.
- Tokens are accepted only in the ``Authorization: Bearer`` header, never in a URL or body.
"""

import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.utils import timezone
from ninja.security.http import HttpAuthBase
from oauth2_provider.models import get_access_token_model, get_application_model

from mtp.api.bodies import FORM_TYPES, form_fields, parse_json
from mtp.api.errors import ApiError

if TYPE_CHECKING:
    from oauth2_provider.models import AccessToken

    from mtp.accounts.models import User
    from mtp.developers.models import Application
else:
    AccessToken = get_access_token_model()
    Application = get_application_model()
    User = get_user_model()

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
                body = parse_json(request.body or b"{}")
            except ApiError:
                body = None  # refused when the view reads the body
            if isinstance(body, dict) and isinstance(body.get("client_id"), str):
                value = body["client_id"]
        elif content_type in FORM_TYPES:
            try:
                value = next((v[-1] for k, v in form_fields(request) if k == "client_id"), None)
            except Exception:  # noqa: BLE001 - a malformed body is refused when it is read
                value = None
    return value.strip() if isinstance(value, str) else None


def _refuse_token_outside_header(request: HttpRequest) -> None:
    if "access_token" in request.GET:
        raise _unauthorized(
            "Access tokens are accepted only in the Authorization: Bearer header, "
            "never in the URL.",
            "invalid_request",
        )
    content_type = request.content_type or ""
    if content_type in FORM_TYPES and request.method == "POST" and "access_token" in request.POST:
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


def _token_lookup_sql() -> str:
    """One indexed lookup of a token with what a request needs of its user and application."""
    token, user, application = AccessToken._meta, User._meta, Application._meta
    # Only table names from the models are interpolated; values are parameters.
    return (
        f"SELECT t.id, t.scope, t.user_id, t.application_id, t.expires > %s, t.updated < %s,"  # noqa: S608
        f" u.username, u.display_name, u.is_active, a.client_id, a.name, a.is_active"
        f" FROM {token.db_table} t"
        f" JOIN {user.db_table} u ON u.id = t.user_id"
        f" JOIN {application.db_table} a ON a.id = t.application_id"
        f" WHERE t.token_checksum = %s"
    )


def _partial(model, **values):
    """A model instance as loaded from the database with only ``values``; the rest is deferred."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def authenticate_token(raw_token: str) -> tuple["AccessToken", "User", "Application"]:
    """The live access token for ``raw_token`` with its user and application, or a 401.

    Every API request pays for this, so it is one hand-written query building partial model
    instances (other fields load on first use) instead of an ORM query with select_related,
    which cost several times more CPU than the query itself.
    """
    checksum = hashlib.sha256(raw_token.encode("utf-8", "surrogatepass")).hexdigest()
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _token_lookup_sql(), [adapt(now), adapt(now - LAST_USED_GRANULARITY), checksum]
        )
        row = cursor.fetchone()
    if row is None or not row[4]:
        raise _unauthorized("The access token is invalid, expired or revoked.")
    token_id, scope, user_id, application_id, _, stale, username, display_name = row[:8]
    user_active, client_id, application_name, application_active = row[8:]
    if not user_active:
        raise _unauthorized("The access token's user account is disabled.")
    if not application_active:
        raise _unauthorized("The access token's application is disabled.")
    if stale:
        # ``updated`` doubles as "last used", refreshed at most once per granularity.
        AccessToken.objects.filter(pk=token_id).update(updated=now)
    token = _partial(
        AccessToken, id=token_id, scope=scope, user_id=user_id, application_id=application_id
    )
    user = _partial(User, id=user_id, username=username, display_name=display_name, is_active=True)
    application = _partial(
        Application, id=application_id, client_id=client_id, name=application_name, is_active=True
    )
    return token, user, application


def authenticate(request: HttpRequest, *, require_user: bool) -> Caller:
    """Apply the client_id rule and return the caller, raising ApiError when refused."""
    _refuse_token_outside_header(request)
    raw_token = bearer_token(request)
    client_id = request_client_id(request)
    if raw_token is not None:
        token, user, application = authenticate_token(raw_token)
        request.token_checked = True  # type: ignore[attr-defined]
        if client_id and client_id != application.client_id:
            raise _unauthorized("The client_id does not match the access token's application.")
        request.user = user
        return Caller(application=application, user=user, token=token)
    if require_user:
        raise _unauthorized("This needs an access token: send 'Authorization: Bearer <token>'.")
    if not client_id:
        # No credentials at all: RFC 6750 section 3.1 gives no error code, only the challenge.
        raise ApiError(
            401,
            "The client_id parameter is required: register an application to get one.",
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    named = active_application(client_id)
    if named is None:
        raise _unauthorized("The client_id does not name an active application.", "invalid_client")
    return Caller(application=named)


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
