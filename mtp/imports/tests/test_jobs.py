"""Leases and recovery: one worker at a time runs a job, and a dead worker's job runs again."""

from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from mtp.imports.jobs import request_import
from mtp.imports.models import MAX_ATTEMPTS, ImportJob
from mtp.lib.jobs import LeaseLost
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
    first = ImportJob.claim(job.pk, "worker-a")
    assert first is not None
    assert (first.status, first.lease_owner, first.attempts) == ("running", "worker-a", 1)
    assert first.lease_expires_at > timezone.now()
    assert ImportJob.claim(job.pk, "worker-b") is None


def test_a_job_whose_lease_expired_can_be_claimed_again(job):
    first = ImportJob.claim(job.pk, "worker-a")
    expire(job)
    taken = ImportJob.claim(job.pk, "worker-b")
    assert taken is not None
    assert (taken.lease_owner, taken.attempts) == ("worker-b", 2)
    with pytest.raises(LeaseLost):
        first.renew()
    taken.renew()


def test_a_finished_job_cannot_be_claimed(job):
    ImportJob.objects.filter(pk=job.pk).update(status="succeeded", token_ciphertext="")
    assert ImportJob.claim(job.pk, "worker-a") is None


def test_renewing_extends_the_lease_and_records_progress(job, settings):
    settings.JOB_LEASE_SECONDS = 120
    ImportJob.claim(job.pk, "worker-a").renew(progress_total=10, progress_done=4)
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total) == (4, 10)
    assert job.lease_expires_at > timezone.now() + timedelta(seconds=100)


def test_a_job_interrupted_too_often_fails_instead_of_running_again(job):
    ImportJob.objects.filter(pk=job.pk).update(attempts=MAX_ATTEMPTS)
    assert ImportJob.run_one(job.pk, "worker-a") == "failed"
    job.refresh_from_db()
    assert job.status == "failed"
    assert f"could not finish in {MAX_ATTEMPTS} attempts" in job.last_error
    assert job.token_ciphertext == ""


def test_a_released_job_is_queued_again_and_due(job):
    claimed = ImportJob.claim(job.pk, "worker-a")
    assert ImportJob.due_ids() == []
    claimed.release()
    job.refresh_from_db()
    assert (job.status, job.lease_owner, job.lease_expires_at) == ("queued", "", None)
    assert ImportJob.due_ids() == [job.pk]


def test_a_queued_job_is_due_and_a_running_one_is_not_until_its_lease_runs_out(job):
    assert ImportJob.due_ids() == [job.pk]
    ImportJob.claim(job.pk, "worker-a")
    assert ImportJob.due_ids() == []
    expire(job)
    assert ImportJob.due_ids() == [job.pk]


def test_due_jobs_come_oldest_first(job, other_draft):
    other, _ = request_import(
        other_draft,
        mapillary_sequence_key="another-sequence",
        token=OWNER.token,
        mapillary_user=MapillaryUser(id=OWNER.id, username=OWNER.username),
    )
    assert ImportJob.due_ids() == [job.pk, other.pk]


def test_recovery_queues_again_a_running_job_whose_lease_expired(job):
    ImportJob.claim(job.pk, "worker-that-died")
    expire(job)
    assert ImportJob.recover() == 1
    job.refresh_from_db()
    assert (job.status, job.lease_owner) == ("queued", "")
    assert job.token_ciphertext != ""
    assert ImportJob.due_ids() == [job.pk]
    assert ImportJob.recover() == 0


def test_recovery_leaves_a_job_with_a_live_lease_alone(job):
    ImportJob.claim(job.pk, "worker-a")
    assert ImportJob.recover() == 0
    job.refresh_from_db()
    assert (job.status, job.lease_owner) == ("running", "worker-a")


def test_a_second_worker_for_a_running_job_skips_it(job, fake_mapillary):
    ImportJob.claim(job.pk, "worker-a")
    assert ImportJob.run_one(job.pk, "worker-b") == "skipped"
    assert fake_mapillary.count("/image_ids") == 0


@pytest.mark.django_db(transaction=True)
def test_the_lease_stays_alive_through_a_wait_longer_than_the_lease(
    fake_mapillary, draft, settings
):
    import threading
    import time

    settings.JOB_LEASE_SECONDS = 2
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
            outcome.append(ImportJob.run_one(job.pk, "patient-worker"))
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
        assert ImportJob.recover() == 0
        row = ImportJob.objects.get(pk=job.pk)
        assert (row.status, row.lease_owner) == ("running", "patient-worker")
        assert row.lease_expires_at > timezone.now()
    finally:
        runner.join(timeout=30)
    assert outcome == ["succeeded"]
    assert ImportJob.objects.get(pk=job.pk).attempts == 1
