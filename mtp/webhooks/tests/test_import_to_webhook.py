"""From the app's API calls to its webhook: create, import, and the worker tells the app."""

import json
from urllib.parse import urlencode

import pytest
from django.core.management import call_command

from mtp.sequences.models import Sequence
from mtp.webhooks.models import WebhookDelivery
from testing.builders import bearer, issue_token
from testing.fake_mapillary import OWNER, RECORDED_SEQUENCE
from testing.webhooks import verify_signature


def create_and_import(client, headers) -> Sequence:
    form = {"name": "Morning walk", "transport_type": "Walk", "source": "mtpdu"}
    created = client.post(
        "/api/v1/sequence/create/",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
        **headers,
    )
    assert created.status_code == 201, created.content
    sequence = Sequence.objects.get(unique_id=created.json()["unique_id"])
    body = {"mapillary_sequence_key": RECORDED_SEQUENCE, "mapillary_user_token": OWNER.token}
    handed = client.put(
        f"/api/v1/sequence/import/{sequence.unique_id}/",
        json.dumps(body),
        content_type="application/json",
        **headers,
    )
    assert handed.status_code == 202, handed.content
    return sequence


# The worker closes connections it finds in a transaction, so this test commits for real.
@pytest.mark.django_db(transaction=True)
def test_the_app_that_created_a_sequence_hears_that_its_import_succeeded(
    client, fake_mapillary, owner, walk, hook_app, secret, receiver
):
    headers = bearer(issue_token(owner, hook_app))
    sequence = create_and_import(client, headers)
    assert sequence.application == hook_app
    call_command("worker", "--batch", "--interval", "0")
    sequence.refresh_from_db()
    assert sequence.status == "published"
    [request] = receiver.requests
    assert verify_signature(secret, request.headers["mtp-signature"], request.body)
    event = request.json()
    assert event["type"] == "import.succeeded"
    assert event["data"]["sequence"]["unique_id"] == str(sequence.unique_id)
    assert event["data"]["sequence"]["image_count"] == 8
    assert WebhookDelivery.objects.get().status == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_the_app_hears_that_its_import_failed_and_why(
    client, fake_mapillary, owner, walk, hook_app, secret, receiver
):
    fake_mapillary.inject("server_error", "/images", times=None)
    sequence = create_and_import(client, bearer(issue_token(owner, hook_app)))
    call_command("worker", "--batch", "--interval", "0")
    [request] = receiver.requests
    event = request.json()
    assert event["type"] == "import.failed"
    assert event["data"]["sequence"] == {
        **event["data"]["sequence"],
        "unique_id": str(sequence.unique_id),
        "status": "failed",
    }
    assert event["data"]["import"]["error"]


@pytest.mark.django_db(transaction=True)
def test_workers_may_take_only_imports_or_only_webhooks(
    client, fake_mapillary, owner, walk, hook_app, secret, receiver
):
    sequence = create_and_import(client, bearer(issue_token(owner, hook_app)))
    # A worker for webhooks only: nothing to send yet, and the import stays queued.
    call_command("worker", "--batch", "--interval", "0", "--queues", "webhooks")
    sequence.refresh_from_db()
    assert sequence.status == "importing"
    # A worker for imports only: the import ends, its event waits for a webhooks worker.
    call_command("worker", "--batch", "--interval", "0", "--queues", "imports")
    sequence.refresh_from_db()
    assert sequence.status == "published"
    assert receiver.requests == []
    assert WebhookDelivery.objects.get().status == "queued"
    call_command("worker", "--batch", "--interval", "0", "--queues", "webhooks")
    [request] = receiver.requests
    assert request.json()["type"] == "import.succeeded"
    assert WebhookDelivery.objects.get().status == "succeeded"
