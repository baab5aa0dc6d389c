"""Kept copies: after an import publishes a sequence, a job keeps a 256 px copy of each photo."""

import io
import math
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from PIL import Image as Picture

from mtp.imports.jobs import request_import
from mtp.imports.models import ImportJob
from mtp.mapillary.schemas import MapillaryUser
from mtp.sequences import keeper
from mtp.sequences.models import Image, KeepPhotosJob
from testing.fake_mapillary import OWNER

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    def publish(sequence, fake, key: str = "kept-walk", count: int = 7, **options):
        """Import a generated sequence of ``count`` photos; return the keeping job it queued."""
        fake.add_sequence(key, count, **options)
        with django_capture_on_commit_callbacks(execute=True):
            job, _ = request_import(
                sequence,
                mapillary_sequence_key=key,
                token=OWNER.token,
                mapillary_user=MapillaryUser(id=OWNER.id, username=OWNER.username),
            )
            ImportJob.run_one(job.pk)
        sequence.refresh_from_db()
        assert sequence.status == "published"
        return KeepPhotosJob.objects.get(sequence=sequence)

    return publish


def kept(sequence) -> list[str]:
    return list(
        Image.objects.filter(sequence=sequence)
        .order_by("position")
        .values_list("kept_copy", flat=True)
    )


def test_publishing_queues_keeping_and_nothing_is_fetched_on_the_imports_path(
    publish, fake_mapillary, draft
):
    job = publish(draft, fake_mapillary)
    assert job.status == "queued"
    assert fake_mapillary.count("/thumbs") == 0
    assert set(kept(draft)) == {""}
    assert KeepPhotosJob.due_ids() == [job.pk]


def test_every_photo_is_kept_in_storage_in_batches(publish, fake_mapillary, draft, settings):
    settings.MAPILLARY_BATCH_SIZE = 3
    job = publish(draft, fake_mapillary, pano=True)
    calls_by_the_import = fake_mapillary.count("/images")
    assert KeepPhotosJob.run_one(job.pk) == "succeeded"
    names = kept(draft)
    assert all(name.startswith(f"photos/256/{draft.unique_id}/") for name in names)
    with default_storage.open(names[0]) as file:
        picture = Picture.open(io.BytesIO(file.read()))
    assert picture.format == "JPEG"
    assert picture.size == (256, 128)
    assert fake_mapillary.count("/images") - calls_by_the_import == math.ceil(7 / 3)
    assert fake_mapillary.photos_served == {"256": 7}
    job.refresh_from_db()
    assert (job.status, job.kept, job.missing, job.lease_owner) == ("succeeded", 7, 0, "")


def test_a_run_after_a_crash_fetches_only_what_was_not_kept(publish, fake_mapillary, draft):
    job = publish(draft, fake_mapillary)
    images = list(Image.objects.filter(sequence=draft).order_by("position"))
    for image in images[:3]:
        name = keeper.save(draft, image.mapillary_key, b"\xff\xd8 kept before the crash")
        Image.objects.filter(pk=image.pk).update(kept_copy=name)
    # The crashed worker's lease has run out.
    KeepPhotosJob.objects.filter(pk=job.pk).update(
        status="running",
        lease_owner="dead-worker",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
        attempts=1,
    )
    assert KeepPhotosJob.run_one(job.pk) == "succeeded"
    assert fake_mapillary.photos_served["256"] == 4
    assert "" not in kept(draft)


def test_a_job_another_worker_holds_is_not_run_twice(publish, fake_mapillary, draft):
    job = publish(draft, fake_mapillary)
    KeepPhotosJob.objects.filter(pk=job.pk).update(
        status="running",
        lease_owner="other",
        lease_expires_at=timezone.now() + timedelta(seconds=60),
    )
    assert KeepPhotosJob.run_one(job.pk) == "skipped"
    assert fake_mapillary.count("/thumbs") == 0


def test_photos_are_fetched_a_few_at_a_time(publish, fake_mapillary, draft, settings):
    settings.MTP_KEEP_PHOTOS_CONCURRENCY = 2
    job = publish(draft, fake_mapillary, count=12)
    fake_mapillary.latency = 0.02
    fake_mapillary.peak_in_flight = 0
    assert KeepPhotosJob.run_one(job.pk) == "succeeded"
    assert fake_mapillary.peak_in_flight <= 2
    assert fake_mapillary.photos_served["256"] == 12


def test_the_operator_can_turn_keeping_off(fake_mapillary, draft, settings):
    settings.MTP_KEEP_PHOTOS = False
    fake_mapillary.add_sequence("not-kept", 3)
    job, _ = request_import(
        draft,
        mapillary_sequence_key="not-kept",
        token=OWNER.token,
        mapillary_user=MapillaryUser(id=OWNER.id, username=OWNER.username),
    )
    ImportJob.run_one(job.pk)
    assert not KeepPhotosJob.objects.exists()
    assert KeepPhotosJob.due_ids() == []


def test_mapillary_down_means_trying_again_later(publish, fake_mapillary, draft, settings):
    settings.MAPILLARY_RETRIES = 0
    job = publish(draft, fake_mapillary)
    fake_mapillary.inject("server_error", "/images", times=None)
    assert KeepPhotosJob.run_one(job.pk) == "retrying"
    job.refresh_from_db()
    assert job.status == "queued"
    assert job.lease_owner == ""
    assert job.next_attempt_at > timezone.now() + timedelta(seconds=30)
    assert KeepPhotosJob.due_ids() == []
    assert KeepPhotosJob.run_one(job.pk) == "skipped"  # not yet
    fake_mapillary.clear_faults()
    # The next attempt's time has come.
    KeepPhotosJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    assert KeepPhotosJob.due_ids() == [job.pk]
    assert KeepPhotosJob.run_one(job.pk) == "succeeded"
    assert "" not in kept(draft)


def test_a_photo_mapillary_dropped_is_counted_and_the_rest_kept(publish, fake_mapillary, draft):
    job = publish(draft, fake_mapillary)
    dropped = Image.objects.get(sequence=draft, position=2).mapillary_key
    fake_mapillary.sequences["kept-walk"].withheld.add(dropped)
    assert KeepPhotosJob.run_one(job.pk) == "succeeded"
    job.refresh_from_db()
    assert (job.kept, job.missing) == (6, 1)
    assert kept(draft).count("") == 1


def test_a_job_whose_worker_died_is_due_again_once_its_lease_runs_out(
    publish, fake_mapillary, draft
):
    job = publish(draft, fake_mapillary)
    KeepPhotosJob.objects.filter(pk=job.pk).update(
        status="running",
        lease_owner="dead-worker",
        lease_expires_at=timezone.now() + timedelta(seconds=60),
    )
    assert KeepPhotosJob.due_ids() == []
    KeepPhotosJob.objects.filter(pk=job.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert KeepPhotosJob.due_ids() == [job.pk]


def test_kept_copies_show_when_mapillary_is_gone(publish, fake_mapillary, draft, settings):
    settings.MAPILLARY_RETRIES = 0
    job = publish(draft, fake_mapillary)
    KeepPhotosJob.run_one(job.pk)
    first = Image.objects.get(sequence=draft, position=0)
    with default_storage.open(first.kept_copy.name) as file:
        copy = file.read()
    # The small photo is the kept copy itself, whether Mapillary answers or not.
    small = Client().get(f"/api/v1/images/{first.mapillary_key}/thumbnail?size=256")
    assert (small.status_code, small.content) == (200, copy)
    fake_mapillary.inject("server_error", "/images", times=None)
    # Later, the links known before have expired.
    Image.objects.update(links_until=None)
    reply = Client().get(f"/api/v1/images/{first.mapillary_key}/thumbnail?size=1024")
    assert reply.status_code == 200
    assert reply["Content-Type"] == "image/jpeg"
    assert reply.content == copy


def test_deleting_a_sequence_deletes_its_copies(publish, fake_mapillary, draft):
    job = publish(draft, fake_mapillary)
    KeepPhotosJob.run_one(job.pk)
    names = kept(draft)
    assert all(default_storage.exists(name) for name in names)
    draft.delete()
    assert not any(default_storage.exists(name) for name in names)


def test_without_a_client_token_nothing_is_queued(publish, fake_mapillary, draft, settings):
    settings.MAPILLARY_CLIENT_TOKEN = ""
    with pytest.raises(KeepPhotosJob.DoesNotExist):
        publish(draft, fake_mapillary)
    assert draft.status == "published"


@pytest.mark.django_db(transaction=True)
def test_a_worker_can_take_the_photos_queue_alone(publish, fake_mapillary, draft):
    from django.core.management import call_command

    job = publish(draft, fake_mapillary)
    call_command("worker", "--batch", "--interval", "0", "--queues", "photos")
    job.refresh_from_db()
    assert (job.status, job.kept) == ("succeeded", 7)
