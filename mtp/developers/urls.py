"""Developer pages: register and manage your OAuth applications; revoke an app you authorized."""

from django.urls import path

from mtp.developers import views

app_name = "developers"

urlpatterns = [
    path("", views.application_list, name="list"),
    path("register/", views.application_register, name="register"),
    path("<int:pk>/", views.application_detail, name="detail"),
    path("<int:pk>/edit/", views.application_edit, name="edit"),
    path("<int:pk>/delete/", views.application_delete, name="delete"),
    path("<int:pk>/secret/", views.application_new_secret, name="new-secret"),
    path("authorized/<int:pk>/revoke/", views.revoke_authorized_app, name="revoke"),
]
