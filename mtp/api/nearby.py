"""``GET /api/v1/images/nearby``: what other sequences saw at a place, and when."""

from django.http import HttpRequest
from ninja import Query, Router

from mtp.api.auth import token_or_client_auth
from mtp.api.formats import JSON_ONLY, negotiate
from mtp.api.schemas import NearbyFilters, NearbyListOut
from mtp.api.scopes import READ, require_scope
from mtp.api.sequences import CLIENT_ID_PARAMETER, ERRORS
from mtp.lib.dates import utc_or_calendar_end
from mtp.lib.http import json_response
from mtp.sequences.nearby import NearbySearch, nearby

router = Router(tags=["images"])


@router.get(
    "/images/nearby",
    auth=token_or_client_auth,
    response={200: NearbyListOut, **ERRORS},
    summary="Photos near a place, from other sequences and other times",
    openapi_extra={"parameters": [CLIENT_ID_PARAMETER]},
)
def images_nearby(request: HttpRequest, filters: Query[NearbyFilters]):
    """The nearest photo of each published sequence within `radius` metres of `lon`,`lat`,
    nearest first: the same place seen on other days, by other people.

    With `heading`, only photos looking that way (within `tolerance` degrees; panoramas always
    match); with `captured_after` / `captured_before`, only photos taken then.
    `exclude_sequence` leaves out the sequence being viewed.
    """
    negotiate(request, JSON_ONLY)
    require_scope(request, READ)
    search = NearbySearch(
        lon=filters.lon,
        lat=filters.lat,
        radius=filters.radius,
        heading=filters.heading,
        tolerance=filters.tolerance,
        start=utc_or_calendar_end(filters.captured_after) if filters.captured_after else None,
        end=utc_or_calendar_end(filters.captured_before) if filters.captured_before else None,
        exclude=filters.exclude_sequence,
        limit=filters.limit,
    )
    return json_response({"results": nearby(search)})
