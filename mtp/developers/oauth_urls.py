"""The OAuth 2.0 endpoints, under the names django-oauth-toolkit reverses (its metadata view)."""

from django.urls import path

from mtp.developers import oauth_views

app_name = "oauth2_provider"

urlpatterns = [
    path(
        ".well-known/oauth-authorization-server",
        oauth_views.ServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
    path("api/v1/authorize", oauth_views.AuthorizationView.as_view(), name="authorize"),
    # Older documentation names this address.
    path("accounts/authorize", oauth_views.AuthorizationView.as_view(), name="authorize-legacy"),
    path("api/v1/token", oauth_views.TokenView.as_view(), name="token"),
    path("api/v1/revoke", oauth_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("api/v1/introspect", oauth_views.IntrospectTokenView.as_view(), name="introspect"),
    path(
        "api/v1/device_authorization",
        oauth_views.DeviceAuthorizationView.as_view(),
        name="device-authorization",
    ),
    path("device", oauth_views.DeviceUserCodeView.as_view(), name="device"),
    path(
        "device/<str:client_id>/<str:user_code>",
        oauth_views.DeviceConfirmView.as_view(),
        name="device-confirm",
    ),
]
