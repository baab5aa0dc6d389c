"""Developer pages: the webhook's signing secret, a test event, sending an event again (the
delivery history is on the application's page, through
templates/webhooks/_application_webhook.html). Only the application's owner may; others get
404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from oauth2_provider.models import get_application_model

from mtp.developers.webhook_secrets import rotate_secret
from mtp.webhooks import events
from mtp.webhooks.models import WebhookDelivery

Application = get_application_model()


@login_required
@require_POST
def rotate_signing_secret(request: HttpRequest, pk: int) -> HttpResponse:
    """Replace the application's webhook signing secret; only its owner may (others get 404)."""
    application = get_object_or_404(Application, pk=pk, user=request.user)
    rotate_secret(application)
    messages.success(
        request,
        "A new signing secret is in place: events are signed with it from now on, "
        "retries of earlier events too.",
    )
    return _back(application)


@login_required
@require_POST
def send_test_event(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a ``ping`` event to the application's webhook URL."""
    application = get_object_or_404(Application, pk=pk, user=request.user)
    if not application.webhook_url:
        messages.error(request, "This application has no webhook URL to send a test event to.")
        return _back(application)
    with transaction.atomic():
        queued = events.ping(application)
    if queued is None:
        messages.info(request, "A test event is already on its way: see Recent deliveries.")
    else:
        messages.success(
            request,
            "A test event is on its way; its delivery shows under Recent deliveries in a moment.",
        )
    return _back(application)


@login_required
@require_POST
def send_again(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    """Queue one more attempt of an event that failed or was delivered."""
    application = get_object_or_404(Application, pk=pk, user=request.user)
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_pk, application=application)
    if not application.webhook_url:
        messages.error(request, "This application has no webhook URL to send the event to.")
        return _back(application)
    with transaction.atomic():
        queued = events.send_again(delivery)
    if queued:
        messages.success(request, f"The event {delivery.event_id} is on its way again.")
    else:
        messages.info(request, f"The event {delivery.event_id} is already on its way.")
    return _back(application)


def _back(application) -> HttpResponse:
    return redirect(reverse("developers:detail", args=[application.pk]) + "#webhook")
