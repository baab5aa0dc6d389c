"""The OAuth 2.0 endpoints, under the names django-oauth-toolkit reverses (its metadata view)."""

from django.urls import path

from mtp.developers import views

app_name = "oauth2_provider"

urlpatterns = [
    path(
        ".well-known/oauth-authorization-server",
        views.ServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
    path("api/v1/authorize", views.AuthorizationView.as_view(), name="authorize"),
    # Older documentation names this address.
    path("accounts/authorize", views.AuthorizationView.as_view(), name="authorize-legacy"),
    path("api/v1/token", views.TokenView.as_view(), name="token"),
    path("api/v1/revoke", views.RevokeTokenView.as_view(), name="revoke-token"),
    path("api/v1/introspect", views.IntrospectTokenView.as_view(), name="introspect"),
    path(
        "api/v1/device_authorization",
        views.DeviceAuthorizationView.as_view(),
        name="device-authorization",
    ),
    path("device", views.DeviceUserCodeView.as_view(), name="device"),
    path(
        "device/<str:client_id>/<str:user_code>",
        views.DeviceConfirmView.as_view(),
        name="device-confirm",
    ),
]
