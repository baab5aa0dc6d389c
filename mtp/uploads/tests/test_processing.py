"""A completed upload set becomes sequences: split, deduplicated, sorted, with their photos'
files made and served by this server."""

from datetime import timedelta

import pytest
import pyvips
from django.core.files.storage import default_storage
from django.utils import timezone

from mtp.sequences import hosted
from mtp.sequences.models import Image, Sequence
from mtp.uploads import actions
from mtp.uploads.actions import SetParameters
from mtp.uploads.models import ProcessUploadSet, UploadFile, UploadSet
from mtp.uploads.processing import part_name, plan, semantic_tags
from mtp.webhooks.models import WebhookDelivery
from testing.photos import LON, START, STEP_DEGREES, camera_photo
from testing.photos import walk as walk_photos

pytestmark = pytest.mark.django_db


def add_all(upload_set: UploadSet, photos: list[bytes]) -> list[UploadFile]:
    return [
        actions.add_file(upload_set, f"IMG_{index:04d}.jpg", data)
        for index, data in enumerate(photos, start=1)
    ]


def run_processing(upload_set: UploadSet) -> str:
    actions.complete(upload_set)
    job = ProcessUploadSet.objects.get(upload_set=upload_set)
    return ProcessUploadSet.run_one(job.pk)


def test_a_gap_in_time_longer_than_the_split_time_starts_a_new_sequence(upload_set):
    first = walk_photos(3)
    later = walk_photos(3, start=START + timedelta(minutes=10))
    files = add_all(upload_set, first + later)
    parts = plan(upload_set, files).parts
    assert [[item.name for item in part] for part in parts] == [
        ["IMG_0001.jpg", "IMG_0002.jpg", "IMG_0003.jpg"],
        ["IMG_0004.jpg", "IMG_0005.jpg", "IMG_0006.jpg"],
    ]


def test_a_jump_in_distance_longer_than_the_split_distance_starts_a_new_sequence(upload_set):
    near = [
        camera_photo(lon=LON + i * STEP_DEGREES, taken=START + timedelta(seconds=i))
        for i in range(2)
    ]
    far = camera_photo(lon=LON + 0.01, taken=START + timedelta(seconds=3))
    parts = plan(upload_set, add_all(upload_set, [*near, far])).parts
    assert [len(part) for part in parts] == [2, 1]


def test_no_split_keeps_every_photo_in_one_sequence(owner, app, walk):
    upload_set = actions.create_upload_set(owner, app, SetParameters(title="One", no_split=True))
    later = [
        camera_photo(lon=LON + (10 + i) * STEP_DEGREES, taken=START + timedelta(hours=1, seconds=i))
        for i in range(2)
    ]
    files = add_all(upload_set, walk_photos(2) + later)
    assert [len(part) for part in plan(upload_set, files).parts] == [4]


def test_a_photo_taken_standing_still_is_a_duplicate_unless_deduplication_is_off(owner, app, walk):
    still = [
        camera_photo(taken=START),
        camera_photo(taken=START + timedelta(seconds=1), colour=(10, 10, 10)),
        camera_photo(lon=LON + STEP_DEGREES, taken=START + timedelta(seconds=2)),
    ]
    deduplicated = actions.create_upload_set(owner, app, SetParameters(title="Dedup"))
    result = plan(deduplicated, add_all(deduplicated, still))
    assert [item.name for item in result.parts[0]] == ["IMG_0001.jpg", "IMG_0003.jpg"]
    assert list(result.duplicates.values())[0].startswith("A duplicate of IMG_0001.jpg")

    kept = actions.create_upload_set(owner, app, SetParameters(title="All", no_deduplication=True))
    assert [len(part) for part in plan(kept, add_all(kept, still)).parts] == [3]


def test_photos_are_sorted_by_the_sets_method(owner, app, walk):
    photos = walk_photos(3)
    upload_set = actions.create_upload_set(
        owner, app, SetParameters(title="Back", sort_method="time-desc")
    )
    files = add_all(upload_set, photos)
    assert [item.name for item in plan(upload_set, files).parts[0]] == [
        "IMG_0003.jpg",
        "IMG_0002.jpg",
        "IMG_0001.jpg",
    ]


def test_a_completed_set_becomes_published_sequences_with_their_photos(upload_set, settings):
    later = [
        camera_photo(
            lon=LON + (10 + i) * STEP_DEGREES, taken=START + timedelta(minutes=5, seconds=i)
        )
        for i in range(2)
    ]
    photos = walk_photos(3) + later
    files = add_all(upload_set, photos)
    assert run_processing(upload_set) == "succeeded"

    upload_set.refresh_from_db()
    assert upload_set.status == UploadSet.Status.DISPATCHED
    sequences = list(upload_set.sequences.order_by("captured_at_start"))
    assert [s.name for s in sequences] == ["Lakeside Part 1", "Lakeside Part 2"]
    first = sequences[0]
    assert first.status == Sequence.Status.PUBLISHED
    assert first.photo_source == Sequence.PhotoSource.UPLOAD
    assert first.source == "upload"
    assert first.transport_type.name == "Walk"
    assert first.image_count == 3
    assert first.distance_m > 5
    assert first.geometry is not None and len(first.geometry.coords) == 3
    assert first.camera_make.name == "GoPro"
    images = list(Image.objects.filter(sequence=first).order_by("position"))
    assert [image.key for image in images] == [str(files[i].picture_id) for i in range(3)]
    assert all(image.mapillary_key is None for image in images)
    assert images[0].compass_angle == 90
    for image in images:
        for name in ("hd", "sd", "thumb"):
            assert default_storage.exists(hosted.file_name(image.key, name))
    assert set(UploadFile.objects.values_list("status", flat=True)) == {"prepared"}


def test_the_photo_endpoint_serves_an_uploaded_photos_files_without_mapillary(
    upload_set, client, settings
):
    settings.MAPILLARY_CLIENT_TOKEN = ""
    original = camera_photo(size=(1200, 600))
    added = actions.add_file(upload_set, "big.jpg", original)
    run_processing(upload_set)
    key = str(added.picture_id)
    response = client.get(f"/api/v1/images/{key}/thumbnail?size=original")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == original
    thumb = client.get(f"/api/v1/images/{key}/thumbnail?size=256")
    assert thumb.status_code == 200
    assert pyvips.Image.new_from_buffer(b"".join(thumb.streaming_content), "").width == 500


def test_the_json_of_an_uploaded_photo_has_its_key_and_no_mapillary_key(upload_set):
    added = actions.add_file(upload_set, "a.jpg", camera_photo())
    run_processing(upload_set)
    image = Image.objects.get(key=str(added.picture_id))
    data = image.to_dict()
    assert data["key"] == str(added.picture_id)
    assert data["mapillary_key"] is None
    assert str(added.picture_id) in data["thumb_1024_url"]


def test_the_owner_only_visibility_keeps_the_sequence_to_its_owner(owner, app, walk):
    upload_set = actions.create_upload_set(
        owner, app, SetParameters(title="Mine", visibility="owner-only")
    )
    add_all(upload_set, walk_photos(2))
    run_processing(upload_set)
    sequence = upload_set.sequences.get()
    assert sequence.status == Sequence.Status.DRAFT
    assert sequence.image_count == 2


def test_a_named_draft_is_filled_and_published_by_the_upload(owner, app, walk):
    from testing import builders

    draft = builders.draft(owner, "Morning walk", application=app)
    upload_set = actions.create_upload_set(
        owner,
        app,
        SetParameters(title="Upload", metadata={"mtp_sequence": str(draft.unique_id)}),
    )
    add_all(upload_set, walk_photos(2))
    run_processing(upload_set)
    draft.refresh_from_db()
    assert draft.status == Sequence.Status.PUBLISHED
    assert draft.name == "Morning walk"
    assert draft.image_count == 2
    assert draft.photo_source == Sequence.PhotoSource.UPLOAD
    assert list(upload_set.sequences.all()) == [draft]


def test_semantics_become_tags_and_the_application_hears_sequence_published(owner, app, walk):
    app.webhook_url = "https://hooks.example.org/mtp"
    app.save()
    upload_set = actions.create_upload_set(
        owner,
        app,
        SetParameters(title="Tagged", semantics=[{"key": "surface", "value": "Gravel Path"}]),
    )
    add_all(upload_set, walk_photos(2))
    run_processing(upload_set)
    sequence = upload_set.sequences.get()
    assert list(sequence.tags.values_list("name", flat=True)) == ["surface-gravel-path"]
    delivery = WebhookDelivery.objects.get(application=app)
    assert delivery.event_type == "sequence.published"
    assert str(sequence.unique_id) in delivery.body


def test_processing_again_after_it_finished_makes_nothing_twice(upload_set):
    add_all(upload_set, walk_photos(2))
    run_processing(upload_set)
    ProcessUploadSet.objects.update(
        status="queued", lease_owner="", lease_expires_at=None, next_attempt_at=timezone.now()
    )
    job = ProcessUploadSet.objects.get()
    assert ProcessUploadSet.run_one(job.pk) == "succeeded"
    assert Sequence.objects.count() == 1
    assert Image.objects.count() == 2


def test_names_and_tags_follow_the_rules_of_sequences():
    assert part_name("x" * 200, 2, 3).endswith(" Part 2")
    assert len(part_name("x" * 200, 2, 3)) == 100
    assert part_name("Walk", 1, 1) == "Walk"
    assert semantic_tags([{"key": "osm|highway", "value": "footway"}, {"key": 3}]) == [
        "osm-highway-footway",
        "3",
    ]
