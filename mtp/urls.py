from django.contrib import admin
from django.core.exceptions import TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path, re_path
from django.views import defaults

from mtp.accounts import relays
from mtp.api import images, stac
from mtp.api.errors import error_response
from mtp.lib.security import OAUTH_PATHS
from mtp.web import tokens as web_tokens
from mtp.web import views as web_views

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # OAuth 2.0: /api/v1/authorize, /api/v1/token, /device, /.well-known/... (before the API).
    path("", include("mtp.developers.oauth_urls")),
    path("developers/", include("mtp.developers.urls")),
    path("developers/", include("mtp.webhooks.urls")),
    path("api/v1/tiles/", include("mtp.api.tile_urls")),
    # Any text as the key: the view answers the API's 404 rather than the URL resolver's page.
    path("api/v1/images/<str:key>/thumbnail", images.thumbnail, name="photo-thumbnail"),
    # The nearby search and a photo's like are API v1's own routes (mtp/api/nearby.py,
    # mtp/api/sequences.py); anything else under images/ is a 404 of the API's.
    re_path(r"^api/v1/images/(?!nearby/?$)(?P<rest>(?![^/]+/like/?$).*)$", images.not_found),
    path("api/v1/", include("mtp.api.urls")),
    # The STAC API beside API v1: /api is its landing page (mtp/api/stac.py).
    path("api", stac.landing, name="stac-landing"),
    path("api/", include("mtp.api.stac_urls")),
    # Panoramax's upload API beside it (mtp/api/uploads.py); the claim page of a
    # command-line client's token is the site's, at the address the client prints.
    path("api/auth/tokens/<str:unique_id>/claim", web_tokens.claim_token, name="claim-token"),
    path("api/", include("mtp.api.upload_urls")),
    path("accounts/", include("mtp.accounts.urls")),
    # Strava's sign-in relay for the MTP Desktop Uploader, at the address it was always at.
    re_path(r"^exchange_token/?$", relays.strava, name="relay-strava"),
    path("", include("mtp.web.urls")),
]


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400, for a request it cannot read before any view's own handling (too many
    query or form fields, a multipart body without a boundary...): JSON under /api/v1/, in the
    RFC 6749 shape at the OAuth endpoints and in the API's shape elsewhere; the site's page
    elsewhere."""
    path = request.path_info
    if not path.startswith("/api/v1/"):
        return defaults.bad_request(request, exception)  # type: ignore[arg-type]
    too_many = isinstance(exception, TooManyFieldsSent | TooManyFilesSent)
    message = (
        "The request has too many query or form fields."
        if too_many
        else "The request could not be read."
    )
    if path.startswith(OAUTH_PATHS):
        # RFC 6749 section 5.2: a malformed request is a 400 invalid_request.
        response = JsonResponse(
            {"error": "invalid_request", "error_description": message}, status=400
        )
        response["Cache-Control"] = "no-store"
        return response
    # The API's own handlers answer too many fields with a 413 (mtp/api/api.py).
    return error_response(413 if too_many else 400, message)


handler400 = bad_request
