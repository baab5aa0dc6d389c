"""The user an access token acts for."""

from django.http import HttpRequest
from ninja import Router

from mtp.api.auth import token_auth
from mtp.api.formats import JSON_ONLY, negotiate
from mtp.api.schemas import ErrorOut, MeOut
from mtp.api.scopes import READ, require_scope
from mtp.lib.http import json_response
from mtp.sequences.links import owner_data

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
    user = request.auth.user
    return json_response(owner_data(user))
