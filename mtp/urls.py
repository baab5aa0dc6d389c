from django.contrib import admin
from django.urls import include, path, re_path

from mtp.api import images
from mtp.web import views as web_views

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # OAuth 2.0: /api/v1/authorize, /api/v1/token, /device, /.well-known/... (before the API).
    path("", include("mtp.developers.oauth_urls")),
    path("developers/", include("mtp.developers.urls")),
    path("developers/", include("mtp.webhooks.urls")),
    path("api/v1/tiles/", include("mtp.tiles.urls")),
    # Any text as the key: the view answers the API's 404 rather than the URL resolver's page.
    path("api/v1/images/<str:mapillary_key>/thumbnail", images.thumbnail, name="photo-thumbnail"),
    re_path(r"^api/v1/images/(?P<rest>.*)$", images.not_found),
    path("api/v1/", include("mtp.api.urls")),
    path("accounts/", include("mtp.accounts.urls")),
    path("", include("mtp.web.urls")),
]
