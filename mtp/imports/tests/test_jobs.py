"""Leases and recovery: one worker at a time runs a job, and a dead worker's job runs again."""

from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from mtp.imports.jobs import (
    MAX_ATTEMPTS,
    WorkerLost,
    claim,
    enqueue,
    recover_stale_jobs,
    release,
    renew,
    request_import,
)
from mtp.imports.models import ImportJob
from mtp.mapillary.schemas import MapillaryUser
from testing.fake_mapillary import OWNER, RECORDED_SEQUENCE

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(draft) -> ImportJob:
    job, _ = request_import(
        draft,
        mapillary_sequence_key=RECORDED_SEQUENCE,
        token=OWNER.token,
        mapillary_user=MapillaryUser(id=OWNER.id, username=OWNER.username),
    )
    return job


def expire(job: ImportJob) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_queued_job_is_claimed_once(job):
    first = claim(job.pk, "worker-a")
    assert first is not None
    assert (first.status, first.lease_owner, first.attempts) == ("running", "worker-a", 1)
    assert first.lease_expires_at > timezone.now()
    assert claim(job.pk, "worker-b") is None


def test_a_job_whose_lease_expired_can_be_claimed_again(job):
    claim(job.pk, "worker-a")
    expire(job)
    taken = claim(job.pk, "worker-b")
    assert taken is not None
    assert (taken.lease_owner, taken.attempts) == ("worker-b", 2)
    assert not renew(job.pk, "worker-a")
    assert renew(job.pk, "worker-b")


def test_a_finished_job_cannot_be_claimed(job):
    ImportJob.objects.filter(pk=job.pk).update(status="succeeded", token_ciphertext="")
    assert claim(job.pk, "worker-a") is None


def test_renewing_extends_the_lease_and_records_progress(job, settings):
    settings.IMPORT_LEASE_SECONDS = 120
    claim(job.pk, "worker-a")
    assert renew(job.pk, "worker-a", progress_total=10, progress_done=4)
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total) == (4, 10)
    assert job.lease_expires_at > timezone.now() + timedelta(seconds=100)


def test_a_job_interrupted_too_often_fails_instead_of_running_again(job):
    ImportJob.objects.filter(pk=job.pk).update(attempts=MAX_ATTEMPTS)
    assert claim(job.pk, "worker-a") is None
    job.refresh_from_db()
    assert job.status == "failed"
    assert f"could not finish in {MAX_ATTEMPTS} attempts" in job.error
    assert job.token_ciphertext == ""


def test_a_released_job_is_queued_again_with_a_new_task(job):
    claim(job.pk, "worker-a")
    old_task = job.task_id
    assert release(job, "worker-a")
    job.refresh_from_db()
    assert (job.status, job.lease_owner, job.lease_expires_at) == ("queued", "", None)
    assert job.task_id != old_task
    assert DBTaskResult.objects.get(pk=job.task_id).args_kwargs["args"] == [job.pk]


def test_recovery_queues_again_a_running_job_whose_lease_expired(job):
    claim(job.pk, "worker-that-died")
    DBTaskResult.objects.filter(pk=job.task_id).update(status="RUNNING", started_at=timezone.now())
    old_task = job.task_id
    expire(job)
    assert recover_stale_jobs() == 1
    job.refresh_from_db()
    assert (job.status, job.lease_owner) == ("queued", "")
    assert job.token_ciphertext != ""
    assert DBTaskResult.objects.get(pk=job.task_id).status == "READY"
    abandoned = DBTaskResult.objects.get(pk=old_task)
    assert abandoned.status == "FAILED"
    assert "stopped" in abandoned.traceback
    # Read as django-tasks reads it: the recorded exception class is importable.
    [error] = abandoned.task_result.errors
    assert error.exception_class is WorkerLost
    assert recover_stale_jobs() == 0


def test_recovery_leaves_a_job_with_a_live_lease_alone(job):
    claim(job.pk, "worker-a")
    assert recover_stale_jobs() == 0
    job.refresh_from_db()
    assert (job.status, job.lease_owner) == ("running", "worker-a")


def test_recovery_queues_again_a_queued_job_whose_task_is_gone(job, settings):
    settings.IMPORT_LEASE_SECONDS = 10
    DBTaskResult.objects.filter(pk=job.task_id).delete()
    assert recover_stale_jobs() == 0  # too fresh: its request may still be committing
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(seconds=11))
    assert recover_stale_jobs() == 1
    job.refresh_from_db()
    assert DBTaskResult.objects.get(pk=job.task_id).status == "READY"


def test_recovery_queues_again_a_job_whose_worker_died_before_taking_the_lease(job, settings):
    settings.IMPORT_LEASE_SECONDS = 10
    long_ago = timezone.now() - timedelta(seconds=11)
    DBTaskResult.objects.filter(pk=job.task_id).update(status="RUNNING", started_at=long_ago)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=long_ago)
    old_task = job.task_id
    assert recover_stale_jobs() == 1
    job.refresh_from_db()
    assert job.task_id != old_task
    assert DBTaskResult.objects.get(pk=old_task).status == "FAILED"


def test_recovery_leaves_a_queued_job_with_a_waiting_task_alone(job, settings):
    settings.IMPORT_LEASE_SECONDS = 10
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert recover_stale_jobs() == 0


def test_a_duplicate_task_for_a_running_job_is_skipped(job, fake_mapillary):
    from mtp.imports.importer import run_job

    claim(job.pk, "worker-a")
    enqueue(job)
    assert run_job(job.pk, "worker-b") == "skipped"
    assert fake_mapillary.count("/image_ids") == 0


@pytest.mark.django_db(transaction=True)
def test_the_lease_stays_alive_through_a_wait_longer_than_the_lease(
    fake_mapillary, draft, settings
):
    import threading
    import time

    from mtp.imports.importer import run_job

    settings.IMPORT_LEASE_SECONDS = 2
    # Mapillary asks for a 3-second pause: longer than the lease itself.
    fake_mapillary.inject("rate_limit", "/images", retry_after=3)
    job, _ = request_import(
        draft,
        mapillary_sequence_key=RECORDED_SEQUENCE,
        token=OWNER.token,
        mapillary_user=MapillaryUser(id=OWNER.id, username=OWNER.username),
    )
    outcome = []

    def run() -> None:
        try:
            outcome.append(run_job(job.pk, "patient-worker"))
        finally:
            connections.close_all()

    runner = threading.Thread(target=run)
    runner.start()
    try:
        # Wait (polling, to a deadline) until the lease as the worker first took it has ended;
        # the import is still in Mapillary's pause, which is longer than a lease.
        first_lease_ends = None
        deadline = time.monotonic() + 30
        while first_lease_ends is None or timezone.now() <= first_lease_ends:
            assert time.monotonic() < deadline, "the job's first lease never ended"
            row = ImportJob.objects.get(pk=job.pk)
            if first_lease_ends is None and row.status == "running":
                first_lease_ends = row.lease_expires_at
            time.sleep(0.05)
        # Past the first lease's end, mid-pause: the heartbeat has kept the lease alive.
        assert recover_stale_jobs() == 0
        row = ImportJob.objects.get(pk=job.pk)
        assert (row.status, row.lease_owner) == ("running", "patient-worker")
        assert row.lease_expires_at > timezone.now()
    finally:
        runner.join(timeout=30)
    assert outcome == ["succeeded"]
    assert ImportJob.objects.get(pk=job.pk).attempts == 1
