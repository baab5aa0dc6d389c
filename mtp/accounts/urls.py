from django.contrib.auth import views as auth_views
from django.urls import path

from mtp.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("settings/", views.settings_page, name="settings"),
    path("users/<str:username>/", views.profile, name="profile"),
]
