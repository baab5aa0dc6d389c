"""Webhook pages, under /developers/ beside the application pages."""

from django.urls import path

from mtp.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("<int:pk>/webhook/secret/", views.rotate_signing_secret, name="rotate-secret"),
    path("<int:pk>/webhook/test/", views.send_test_event, name="test-event"),
    path(
        "<int:pk>/webhook/deliveries/<int:delivery_pk>/again/",
        views.send_again,
        name="send-again",
    ),
]
