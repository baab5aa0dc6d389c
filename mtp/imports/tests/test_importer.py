"""The import run against the Mapillary stand-in: what gets published, and every way it fails."""

import logging

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from mtp.imports import importer
from mtp.imports.jobs import request_import
from mtp.imports.models import ImportJob
from mtp.lib.geodesy import geodesic_m
from mtp.mapillary.schemas import MapillaryUser
from mtp.sequences.models import Image, Sequence, Tag
from testing.fake_mapillary import OWNER, RECORDED_IMAGE_IDS, RECORDED_SEQUENCE, STRANGER

pytestmark = pytest.mark.django_db

# The recorded sequence by capture time. Mapillary lists 338231874314914 third, but it was
# taken at the same moment as 135511895288847 (a damaged image, as recorded).
CAPTURE_ORDER = [
    "148137757289079",
    "311799370533334",
    "4235112816526838",
    "464249047982277",
    "308609047601518",
    "338231874314914",
    "135511895288847",
    "311681117131457",
]


def import_now(sequence, key=RECORDED_SEQUENCE, persona=OWNER, force=False) -> ImportJob:
    """Hand ``key`` to an import job and run it here; return the finished job."""
    job, _ = request_import(
        sequence,
        mapillary_sequence_key=key,
        token=persona.token,
        mapillary_user=MapillaryUser(id=persona.id, username=persona.username),
        force=force,
    )
    ImportJob.run_one(job.pk)
    job.refresh_from_db()
    sequence.refresh_from_db()
    return job


def snapshot(sequence) -> list[tuple]:
    return list(
        Image.objects.filter(sequence=sequence)
        .order_by("position")
        .values_list("pk", "mapillary_key", "position")
    )


def test_the_recorded_sequence_is_published_with_its_route_in_capture_order(fake_mapillary, draft):
    job = import_now(draft)
    assert job.status == ImportJob.Status.SUCCEEDED, job.last_error
    assert (job.progress_done, job.progress_total, job.last_error) == (8, 8, "")
    assert job.finished_at is not None and job.started_at is not None
    assert draft.status == Sequence.Status.PUBLISHED and draft.published_at is not None
    assert draft.mapillary_sequence_key == RECORDED_SEQUENCE
    images = list(Image.objects.filter(sequence=draft).order_by("position"))
    assert [image.mapillary_key for image in images] == CAPTURE_ORDER
    assert [image.position for image in images] == list(range(8))
    first = images[0]
    # computed_geometry wins over the raw GPS position.
    assert (first.point.x, first.point.y) == (-108.57077016445, 39.065738749246)
    assert first.compass_angle == pytest.approx(359.18081230616)
    assert first.thumb_256_url.startswith(fake_mapillary.url)
    assert (first.width, first.height, first.altitude) == (4160, 3120, 1365.268)
    assert draft.image_count == 8
    route = list(draft.geometry.coords)
    assert route == [(image.point.x, image.point.y) for image in images]
    expected = sum(geodesic_m(route[i], route[i + 1]) for i in range(len(route) - 1))
    assert draft.distance_m == pytest.approx(expected)
    # About 390 m, straight north: no jump back for the misplaced image.
    assert 380 < draft.distance_m < 400
    assert draft.captured_at_start.isoformat() == "2019-07-21T14:57:28.460000+00:00"
    assert draft.captured_at_end.isoformat() == "2019-07-21T14:58:00.184000+00:00"
    assert draft.bbox_south == pytest.approx(39.065738749246)
    assert draft.is_pano is False


def test_a_long_sequence_is_imported_whole_with_its_camera(fake_mapillary, draft, settings):
    settings.MAPILLARY_BATCH_SIZE = 100
    generated = fake_mapillary.add_sequence("longwalk", 2345)
    job = import_now(draft, "longwalk")
    assert job.status == ImportJob.Status.SUCCEEDED, job.last_error
    assert draft.image_count == 2345
    keys = list(
        Image.objects.filter(sequence=draft)
        .order_by("position")
        .values_list("mapillary_key", flat=True)
    )
    assert keys == generated.all_ids()
    assert draft.geometry.num_points == 2345
    assert (draft.camera_make.name, draft.camera_model.name) == ("GoPro", "HERO9 Black")
    assert fake_mapillary.count("/images") == 24


def test_a_panoramic_sequence_is_marked_pano(fake_mapillary, draft):
    fake_mapillary.add_sequence("spherical", 30, pano=True)
    import_now(draft, "spherical")
    assert draft.is_pano is True
    assert draft.camera_model.name == "MAX"


def test_the_users_own_fields_are_never_overwritten(fake_mapillary, draft, walk):
    draft.tags.add(Tag.objects.create(name="river"))
    draft.google_street_view = "https://maps.app.goo.gl/abc"
    draft.strava = "123456"
    draft.save()
    import_now(draft)
    assert (draft.name, draft.description) == ("Morning walk", "Along the river")
    assert draft.transport_type == walk
    assert list(draft.tags.values_list("name", flat=True)) == ["river"]
    assert (draft.google_street_view, draft.strava) == ("https://maps.app.goo.gl/abc", "123456")


def test_edits_made_while_the_import_runs_are_kept(fake_mapillary, draft, monkeypatch):
    real_store = importer._store

    def store_then_edit(*args, **kwargs):
        real_store(*args, **kwargs)
        Sequence.objects.filter(pk=draft.pk).update(name="Renamed meanwhile", strava="42")

    monkeypatch.setattr(importer, "_store", store_then_edit)
    import_now(draft)
    assert (draft.name, draft.strava) == ("Renamed meanwhile", "42")
    assert draft.status == Sequence.Status.PUBLISHED


def test_the_sequence_is_published_only_once_every_image_is_stored(
    fake_mapillary, draft, settings, monkeypatch
):
    settings.MAPILLARY_BATCH_SIZE = 50
    fake_mapillary.add_sequence("stepwise", 1200)
    seen = []
    real_store = importer._store

    def store_and_look(job, *args, **kwargs):
        real_store(job, *args, **kwargs)
        sequence = Sequence.objects.get(pk=job.sequence_id)
        seen.append((sequence.status, Image.objects.filter(sequence=sequence).count()))

    monkeypatch.setattr(importer, "_store", store_and_look)
    import_now(draft, "stepwise")
    assert len(seen) >= 3
    assert all(status == Sequence.Status.IMPORTING for status, _ in seen)
    assert [count for _, count in seen] == sorted(count for _, count in seen)
    assert draft.status == Sequence.Status.PUBLISHED and draft.image_count == 1200


def test_reimporting_the_same_key_refreshes_images_and_route_and_keeps_the_rest(
    fake_mapillary, draft
):
    import_now(draft)
    draft.tags.add(Tag.objects.create(name="kept"))
    first_published = draft.published_at
    before = {key: pk for pk, key, _ in snapshot(draft)}
    recorded = fake_mapillary.sequences[RECORDED_SEQUENCE]
    recorded.hidden.add(RECORDED_IMAGE_IDS[-1])
    recorded.overrides[RECORDED_IMAGE_IDS[0]] = {
        "computed_geometry": {"type": "Point", "coordinates": [-108.5, 39.0]}
    }
    job = import_now(draft, force=True)
    assert job.status == ImportJob.Status.SUCCEEDED, job.last_error
    after = snapshot(draft)
    assert [key for _, key, _ in after] == CAPTURE_ORDER[:-1]
    # The same rows, updated in place: no duplicates, nothing re-created.
    assert all(before[key] == pk for pk, key, _ in after)
    assert Image.objects.count() == 7
    assert draft.image_count == 7 and draft.geometry.num_points == 7
    assert draft.geometry.coords[0] == (-108.5, 39.0)
    assert draft.published_at == first_published
    assert list(draft.tags.values_list("name", flat=True)) == ["kept"]
    assert draft.status == Sequence.Status.PUBLISHED


def test_a_refresh_can_add_images(fake_mapillary, draft):
    sequence = fake_mapillary.add_sequence("growing", 120)
    import_now(draft, "growing")
    sequence.count = 150
    import_now(draft, "growing", force=True)
    assert draft.image_count == 150
    assert Image.objects.filter(sequence=draft).count() == 150


def test_an_image_by_another_mapillary_user_fails_the_import(fake_mapillary, draft):
    fake_mapillary.add_sequence("theirs", 40, owner=STRANGER)
    job = import_now(draft, "theirs")
    assert job.status == ImportJob.Status.FAILED
    assert "uploaded by someone_else, not by vorpalblade" in job.last_error
    assert "You can import only your own sequences." in job.last_error
    assert job.token_ciphertext == ""
    assert draft.status == Sequence.Status.FAILED
    # The key is free again for whoever owns it.
    assert draft.mapillary_sequence_key is None
    assert Image.objects.count() == 0


def test_one_foreign_image_far_into_the_sequence_fails_it_and_leaves_nothing_behind(
    fake_mapillary, draft, settings
):
    settings.MAPILLARY_BATCH_SIZE = 50
    sequence = fake_mapillary.add_sequence("mixed", 400)
    sequence.overrides[sequence.image_id(333)] = {"creator": STRANGER.as_creator()}
    job = import_now(draft, "mixed")
    assert job.status == ImportJob.Status.FAILED
    assert sequence.image_id(333) in job.last_error
    assert Image.objects.count() == 0
    assert draft.status == Sequence.Status.FAILED


def test_an_image_without_a_creator_fails_the_import(fake_mapillary, draft):
    fake_mapillary.sequences[RECORDED_SEQUENCE].overrides[RECORDED_IMAGE_IDS[4]] = {"creator": None}
    job = import_now(draft)
    assert job.status == ImportJob.Status.FAILED
    assert "cannot check that the sequence is yours" in job.last_error


def test_the_stranger_imports_their_own_sequence(fake_mapillary, draft):
    fake_mapillary.add_sequence("theirs", 12, owner=STRANGER)
    assert import_now(draft, "theirs", persona=STRANGER).status == ImportJob.Status.SUCCEEDED


def test_an_empty_sequence_fails_with_a_message_that_says_why(fake_mapillary, draft):
    job = import_now(draft, "notprocessedyet")
    assert job.status == ImportJob.Status.FAILED
    assert "Mapillary has no images for sequence notprocessedyet" in job.last_error
    assert draft.status == Sequence.Status.FAILED
    assert fake_mapillary.count("/images") == 0


def test_missing_fields_leave_gaps_and_unplaceable_images_out(fake_mapillary, draft):
    overrides = fake_mapillary.sequences[RECORDED_SEQUENCE].overrides
    overrides[RECORDED_IMAGE_IDS[0]] = {"computed_geometry": None}
    overrides[RECORDED_IMAGE_IDS[1]] = {
        "captured_at": None,
        "compass_angle": None,
        "computed_compass_angle": None,
        "width": None,
        "height": None,
        "altitude": None,
        "thumb_256_url": None,
        "camera_type": None,
    }
    overrides[RECORDED_IMAGE_IDS[2]] = {"computed_geometry": None, "geometry": None}
    fake_mapillary.sequences[RECORDED_SEQUENCE].withheld.add(RECORDED_IMAGE_IDS[3])
    job = import_now(draft)
    assert job.status == ImportJob.Status.SUCCEEDED, job.last_error
    assert job.note == (
        "1 image that Mapillary no longer shows was left out. "
        "1 image without a location was left out."
    )
    images = {image.mapillary_key: image for image in Image.objects.filter(sequence=draft)}
    assert set(images) == set(RECORDED_IMAGE_IDS) - {RECORDED_IMAGE_IDS[2], RECORDED_IMAGE_IDS[3]}
    # Without computed_geometry, the GPS position.
    assert (images[RECORDED_IMAGE_IDS[0]].point.x, images[RECORDED_IMAGE_IDS[0]].point.y) == (
        -108.57076997222,
        39.065739,
    )
    bare = images[RECORDED_IMAGE_IDS[1]]
    assert bare.captured_at is None and bare.compass_angle is None and bare.width is None
    assert bare.thumb_256_url == ""
    assert sorted(image.position for image in images.values()) == list(range(6))
    assert draft.image_count == 6


def test_a_sequence_without_any_location_fails(fake_mapillary, draft):
    sequence = fake_mapillary.add_sequence("nowhere", 5)
    for index in range(5):
        sequence.overrides[sequence.image_id(index)] = {"geometry": None, "computed_geometry": None}
    job = import_now(draft, "nowhere")
    assert job.status == ImportJob.Status.FAILED
    assert "no route to publish" in job.last_error


def test_an_image_already_in_another_sequence_fails_the_import(fake_mapillary, draft, other_draft):
    # Oscar's sequence holds one of the recorded images (Mapillary moved it since, say).
    taken = RECORDED_IMAGE_IDS[3]
    Image.objects.create(sequence=other_draft, mapillary_key=taken, position=0, point=Point(0, 0))
    job = import_now(draft)
    assert job.status == ImportJob.Status.FAILED
    assert f"Image {taken} is already part of another Map the Paths sequence" in job.last_error
    assert "Oscar" not in job.last_error
    assert Image.objects.get(mapillary_key=taken).sequence == other_draft
    assert Image.objects.filter(sequence=draft).count() == 0


@pytest.mark.parametrize(
    "fault", ["server_error", "app_limit", "rate_limit", "truncated", "disconnect", "timeout"]
)
@pytest.mark.parametrize("path", ["/image_ids", "/images"])
def test_a_passing_upstream_fault_does_not_change_the_outcome(
    fake_mapillary, draft, settings, fault, path
):
    settings.MAPILLARY_TIMEOUT = 0.5
    settings.MAPILLARY_BATCH_SIZE = 20
    fake_mapillary.add_sequence("bumpy", 100)
    fake_mapillary.inject(fault, path, after=2 if path == "/images" else 0, times=2, retry_after=0)
    job = import_now(draft, "bumpy")
    assert job.status == ImportJob.Status.SUCCEEDED, job.last_error
    assert draft.image_count == Image.objects.filter(sequence=draft).count() == 100
    assert sorted(Image.objects.values_list("position", flat=True)) == list(range(100))


def test_a_rate_limit_waits_as_long_as_retry_after_asks(fake_mapillary, draft, monkeypatch):
    from mtp.mapillary import client

    waits = []
    monkeypatch.setattr(client, "_wait", lambda seconds, cancel: waits.append(seconds))
    fake_mapillary.inject("rate_limit", "/images", retry_after=2)
    assert import_now(draft).status == ImportJob.Status.SUCCEEDED
    assert waits and min(waits) >= 2


def test_a_fault_that_does_not_pass_fails_the_job_with_a_clear_message(
    fake_mapillary, draft, settings
):
    settings.MAPILLARY_RETRIES = 2
    settings.MAPILLARY_BATCH_SIZE = 20
    fake_mapillary.add_sequence("down", 100)
    fake_mapillary.inject("server_error", "/images", after=2, times=None)
    job = import_now(draft, "down")
    assert job.status == ImportJob.Status.FAILED
    assert job.last_error == (
        "Mapillary had a server error (HTTP 500). Tried 3 times; try again later."
    )
    assert draft.status == Sequence.Status.FAILED
    assert Image.objects.count() == 0
    assert job.token_ciphertext == ""


def test_a_token_mapillary_refuses_midway_fails_the_job(fake_mapillary, draft, settings):
    settings.MAPILLARY_BATCH_SIZE = 10
    fake_mapillary.add_sequence("expiring", 100)
    fake_mapillary.inject("invalid_token", "/images", after=3, times=None)
    job = import_now(draft, "expiring")
    assert job.status == ImportJob.Status.FAILED
    assert "Sign in to Mapillary again" in job.last_error
    assert fake_mapillary.count("/images") < 10 + 8


def test_a_failed_refresh_keeps_the_published_sequence_as_it_was(fake_mapillary, draft, settings):
    settings.MAPILLARY_BATCH_SIZE = 10
    generated = fake_mapillary.add_sequence("stable", 50)
    import_now(draft, "stable")
    before = snapshot(draft)
    route = draft.geometry.coords
    generated.count = 80
    fake_mapillary.inject("server_error", "/images", after=6, times=None)
    settings.MAPILLARY_RETRIES = 1
    job = import_now(draft, "stable", force=True)
    assert job.status == ImportJob.Status.FAILED
    assert draft.status == Sequence.Status.PUBLISHED
    assert draft.mapillary_sequence_key == "stable"
    assert snapshot(draft) == before
    assert draft.geometry.coords == route and draft.image_count == 50


def test_a_job_another_worker_holds_is_not_run_twice(fake_mapillary, draft):
    job, _ = request_import(
        draft,
        mapillary_sequence_key=RECORDED_SEQUENCE,
        token=OWNER.token,
        mapillary_user=MapillaryUser(id=OWNER.id, username=OWNER.username),
    )
    assert ImportJob.claim(job.pk, "another-worker") is not None
    assert ImportJob.run_one(job.pk) == "skipped"
    assert fake_mapillary.count("/image_ids") == 0
    job.refresh_from_db()
    assert (job.status, job.lease_owner, job.attempts) == ("running", "another-worker", 1)


def test_a_worker_that_loses_its_lease_stops_without_publishing(fake_mapillary, draft, monkeypatch):
    real_store = importer._store

    def store_then_lose_the_lease(job, *args, **kwargs):
        real_store(job, *args, **kwargs)
        ImportJob.objects.filter(pk=job.pk).update(lease_owner="a-faster-worker")

    monkeypatch.setattr(importer, "_store", store_then_lose_the_lease)
    fake_mapillary.add_sequence("contested", 300)
    job, _ = request_import(
        draft,
        mapillary_sequence_key="contested",
        token=OWNER.token,
        mapillary_user=MapillaryUser(id=OWNER.id, username=OWNER.username),
    )
    assert ImportJob.run_one(job.pk) == "lost"
    job.refresh_from_db()
    draft.refresh_from_db()
    assert (job.status, job.lease_owner) == ("running", "a-faster-worker")
    assert draft.status == Sequence.Status.IMPORTING


def test_a_sequence_deleted_while_importing_ends_the_job_quietly(
    fake_mapillary, draft, monkeypatch
):
    real_store = importer._store

    def store_then_delete(job, *args, **kwargs):
        real_store(job, *args, **kwargs)
        Sequence.objects.filter(pk=job.sequence_id).delete()

    monkeypatch.setattr(importer, "_store", store_then_delete)
    fake_mapillary.add_sequence("doomed", 300)
    job, _ = request_import(
        draft,
        mapillary_sequence_key="doomed",
        token=OWNER.token,
        mapillary_user=MapillaryUser(id=OWNER.id, username=OWNER.username),
    )
    assert ImportJob.run_one(job.pk) == "lost"
    assert not ImportJob.objects.exists() and not Image.objects.exists()


def test_the_token_never_reaches_logs_errors_or_the_task_queue(
    fake_mapillary, draft, other_draft, caplog, settings
):
    caplog.set_level(logging.DEBUG)
    settings.MAPILLARY_RETRIES = 1
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        for fault in ("server_error", "truncated", "disconnect", "app_limit"):
            fake_mapillary.inject(fault, "/images", retry_after=0)
        import_now(draft)
        fake_mapillary.inject("invalid_token", "/image_ids")
        failed = import_now(other_draft, "another")
    finally:
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
    assert failed.status == ImportJob.Status.FAILED
    assert caplog.records
    assert all(OWNER.token not in record.getMessage() for record in caplog.records)
    assert all(OWNER.token not in (record.exc_text or "") for record in caplog.records)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ImportJob._meta.db_table}")  # noqa: S608
        rows = cursor.fetchall()
    assert rows
    assert all(OWNER.token not in str(value) for row in rows for value in row)
    assert not ImportJob.objects.exclude(token_ciphertext="").exists()
