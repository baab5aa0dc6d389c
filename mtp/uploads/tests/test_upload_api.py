"""The upload API as Panoramax's clients call it: each refusal a 4xx naming its cause, and
nothing kept of a refused photo."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from mtp.uploads.models import ProcessUploadSet, UploadFile, UploadSet
from testing import builders
from testing.photos import camera_photo

pytestmark = pytest.mark.django_db


def create_set(client, token, **fields):
    body = {"title": "Lakeside", **fields}
    return client.post(
        "/api/upload_sets", body, content_type="application/json", **builders.bearer(token)
    )


def send(client, token, set_id, data, name="IMG_0001.jpg", **fields):
    return client.post(
        f"/api/upload_sets/{set_id}/files",
        {"file": SimpleUploadedFile(name, data, "image/jpeg"), **fields},
        **builders.bearer(token),
    )


@pytest.fixture
def set_id(client, owner_token, walk) -> str:
    response = create_set(client, owner_token)
    assert response.status_code == 200
    return response.json()["id"]


def stored_files() -> int:
    """How many files of hosted photos the storage holds."""
    root = "photos/hosted"
    return sum(1 for _ in _walk(root)) if default_storage.exists(root) else 0


def _walk(folder):
    folders, files = default_storage.listdir(folder)
    yield from files
    for name in folders:
        yield from _walk(f"{folder}/{name}")


def test_configuration_gives_the_instances_defaults(client):
    response = client.get("/api/configuration")
    assert response.status_code == 200
    body = response.json()
    assert body["auth"]["enabled"] is True
    assert body["defaults"] == {
        "split_distance": 100,
        "split_time": 60,
        "duplicate_distance": 1.0,
        "duplicate_rotation": 60,
    }


def test_users_me_names_the_tokens_person_and_refuses_without_a_token(client, owner_token):
    assert client.get("/api/users/me", **builders.bearer(owner_token)).json()["id"] == "olivia"
    refused = client.get("/api/users/me")
    assert refused.status_code == 401
    assert "access token" in refused.json()["error"]


def test_an_upload_set_takes_its_parameters_and_the_instances_defaults(client, owner_token, walk):
    body = create_set(client, owner_token, split_time=30, sort_method="filename_asc").json()
    assert (body["split_time"], body["split_distance"]) == (30, 100)
    assert body["sort_method"] == "filename-asc"
    assert body["completed"] is False and body["ready"] is False
    assert UploadSet.objects.get().owner.username == "olivia"


def test_no_token_is_a_401_and_writes_nothing(client, walk):
    response = client.post("/api/upload_sets", {"title": "x"}, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]
    assert not UploadSet.objects.exists()


def test_a_token_without_the_write_scope_cannot_upload(client, owner, app, walk):
    headers = builders.token_with_scope(owner, app, "read")
    response = client.post(
        "/api/upload_sets", {"title": "x"}, content_type="application/json", **headers
    )
    assert response.status_code == 403
    assert "write" in response.json()["error"]


def test_logged_only_visibility_is_refused_as_this_server_does_not_offer_it(
    client, owner_token, walk
):
    response = create_set(client, owner_token, visibility="logged-only")
    assert response.status_code == 400
    assert "logged-only" in response.json()["error"]


def test_a_photo_is_taken_and_listed_with_its_md5(client, owner_token, set_id):
    response = send(client, owner_token, set_id, camera_photo())
    assert response.status_code == 202
    picture_id = response.json()["picture_id"]
    listed = client.get(f"/api/upload_sets/{set_id}/files", **builders.bearer(owner_token))
    (entry,) = listed.json()["files"]
    assert entry["picture_id"] == picture_id
    assert entry["file_name"] == "IMG_0001.jpg"
    assert len(entry["content_md5"]) == 32


def test_the_same_file_twice_in_a_set_is_a_409(client, owner_token, set_id):
    data = camera_photo()
    assert send(client, owner_token, set_id, data).status_code == 202
    again = send(client, owner_token, set_id, data, name="copy.jpg")
    assert again.status_code == 409
    assert "holds this file already" in again.json()["error"]
    assert UploadFile.objects.count() == 1
    assert stored_files() == 1


@pytest.mark.parametrize(
    ("data", "cause"),
    [
        (camera_photo(lon=None, lat=None), "no position"),
        (camera_photo(taken=None), "no capture time"),
        (b"GIF89a" + b"\x00" * 64, "not a JPEG"),
        (camera_photo()[:-30], "truncated"),
    ],
    ids=["no-position", "no-time", "not-a-jpeg", "truncated"],
)
def test_a_photo_that_cannot_be_taken_is_a_400_naming_why_and_leaves_nothing(
    client, owner_token, set_id, data, cause
):
    response = send(client, owner_token, set_id, data)
    assert response.status_code == 400
    assert cause in response.json()["error"]
    assert cause in response.json()["message"]
    assert not UploadFile.objects.exists()
    assert stored_files() == 0


def test_a_photo_over_the_size_limit_is_a_413(client, owner_token, set_id, settings):
    data = camera_photo()
    settings.MTP_MAX_PHOTO_BYTES = len(data) - 1
    response = send(client, owner_token, set_id, data)
    assert response.status_code == 413
    assert str(len(data) - 1) in response.json()["error"]
    assert not UploadFile.objects.exists()


def test_a_photo_larger_than_other_bodies_may_be_is_taken(client, owner_token, set_id, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = send(client, owner_token, set_id, camera_photo(size=(640, 480)))
    assert response.status_code == 202


def test_another_persons_upload_set_is_a_404(client, other_token, owner_token, set_id):
    for response in (
        client.get(f"/api/upload_sets/{set_id}", **builders.bearer(other_token)),
        send(client, other_token, set_id, camera_photo()),
        client.post(f"/api/upload_sets/{set_id}/complete", **builders.bearer(other_token)),
    ):
        assert response.status_code == 404
        assert response.json()["error"] == "No upload set with this id."
    assert not UploadFile.objects.exists()


def test_overrides_place_a_photo_without_a_position(client, owner_token, set_id):
    response = send(
        client,
        owner_token,
        set_id,
        camera_photo(lon=None, lat=None),
        override_latitude="45.5",
        override_longitude="6.5",
    )
    assert response.status_code == 202
    assert (UploadFile.objects.get().lat, UploadFile.objects.get().lon) == (45.5, 6.5)


def test_completing_makes_the_processing_due_and_closes_the_set(client, owner_token, set_id):
    send(client, owner_token, set_id, camera_photo())
    response = client.post(f"/api/upload_sets/{set_id}/complete", **builders.bearer(owner_token))
    assert response.status_code == 200
    assert response.json()["completed"] is True
    assert ProcessUploadSet.objects.get().status == "queued"
    late = send(client, owner_token, set_id, camera_photo(lon=7.0))
    assert late.status_code == 409


def test_a_named_draft_of_someone_else_is_refused(client, owner_token, other_user, walk):
    theirs = builders.draft(other_user, "Theirs")
    response = create_set(client, owner_token, metadata={"mtp_sequence": str(theirs.unique_id)})
    assert response.status_code == 404
    assert "mtp_sequence" in response.json()["error"]
