from django.contrib import admin
from django.urls import include, path, re_path

from mtp.accounts import relays
from mtp.web import views as web_views

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # OAuth 2.0: /api/v1/authorize, /api/v1/token, /device, /.well-known/... (before the API).
    path("", include("mtp.developers.oauth_urls")),
    path("developers/", include("mtp.developers.urls")),
    path("developers/", include("mtp.webhooks.urls")),
    path("api/v1/tiles/", include("mtp.tiles.urls")),
    path("api/v1/", include("mtp.api.urls")),
    path("accounts/", include("mtp.accounts.urls")),
    # Strava's sign-in relay for the MTP Desktop Uploader, at the address it was always at.
    re_path(r"^exchange_token/?$", relays.strava, name="relay-strava"),
    path("", include("mtp.web.urls")),
]
