from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from mtp.accounts import relays, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.password_reset_sent, name="password_reset_sent"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("settings/", views.settings_page, name="settings"),
    path("delete/", views.delete_account, name="delete"),
    path("users/<str:username>/", views.profile, name="profile"),
    # Sign-in relays of the MTP Desktop Uploader (mtp/accounts/relays.py).
    re_path(r"^check-mtpu-mapillary-oauth/?$", relays.mapillary, name="relay-mapillary"),
    re_path(r"^check-mtpu-google-oauth/?$", relays.google, name="relay-google"),
]
