"""Transfers: ``POST /api/transfers`` copies a collection of another instance here, as
``panoramax_cli migration`` asks of its destination. The worker reads the collection over STAC
and its photos' originals; they become one sequence, published, with the same photos."""

import hashlib

import pytest
from django.core.files.storage import default_storage

from mtp.lib.jobs import Job
from mtp.sequences import hosted
from mtp.sequences.models import Image, Sequence
from mtp.uploads import actions
from mtp.uploads.actions import SetParameters
from mtp.uploads.models import ProcessUploadSet, Transfer, UploadFile, UploadSet
from testing import builders
from testing.photos import walk as walk_photos


def start(client, token, location):
    return client.post(
        "/api/transfers",
        {"collection_location": location},
        content_type="application/json",
        **builders.bearer(token),
    )


def published_upload(owner, app, title: str, count: int = 3) -> Sequence:
    upload_set = actions.create_upload_set(owner, app, SetParameters(title=title))
    for index, data in enumerate(walk_photos(count), start=1):
        actions.add_file(upload_set, f"IMG_{index:04d}.jpg", data)
    actions.complete(upload_set)
    ProcessUploadSet.run_one(ProcessUploadSet.objects.get(upload_set=upload_set).pk)
    (sequence,) = upload_set.sequences.all()
    assert sequence.status == Sequence.Status.PUBLISHED
    return sequence


def originals(sequence: Sequence) -> list[bytes]:
    keys = (
        Image.objects.filter(sequence=sequence).order_by("position").values_list("key", flat=True)
    )
    digests = []
    for key in keys:
        with default_storage.open(hosted.file_name(key, "hd")) as stored:
            digests.append(hashlib.sha256(stored.read()).digest())
    return digests


def run_transfer(transfer_id: str) -> str:
    job = Transfer.objects.get(unique_id=transfer_id)
    outcome = Transfer.run_one(job.pk)
    processing = ProcessUploadSet.objects.filter(upload_set=job.upload_set).first()
    if processing is not None:
        ProcessUploadSet.run_one(processing.pk)
    return outcome


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_collection_of_another_instance_becomes_a_published_sequence_with_the_same_photos(
    live_server, settings, client, walk
):
    settings.SITE_URL = live_server.url
    settings.TRANSFER_ALLOW_HTTP = True
    origin_owner = builders.persona("olivia")
    app = builders.uploader_app(builders.persona("dana"))
    origin = published_upload(origin_owner, app, "Lakeside loop")
    Sequence.objects.filter(pk=origin.pk).update(description="Along the water.")
    mover = builders.persona("oscar")
    token = builders.issue_token(mover, app)

    location = f"{live_server.url}/api/collections/{origin.unique_id}"
    started = start(client, token, location)
    assert started.status_code == 202, started.content
    body = started.json()
    assert body["status"] == "pending" and body["collection"]["status"] == "preparing"
    draft = Sequence.objects.get(unique_id=body["collection"]["id"])
    assert draft.owner == mover and draft.status == Sequence.Status.DRAFT
    assert started["Location"] == f"{live_server.url}/api/collections/{draft.unique_id}"

    assert run_transfer(body["id"]) == "succeeded"

    draft.refresh_from_db()
    assert draft.status == Sequence.Status.PUBLISHED
    assert (draft.name, draft.description) == ("Lakeside loop", "Along the water.")
    assert draft.image_count == 3 and draft.photo_source == Sequence.PhotoSource.UPLOAD
    assert originals(draft) == originals(origin)
    moved = Image.objects.filter(sequence=draft).order_by("position")
    kept = Image.objects.filter(sequence=origin).order_by("position")
    assert [image.captured_at for image in moved] == [image.captured_at for image in kept]
    assert [c for image in moved for c in image.point.coords] == pytest.approx(
        [c for image in kept for c in image.point.coords]
    )
    status = client.get(f"/api/transfers/{body['id']}", **builders.bearer(token)).json()
    assert status["status"] == "finished"
    assert status["collection"] == {
        "id": str(draft.unique_id),
        "status": "ready",
        "nb_items_to_transfer": 3,
        "nb_transfered_items": 3,
    }
    # Listed among the person's transfers once asked for all, not among those under way.
    mine = client.get("/api/users/me/transfers", **builders.bearer(token)).json()
    assert mine == {"transfers": []}
    every = client.get("/api/users/me/transfers?show_all=true", **builders.bearer(token)).json()
    assert [item["id"] for item in every["transfers"]] == [body["id"]]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_collection_that_is_not_there_ends_the_transfer_as_failed_and_the_draft_stays_one(
    live_server, settings, client, walk
):
    settings.TRANSFER_ALLOW_HTTP = True
    owner = builders.persona("olivia")
    token = builders.issue_token(owner, builders.uploader_app(builders.persona("dana")))
    missing = f"{live_server.url}/api/collections/00000000-0000-4000-8000-000000000000"
    body = start(client, token, missing).json()
    assert run_transfer(body["id"]) == "failed"
    status = client.get(f"/api/transfers/{body['id']}", **builders.bearer(token)).json()
    assert status["status"] == "failed"
    assert "there is no such collection" in status["jobs"][-1]["error"]
    assert Sequence.objects.get(unique_id=body["collection"]["id"]).status == "draft"
    assert not UploadFile.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("location", "why"),
    [
        ("http://10.1.2.3/api/collections/x", "must use https"),
        ("https://10.1.2.3/api/collections/x", "private, loopback or reserved address"),
        ("https://127.0.0.1/api/collections/x", "private, loopback or reserved address"),
        ("https://169.254.169.254/latest/meta-data", "private, loopback or reserved address"),
        ("file:///etc/passwd", "must use https"),
        ("https://user:secret@example.org/api/collections/x", "user name or password"),
    ],
)
def test_an_address_inside_the_servers_network_is_refused_and_nothing_is_written(
    client, owner_token, walk, location, why
):
    response = start(client, owner_token, location)
    assert response.status_code == 400
    assert why in response.json()["error"]
    assert response.json()["error"].startswith("collection_location: ")
    assert not Transfer.objects.exists()
    assert not UploadSet.objects.exists()
    assert not Sequence.objects.exists()


@pytest.mark.django_db
def test_refusals_of_the_transfer_api_name_their_cause(client, owner_token, other_token, walk):
    assert start(client, "", "https://example.org/c").status_code == 401
    not_json = client.post(
        "/api/transfers", "x", content_type="text/plain", **builders.bearer(owner_token)
    )
    assert not_json.status_code == 415
    empty = client.post(
        "/api/transfers", {}, content_type="application/json", **builders.bearer(owner_token)
    )
    assert empty.status_code == 400 and "collection_location" in empty.json()["error"]
    assert client.get("/api/transfers/nope", **builders.bearer(owner_token)).status_code == 404
    assert (
        client.get("/api/users/someone-else/transfers", **builders.bearer(owner_token)).status_code
        == 404
    )


@pytest.mark.django_db
def test_another_persons_transfer_is_answered_as_one_that_does_not_exist(
    client, owner, other_token, app, walk, settings
):
    settings.TRANSFER_ALLOW_HTTP = True
    transfer = actions.start_transfer(owner, app, "http://127.0.0.1:9/api/collections/x")
    answer = client.get(f"/api/transfers/{transfer.unique_id}", **builders.bearer(other_token))
    assert answer.status_code == 404


@pytest.mark.django_db
def test_a_person_has_at_most_five_transfers_under_way(
    client, owner, owner_token, app, settings, walk
):
    settings.TRANSFER_ALLOW_HTTP = True
    location = "http://127.0.0.1:9/api/collections/x"
    for _ in range(actions.MAX_ACTIVE_TRANSFERS):
        actions.start_transfer(owner, app, location)
    refused = start(client, owner_token, location)
    assert refused.status_code == 429
    assert Transfer.objects.count() == actions.MAX_ACTIVE_TRANSFERS
    Transfer.objects.filter(pk=Transfer.objects.first().pk).update(status=Job.Status.FAILED)
    assert start(client, owner_token, location).status_code == 202


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_photo_link_that_leaves_for_a_private_address_is_refused_and_the_rest_is_copied(
    live_server, settings, walk, monkeypatch
):
    """An origin may name any address as a photo's: each is checked as the collection's is."""
    settings.SITE_URL = live_server.url
    settings.TRANSFER_ALLOW_HTTP = True
    owner = builders.persona("olivia")
    app = builders.uploader_app(builders.persona("dana"))
    origin = published_upload(owner, app, "Two photos", count=2)
    from mtp.sequences import stac

    real_item_data = stac.item_data

    def poisoned(*args, **kwargs):
        data = real_item_data(*args, **kwargs)
        if data["properties"]["mtp:position"] == 1:
            data["assets"]["hd"]["href"] = "https://10.0.0.7/photo.jpg"
        return data

    monkeypatch.setattr(stac, "item_data", poisoned)
    transfer = actions.start_transfer(
        owner, app, f"{live_server.url}/api/collections/{origin.unique_id}"
    )
    assert run_transfer(str(transfer.unique_id)) == "succeeded"
    transfer.refresh_from_db()
    assert transfer.nb_transferred == 1
    assert "private, loopback or reserved address" in transfer.last_error
    assert UploadFile.objects.filter(upload_set=transfer.upload_set).count() == 1
