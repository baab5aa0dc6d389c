"""The user an access token acts for."""

from django.conf import settings
from django.http import HttpRequest
from ninja import Router

from mtp.api.auth import token_auth
from mtp.api.formats import JSON_ONLY, json_response, negotiate
from mtp.api.schemas import ErrorOut, MeOut
from mtp.api.scopes import READ, require_scope

router = Router(tags=["users"])


@router.get(
    "/me",
    auth=token_auth,
    response={
        200: MeOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        406: ErrorOut,
        429: ErrorOut,
    },
    summary="The signed-in user",
)
def me(request: HttpRequest):
    """The user the access token acts for."""
    negotiate(request, JSON_ONLY)
    require_scope(request, READ)
    user = request.auth.user  # type: ignore[attr-defined]
    return json_response(
        {
            "username": user.username,
            "display_name": user.public_name,
            "profile_url": f"{settings.SITE_URL}{user.get_absolute_url()}",
        }
    )
