"""The job model every kind of background work shares: its states, its lease, its backoff.

The rows here are of one real kind (keeping a sequence's photos), driven only through
``mtp.lib.jobs.Job``; what each kind's run does is tested with the kind.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from mtp.imports.models import ImportJob
from mtp.lib import jobs
from mtp.lib.jobs import Job, LeaseLost
from mtp.sequences.models import KeepPhotosJob
from mtp.uploads.models import ProcessUploadSet, Transfer
from mtp.webhooks.models import WebhookDelivery
from testing import builders


def queued(owner, name: str = "Walk") -> KeepPhotosJob:
    return KeepPhotosJob.objects.create(
        sequence=builders.draft(owner, name), next_attempt_at=timezone.now()
    )


def lapse(job: Job) -> None:
    type(job)._default_manager.filter(pk=job.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )


def state(job: Job) -> tuple:
    job.refresh_from_db()
    return job.status, job.lease_owner, job.attempts


@pytest.mark.django_db
def test_a_queued_job_is_claimed_by_one_worker_and_held_for_the_lease(owner, settings):
    settings.JOB_LEASE_SECONDS = 90
    job = queued(owner)
    claimed = KeepPhotosJob.claim(job.pk, "worker-a")
    assert claimed is not None
    assert (claimed.status, claimed.lease_owner, claimed.attempts) == ("running", "worker-a", 1)
    assert claimed.lease_expires_at > timezone.now() + timedelta(seconds=80)
    assert KeepPhotosJob.claim(job.pk, "worker-b") is None
    assert state(job) == ("running", "worker-a", 1)


@pytest.mark.django_db
def test_a_job_is_due_when_its_time_has_come_and_no_live_lease_holds_it(owner):
    job = queued(owner)
    KeepPhotosJob.objects.filter(pk=job.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=1)
    )
    assert KeepPhotosJob.due_ids() == []
    assert KeepPhotosJob.claim(job.pk, "worker-a") is None
    KeepPhotosJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    assert KeepPhotosJob.due_ids() == [job.pk]
    KeepPhotosJob.claim(job.pk, "worker-a")
    assert KeepPhotosJob.due_ids() == []
    lapse(job)
    assert KeepPhotosJob.due_ids() == [job.pk]


@pytest.mark.django_db
def test_finishing_ends_the_job_and_lets_go_of_the_lease(owner):
    job = KeepPhotosJob.claim(queued(owner).pk, "worker-a")
    job.finish(kept=3)
    assert (job.status, job.lease_owner, job.lease_expires_at) == ("succeeded", "", None)
    assert state(job) == ("succeeded", "", 1)
    assert (job.kept, job.next_attempt_at, job.last_error) == (3, None, "")
    assert KeepPhotosJob.due_ids() == []
    assert KeepPhotosJob.claim(job.pk, "worker-b") is None


@pytest.mark.django_db
def test_a_failed_attempt_is_due_again_after_a_backoff(owner):
    job = KeepPhotosJob.claim(queued(owner).pk, "worker-a")
    before = timezone.now()
    assert job.retry("Mapillary did not answer.") == "retrying"
    job.refresh_from_db()
    assert (job.status, job.lease_owner, job.last_error) == (
        "queued",
        "",
        "Mapillary did not answer.",
    )
    first = KeepPhotosJob.first_backoff_seconds()
    assert before + timedelta(seconds=0.8 * first) <= job.next_attempt_at
    assert job.next_attempt_at <= timezone.now() + timedelta(seconds=1.2 * first)
    assert KeepPhotosJob.due_ids() == []
    assert KeepPhotosJob.claim(job.pk, "worker-b") is None


@pytest.mark.django_db
def test_the_last_attempt_that_fails_gives_the_job_up(owner):
    job = queued(owner)
    KeepPhotosJob.objects.filter(pk=job.pk).update(attempts=KeepPhotosJob.max_attempts() - 1)
    job = KeepPhotosJob.claim(job.pk, "worker-a")
    assert job.retry("Still nothing.") == "failed"
    assert state(job) == ("failed", "", KeepPhotosJob.max_attempts())
    assert (job.last_error, job.next_attempt_at) == ("Still nothing.", None)
    assert job.finished_at is not None
    assert KeepPhotosJob.due_ids() == []


@pytest.mark.django_db
def test_giving_up_fails_the_job_at_once(owner):
    job = KeepPhotosJob.claim(queued(owner).pk, "worker-a")
    job.give_up("The sequence is gone.")
    assert state(job) == ("failed", "", 1)
    assert job.last_error == "The sequence is gone."


@pytest.mark.django_db
def test_a_job_given_back_is_queued_and_due_at_once(owner):
    job = KeepPhotosJob.claim(queued(owner).pk, "worker-a")
    job.release()
    assert state(job) == ("queued", "", 1)
    assert job.lease_expires_at is None
    assert KeepPhotosJob.due_ids() == [job.pk]


def test_the_backoff_doubles_up_to_its_cap_with_jitter():
    first = KeepPhotosJob.first_backoff_seconds()
    for attempt, expected in [(1, first), (2, 2 * first), (3, 4 * first), (40, 6 * 3600)]:
        wait = KeepPhotosJob.backoff(attempt)
        assert 0.8 * expected <= wait <= 1.2 * expected
    assert len({KeepPhotosJob.backoff(2) for _ in range(20)}) > 1


@pytest.mark.django_db
def test_a_worker_whose_lease_was_taken_over_can_change_nothing(owner):
    job = queued(owner)
    stale = KeepPhotosJob.claim(job.pk, "worker-a")
    lapse(job)
    current = KeepPhotosJob.claim(job.pk, "worker-b")
    assert current is not None and current.attempts == 2
    for change in (
        stale.renew,
        stale.finish,
        stale.release,
        lambda: stale.retry("too late"),
        lambda: stale.give_up("too late"),
    ):
        with pytest.raises(LeaseLost):
            change()
    assert state(job) == ("running", "worker-b", 2)
    assert job.last_error == ""
    current.renew()
    current.finish()
    assert state(job) == ("succeeded", "", 2)


@pytest.mark.django_db
def test_a_job_deleted_under_its_worker_is_a_lost_lease(owner):
    job = KeepPhotosJob.claim(queued(owner).pk, "worker-a")
    KeepPhotosJob.objects.filter(pk=job.pk).delete()
    with pytest.raises(LeaseLost):
        job.renew()


@pytest.mark.django_db
def test_a_run_that_loses_its_lease_ends_as_lost_and_leaves_the_row_to_the_new_worker(
    owner, monkeypatch
):
    job = queued(owner)

    def run_while_another_takes_over(claimed: KeepPhotosJob) -> str:
        lapse(claimed)
        assert KeepPhotosJob.claim(claimed.pk, "worker-b") is not None
        claimed.finish()
        return "succeeded"

    monkeypatch.setitem(jobs._RUNS, KeepPhotosJob, run_while_another_takes_over)
    assert KeepPhotosJob.run_one(job.pk, "worker-a") == "lost"
    assert state(job) == ("running", "worker-b", 2)
    assert KeepPhotosJob.run_one(job.pk, "worker-c") == "skipped"


@pytest.mark.django_db
def test_recovery_queues_again_only_the_jobs_whose_lease_ran_out(owner):
    dead = queued(owner, "Dead worker's")
    live = queued(owner, "Live worker's")
    KeepPhotosJob.claim(dead.pk, "worker-that-died")
    KeepPhotosJob.claim(live.pk, "worker-alive")
    lapse(dead)
    assert KeepPhotosJob.recover() == 1
    assert state(dead) == ("queued", "", 1)
    assert state(live) == ("running", "worker-alive", 1)
    assert KeepPhotosJob.due_ids() == [dead.pk]
    assert KeepPhotosJob.recover() == 0


@pytest.mark.django_db(transaction=True)
def test_of_two_workers_racing_for_the_same_rows_exactly_one_claims_each(seeded, owner):
    rows = [queued(owner, f"Walk {number}").pk for number in range(20)]
    start = threading.Barrier(2)
    won: dict[str, list[int]] = {"worker-a": [], "worker-b": []}

    def race(worker_id: str) -> None:
        try:
            start.wait()
            for pk in rows:
                if KeepPhotosJob.claim(pk, worker_id) is not None:
                    won[worker_id].append(pk)
        finally:
            connections.close_all()

    racers = [threading.Thread(target=race, args=(worker_id,)) for worker_id in won]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=60)
    assert sorted(won["worker-a"] + won["worker-b"]) == rows
    owners = dict(KeepPhotosJob.objects.values_list("pk", "lease_owner"))
    for worker_id, pks in won.items():
        assert all(owners[pk] == worker_id for pk in pks)
    assert set(KeepPhotosJob.objects.values_list("attempts", flat=True)) == {1}


def test_the_worker_knows_each_kind_by_its_queue_in_the_order_it_serves_them():
    assert [kind.queue for kind in jobs.kinds()] == [
        "imports",
        "webhooks",
        "photos",
        "uploads",
        "transfers",
    ]
    assert jobs.kinds() == [ImportJob, WebhookDelivery, KeepPhotosJob, ProcessUploadSet, Transfer]


def test_two_kinds_cannot_share_a_queue_the_worker_knows_them_by(monkeypatch):
    # The worker would serve only one of them: the other's rows would wait for ever.
    monkeypatch.setattr(Transfer, "queue", ProcessUploadSet.queue)
    with pytest.raises(TypeError, match="share the queue uploads"):
        jobs.register(Transfer, lambda job: "succeeded")


def test_only_a_concrete_kind_with_a_queue_name_can_be_registered():
    with pytest.raises(TypeError, match="not a concrete kind of job"):
        jobs.register(Job, lambda job: "succeeded")
