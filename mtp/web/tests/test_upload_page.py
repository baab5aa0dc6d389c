"""The Upload photos page's calls: a person's own upload sets only, refusals that say why,
and the same rules as the upload API (``mtp.uploads.actions``)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mtp.uploads import actions
from mtp.uploads.actions import SetParameters
from mtp.uploads.models import ProcessUploadSet, UploadFile, UploadSet
from testing.photos import camera_photo


@pytest.fixture(autouse=True)
def _storage(settings, tmp_path):
    """Photos go to a folder of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def upload_set(owner) -> UploadSet:
    return actions.create_upload_set(owner, None, SetParameters(title="Lake walk"))


def send(client, upload_set: UploadSet, data: bytes, name: str = "IMG_0001.jpg"):
    return client.post(
        f"/upload/sets/{upload_set.unique_id}/files/",
        {"file": SimpleUploadedFile(name, data, content_type="image/jpeg")},
    )


def test_the_page_asks_a_visitor_to_sign_in(client, db):
    response = client.get("/upload/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_page_offers_the_unfinished_upload_made_on_it(owner_client, upload_set):
    response = owner_client.get("/upload/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "You have an unfinished upload, “Lake walk”" in page
    assert f"/upload/sets/{upload_set.unique_id}/" in page
    assert "vendor/uppy/uppy.min.mjs" in page


def test_a_new_set_takes_the_title_way_of_travel_and_tags(owner_client, owner, db):
    response = owner_client.post(
        "/upload/sets/", {"title": "Evening ride", "transport_type": "Bicycle", "tags": "River"}
    )
    assert response.status_code == 201
    body = response.json()
    upload_set = UploadSet.objects.get(owner=owner)
    assert body["upload_set"]["id"] == str(upload_set.unique_id)
    assert body["links"]["files"] == f"/upload/sets/{upload_set.unique_id}/files/"
    assert upload_set.application is None
    assert upload_set.metadata == {"transport_type": "Bicycle"}
    assert upload_set.semantics == [{"key": "river", "value": ""}]


def test_a_set_without_a_title_is_refused_naming_the_field(owner_client, owner, db):
    response = owner_client.post("/upload/sets/", {"title": ""})
    assert response.status_code == 400
    assert response.json()["error"].startswith("Title:")
    assert not UploadSet.objects.filter(owner=owner).exists()


def test_a_photo_is_taken_and_listed_with_its_name_and_size(owner_client, upload_set):
    data = camera_photo()
    response = send(owner_client, upload_set, data)
    assert response.status_code == 202
    assert response.json()["file"]["file_name"] == "IMG_0001.jpg"
    listed = owner_client.get(f"/upload/sets/{upload_set.unique_id}/").json()
    assert [(item["file_name"], item["size"]) for item in listed["files"]] == [
        ("IMG_0001.jpg", len(data))
    ]


def test_the_same_photo_twice_is_a_409_that_changes_nothing(owner_client, upload_set):
    data = camera_photo()
    assert send(owner_client, upload_set, data).status_code == 202
    again = send(owner_client, upload_set, data)
    assert again.status_code == 409
    assert again.json() == {"error": "This upload set holds this file already."}
    assert UploadFile.objects.filter(upload_set=upload_set).count() == 1


def test_a_photo_without_a_position_is_refused_with_the_reason(owner_client, upload_set):
    response = send(owner_client, upload_set, camera_photo(lon=None, lat=None))
    assert response.status_code == 400
    assert "no position" in response.json()["error"]
    assert not UploadFile.objects.filter(upload_set=upload_set).exists()


def test_a_photo_over_the_limit_is_a_413(owner_client, upload_set, settings):
    settings.MTP_MAX_PHOTO_BYTES = 1024
    response = send(owner_client, upload_set, camera_photo(size=(400, 300)))
    assert response.status_code == 413
    assert not UploadFile.objects.filter(upload_set=upload_set).exists()


def test_a_post_without_a_file_is_refused(owner_client, upload_set):
    response = owner_client.post(f"/upload/sets/{upload_set.unique_id}/files/", {})
    assert response.status_code == 400
    assert "file" in response.json()["error"]


def test_completing_queues_the_set_for_the_worker(owner_client, upload_set):
    send(owner_client, upload_set, camera_photo())
    response = owner_client.post(f"/upload/sets/{upload_set.unique_id}/complete/")
    assert response.status_code == 200
    assert response.json()["upload_set"]["completed"] is True
    assert ProcessUploadSet.objects.filter(upload_set=upload_set).exists()
    late = send(owner_client, upload_set, camera_photo(lon=5.0))
    assert late.status_code == 409


def test_another_persons_set_is_a_404_for_every_call(other_client, upload_set):
    base = f"/upload/sets/{upload_set.unique_id}/"
    assert other_client.get(base).status_code == 404
    assert send(other_client, upload_set, camera_photo()).status_code == 404
    assert other_client.post(base + "complete/").status_code == 404
    upload_set.refresh_from_db()
    assert upload_set.status == UploadSet.Status.OPEN
    assert not upload_set.files.exists()


def test_my_sequences_lists_an_upload_being_processed(owner_client, upload_set):
    send(owner_client, upload_set, camera_photo())
    actions.complete(upload_set)
    page = owner_client.get("/my/").content.decode()
    assert f'data-upload-id="{upload_set.unique_id}"' in page
    assert "0 of 1 photos processed" in page
    progress = owner_client.get("/my/progress.json").json()
    assert progress["upload_sets"] == [
        {"id": str(upload_set.unique_id), "status": "completed", "processed": 0, "total": 1}
    ]


def test_my_sequences_lists_a_photo_that_could_not_be_processed_with_why(owner_client, upload_set):
    send(owner_client, upload_set, camera_photo())
    UploadFile.objects.filter(upload_set=upload_set).update(
        status=UploadFile.Status.BROKEN, why="Its smaller files could not be made."
    )
    page = owner_client.get("/my/").content.decode()
    assert "Photos that could not be processed" in page
    assert "IMG_0001.jpg" in page
    assert "Its smaller files could not be made." in page
