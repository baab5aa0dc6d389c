"""``mtp housekeeping`` deletes what has ended long enough ago, and nothing else."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import get_grant_model

from mtp.webhooks.events import record
from mtp.webhooks.models import WebhookDelivery
from testing.builders import issue_token

pytestmark = pytest.mark.django_db
Grant = get_grant_model()


def deliveries(app, *ages_and_statuses: tuple[int, str]) -> list[WebhookDelivery]:
    # Recorded first, aged after: recording an event deletes the app's old ones itself.
    made = [record(app, "import.succeeded", {}) for _ in ages_and_statuses]
    for delivery, (days_ago, status) in zip(made, ages_and_statuses, strict=True):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago), status=status
        )
    return made


def session(expired: bool) -> str:
    store = SessionStore()
    store["who"] = "someone"
    store.set_expiry(-60 if expired else 3600)
    store.create()
    assert store.session_key is not None
    return store.session_key


def test_housekeeping_deletes_what_ended_long_ago_and_keeps_the_rest(app, owner):
    old_sent, old_failed, old_pending, recent = deliveries(
        app,
        (40, WebhookDelivery.Status.SUCCEEDED),
        (40, WebhookDelivery.Status.FAILED),
        (40, WebhookDelivery.Status.QUEUED),
        (3, WebhookDelivery.Status.FAILED),
    )
    expired_session, live_session = session(expired=True), session(expired=False)
    expired_grant = Grant.objects.create(
        user=owner,
        application=app,
        code="an-old-code",
        expires=timezone.now() - timedelta(days=1),
        redirect_uri="app.mtp.desktop://app",
        scope="read",
    )
    token = issue_token(owner, app)

    out = StringIO()
    call_command("housekeeping", stdout=out)

    kept = set(WebhookDelivery.objects.values_list("pk", flat=True))
    assert kept == {old_pending.pk, recent.pk}
    assert old_sent.pk not in kept and old_failed.pk not in kept
    sessions = set(Session.objects.values_list("session_key", flat=True))
    assert sessions == {live_session}
    assert expired_session not in sessions
    assert not Grant.objects.filter(pk=expired_grant.pk).exists()
    # A token that has not expired still works.
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert "old webhook deliveries (with their attempts): 2 deleted" in out.getvalue()
    assert "expired sessions: 1 deleted" in out.getvalue()


def test_housekeeping_twice_is_harmless(app):
    call_command("housekeeping", stdout=StringIO())
    out = StringIO()
    call_command("housekeeping", stdout=out)
    assert "expired sessions: 0 deleted" in out.getvalue()
    assert "old webhook deliveries (with their attempts): 0 deleted" in out.getvalue()


def test_housekeeping_still_accepts_the_task_days_option_of_existing_timers(app):
    out = StringIO()
    call_command("housekeeping", "--task-days", "7", stdout=out)
    assert "expired sessions: 0 deleted" in out.getvalue()
