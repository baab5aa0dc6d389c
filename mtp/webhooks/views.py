"""Developer pages: the webhook's signing secret (the delivery history is on the application's
page, through templates/webhooks/_application_webhook.html)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from oauth2_provider.models import get_application_model

from mtp.webhooks.signing import rotate_secret

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
    return redirect(reverse("developers:detail", args=[application.pk]) + "#webhook")
