"""``request_import``: the hand-off from the API to the import workers."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from mtp.imports.jobs import (
    ImportInProgress,
    InvalidImportRequest,
    KeyAlreadyImported,
    KeyMismatch,
    request_import,
)
from mtp.imports.models import ImportJob
from mtp.imports.tokens import decrypt_token
from mtp.sequences.models import Sequence
from testing.fake_mapillary import OWNER, RECORDED_SEQUENCE

KEY = RECORDED_SEQUENCE


def start(sequence, key=KEY, token=OWNER.token, user=None, **options):
    from mtp.mapillary.schemas import MapillaryUser

    user = user or MapillaryUser(id=OWNER.id, username=OWNER.username)
    return request_import(
        sequence, mapillary_sequence_key=key, token=token, mapillary_user=user, **options
    )


def publish(sequence, key=KEY, finished_ago=timedelta(minutes=5)) -> ImportJob:
    """Make ``sequence`` look imported from ``key`` some time ago."""
    sequence.status = Sequence.Status.PUBLISHED
    sequence.published_at = timezone.now() - finished_ago
    sequence.mapillary_sequence_key = key
    sequence.save()
    return ImportJob.objects.create(
        sequence=sequence,
        mapillary_sequence_key=key,
        mapillary_user_id=OWNER.id,
        status=ImportJob.Status.SUCCEEDED,
        finished_at=timezone.now() - finished_ago,
    )


def test_a_draft_gets_a_queued_job_and_becomes_importing(draft):
    job, created = start(draft)
    assert created
    assert job.status == ImportJob.Status.QUEUED
    assert (job.mapillary_sequence_key, job.mapillary_user_id) == (KEY, OWNER.id)
    assert job.mapillary_username == OWNER.username
    draft.refresh_from_db()
    assert draft.status == Sequence.Status.IMPORTING
    assert draft.mapillary_sequence_key == KEY


def test_the_caller_sees_the_new_status_on_its_own_sequence_object(draft):
    start(draft)
    assert draft.status == Sequence.Status.IMPORTING


def test_the_job_is_queued_and_due_for_a_worker(draft):
    job, _ = start(draft)
    assert job.status == ImportJob.Status.QUEUED
    assert ImportJob.due_ids() == [job.pk]


def test_the_token_is_stored_only_encrypted(draft):
    job, _ = start(draft)
    job.refresh_from_db()
    assert decrypt_token(job.token_ciphertext) == OWNER.token
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM imports_importjob")
        rows = cursor.fetchall()
    assert all(OWNER.token not in str(value) for row in rows for value in row)


def test_the_same_key_while_the_job_is_active_returns_that_job(draft):
    first, created = start(draft)
    again, created_again = start(draft)
    assert created and not created_again
    assert again.pk == first.pk
    assert ImportJob.objects.count() == 1
    assert ImportJob.due_ids() == [first.pk]


def test_the_same_key_while_the_job_runs_returns_that_job(draft):
    first, _ = start(draft)
    ImportJob.objects.filter(pk=first.pk).update(status=ImportJob.Status.RUNNING)
    again, created = start(draft)
    assert (again.pk, created) == (first.pk, False)


def test_another_key_while_a_job_is_active_is_refused(draft):
    start(draft)
    with pytest.raises(ImportInProgress) as caught:
        start(draft, key="anotherkey")
    assert caught.value.http_status == 409
    assert KEY in caught.value.message
    assert ImportJob.objects.count() == 1


def test_a_key_another_sequence_holds_is_refused(draft, other_draft):
    start(other_draft)
    with pytest.raises(KeyAlreadyImported) as caught:
        start(draft)
    assert caught.value.http_status == 409
    draft.refresh_from_db()
    assert draft.status == Sequence.Status.DRAFT and draft.mapillary_sequence_key is None
    assert ImportJob.objects.filter(sequence=draft).count() == 0


def test_a_key_a_published_sequence_holds_is_refused(draft, other_draft):
    publish(other_draft)
    with pytest.raises(KeyAlreadyImported):
        start(draft)


def test_a_repeat_soon_after_success_changes_nothing(draft):
    done = publish(draft)
    job, created = start(draft)
    assert (job.pk, created) == (done.pk, False)
    assert ImportJob.due_ids() == []
    draft.refresh_from_db()
    assert draft.status == Sequence.Status.PUBLISHED


def test_a_repeat_after_the_cooldown_refreshes_and_stays_published(draft, settings):
    settings.IMPORT_REFRESH_COOLDOWN = 600
    publish(draft, finished_ago=timedelta(minutes=11))
    job, created = start(draft)
    assert created and job.status == ImportJob.Status.QUEUED
    draft.refresh_from_db()
    assert draft.status == Sequence.Status.PUBLISHED


def test_a_forced_repeat_refreshes_at_once(draft):
    done = publish(draft)
    job, created = start(draft, force=True)
    assert created and job.pk != done.pk
    assert ImportJob.due_ids() == [job.pk]


def test_a_published_sequence_keeps_the_key_it_was_imported_from(draft):
    publish(draft)
    with pytest.raises(KeyMismatch) as caught:
        start(draft, key="anotherkey", force=True)
    assert caught.value.http_status == 409


def test_after_a_failure_the_import_can_start_again(draft):
    failed, _ = start(draft)
    ImportJob.objects.filter(pk=failed.pk).update(
        status=ImportJob.Status.FAILED, token_ciphertext="", last_error="Mapillary was down."
    )
    job, created = start(draft)
    assert created and job.pk != failed.pk


@pytest.mark.parametrize("key", ["", "   ", "../me", "a key", "k" * 101])
def test_a_malformed_key_is_refused(draft, key):
    with pytest.raises(InvalidImportRequest) as caught:
        start(draft, key=key)
    assert caught.value.http_status == 400
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize("token", ["", "two words", "line\nbreak"])
def test_a_malformed_token_is_refused_without_repeating_it(draft, token):
    with pytest.raises(InvalidImportRequest) as caught:
        start(draft, token=token)
    if token:
        assert token not in caught.value.message
    assert ImportJob.objects.count() == 0


def test_surrounding_blanks_around_the_key_are_ignored(draft):
    job, _ = start(draft, key=f"  {KEY} ")
    assert job.mapillary_sequence_key == KEY
