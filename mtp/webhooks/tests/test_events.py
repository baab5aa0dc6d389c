"""Import events: queued with the import's outcome, for the app that created the sequence."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from mtp.imports.jobs import fail, request_import
from mtp.imports.models import MAX_ATTEMPTS, ImportJob
from mtp.mapillary.schemas import MapillaryUser
from mtp.sequences.models import Sequence
from mtp.webhooks.events import HISTORY_DAYS, record
from mtp.webhooks.models import WebhookDelivery
from testing.fake_mapillary import OWNER, RECORDED_SEQUENCE

pytestmark = pytest.mark.django_db

MAPILLARY_OWNER = MapillaryUser(id=OWNER.id, username=OWNER.username)


def start_import(sequence: Sequence) -> ImportJob:
    job, _ = request_import(
        sequence,
        mapillary_sequence_key=RECORDED_SEQUENCE,
        token=OWNER.token,
        mapillary_user=MAPILLARY_OWNER,
    )
    return job


def test_a_successful_import_queues_an_import_succeeded_event(fake_mapillary, app_draft, hook_app):
    job = start_import(app_draft)
    assert ImportJob.run_one(job.pk) == "succeeded"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.application, delivery.event_type) == (hook_app, "import.succeeded")
    assert delivery.status == "queued" and delivery.attempts == 0
    assert WebhookDelivery.due_ids() == [delivery.pk]
    event = json.loads(delivery.body)
    assert event["id"] == str(delivery.event_id)
    assert event["type"] == "import.succeeded"
    sequence = event["data"]["sequence"]
    assert sequence["unique_id"] == str(app_draft.unique_id)
    assert (sequence["status"], sequence["image_count"]) == ("published", 8)
    assert sequence["distance_m"] > 0
    assert sequence["url"] == f"https://mtp.example.org/sequences/{app_draft.unique_id}/"
    assert sequence["api_url"] == f"https://mtp.example.org/api/v1/sequence/{app_draft.unique_id}"
    imported = event["data"]["import"]
    assert imported["status"] == "succeeded"
    assert imported["progress"] == {"done": 8, "total": 8}
    assert imported["error"] is None


def test_a_failed_import_queues_an_import_failed_event_with_the_reason(
    fake_mapillary, app_draft, hook_app
):
    fake_mapillary.inject("invalid_token", "/image_ids")
    job = start_import(app_draft)
    assert ImportJob.run_one(job.pk) == "failed"
    delivery = WebhookDelivery.objects.get()
    event = json.loads(delivery.body)
    assert event["type"] == "import.failed"
    assert event["data"]["sequence"]["status"] == "failed"
    assert event["data"]["import"]["status"] == "failed"
    assert "token" in event["data"]["import"]["error"]


def test_the_event_carries_neither_the_mapillary_token_nor_the_owners_email(
    fake_mapillary, app_draft, owner
):
    ImportJob.run_one(start_import(app_draft).pk)
    body = WebhookDelivery.objects.get().body
    assert OWNER.token not in body and "owner-token" not in body
    assert owner.email not in body


def test_an_import_given_up_after_too_many_attempts_fails_its_sequence_and_says_so(app_draft):
    job = start_import(app_draft)
    ImportJob.objects.filter(pk=job.pk).update(attempts=MAX_ATTEMPTS)
    assert ImportJob.run_one(job.pk, "worker-a") == "failed"
    app_draft.refresh_from_db()
    assert app_draft.status == "failed"
    event = json.loads(WebhookDelivery.objects.get().body)
    assert event["type"] == "import.failed"
    assert event["data"]["sequence"]["status"] == "failed"


def test_an_outcome_that_rolls_back_queues_nothing(app_draft):
    job = start_import(app_draft)
    job = ImportJob.claim(job.pk, "worker-a")
    assert job is not None
    with pytest.raises(RuntimeError), transaction.atomic():
        assert fail(job, "Mapillary said no.")
        assert WebhookDelivery.objects.count() == 1 and len(WebhookDelivery.due_ids()) == 1
        raise RuntimeError("the transaction does not commit")
    assert not WebhookDelivery.objects.exists()
    assert WebhookDelivery.due_ids() == []
    job.refresh_from_db()
    assert job.status == "running"


def test_a_worker_that_lost_the_lease_queues_nothing(app_draft):
    job = start_import(app_draft)
    job = ImportJob.claim(job.pk, "worker-a")
    job.lease_owner = "worker-b"
    assert not fail(job, "not mine to fail")
    assert not WebhookDelivery.objects.exists()


def test_a_sequence_created_by_another_app_sends_nothing(
    fake_mapillary, owner, walk, hook_app, other_app
):
    sequence = Sequence.objects.create(
        owner=owner, name="Other app's", transport_type=walk, application=other_app
    )
    assert ImportJob.run_one(start_import(sequence).pk) == "succeeded"
    assert not WebhookDelivery.objects.exists()
    assert WebhookDelivery.due_ids() == []


def test_a_sequence_created_without_an_app_sends_nothing(fake_mapillary, owner, walk, hook_app):
    sequence = Sequence.objects.create(owner=owner, name="From the website", transport_type=walk)
    assert ImportJob.run_one(start_import(sequence).pk) == "succeeded"
    assert not WebhookDelivery.objects.exists()


def test_an_app_without_a_webhook_url_or_disabled_gets_nothing(fake_mapillary, app_draft, hook_app):
    hook_app.webhook_url = ""
    hook_app.save()
    assert ImportJob.run_one(start_import(app_draft).pk) == "succeeded"
    assert not WebhookDelivery.objects.exists()


def test_a_disabled_app_gets_nothing(fake_mapillary, app_draft, hook_app):
    hook_app.is_active = False
    hook_app.save()
    assert ImportJob.run_one(start_import(app_draft).pk) == "succeeded"
    assert not WebhookDelivery.objects.exists()


def test_finished_deliveries_older_than_the_history_are_deleted_with_the_next_event(hook_app):
    old = record(hook_app, "import.succeeded", {})
    waiting = record(hook_app, "import.failed", {})
    long_ago = timezone.now() - timedelta(days=HISTORY_DAYS + 1)
    WebhookDelivery.objects.filter(pk=old.pk).update(created_at=long_ago, status="succeeded")
    WebhookDelivery.objects.filter(pk=waiting.pk).update(created_at=long_ago)
    new = record(hook_app, "import.succeeded", {})
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {waiting.pk, new.pk}
