"""OAuth scopes: ``read`` to see a user's sequences, drafts included, ``write`` to change them."""

from django.http import HttpRequest

from mtp.api.errors import ApiError

READ = "read"
WRITE = "write"


def require_scope(request: HttpRequest, scope: str) -> None:
    """A 403 when the caller's access token was not granted ``scope`` (RFC 6750 section 3.1).

    Calls made with only a ``client_id`` carry no token and read only public data.
    """
    token = request.auth.token  # type: ignore[attr-defined]
    if token is None or token.allow_scopes([scope]):
        return
    raise ApiError(
        403,
        f"This access token was not granted the '{scope}' scope: ask the user again for it.",
        {"required_scope": scope},
        headers={
            "WWW-Authenticate": f'Bearer realm="api", error="insufficient_scope", scope="{scope}"'
        },
    )
