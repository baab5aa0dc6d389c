"""Webhook pages, under /developers/ beside the application pages."""

from django.urls import path

from mtp.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("<int:pk>/webhook/secret/", views.rotate_signing_secret, name="rotate-secret"),
]
