"""The lease protocol of import jobs: take, renew, finish or release, and recover.

A worker runs a job only while it holds the job's lease (``mtp.lib.leases``): it takes a
queued job with a conditional UPDATE that marks it running, renews the lease as it works
(``mtp.imports.importer``'s heartbeat), and every write it makes re-checks it. The job ends
with ``finish`` (succeeded or failed, its token wiped) or, when the worker stops, goes back
to the queue with ``release``. A worker that dies (even by ``kill -9``) stops renewing; once
the lease has run out any worker may take the job again, and ``recover_stale_jobs`` (run
periodically by every ``mtp worker``) marks it queued meanwhile. Running it again from the
start is safe because an import is idempotent.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from mtp.imports.models import ImportJob
from mtp.lib.leases import Lease

logger = logging.getLogger(__name__)


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.IMPORT_LEASE_SECONDS)


def _claimable(now: datetime) -> Q:
    """Queued jobs, and running ones whose worker stopped renewing the lease."""
    lapsed = Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True)
    return Q(status=ImportJob.Status.QUEUED) | Q(lapsed, status=ImportJob.Status.RUNNING)


LEASE = Lease(
    model=ImportJob,
    duration=lease_duration,
    claimable=_claimable,
    order=("created_at", "id"),
    held=Q(status=ImportJob.Status.RUNNING),
)


def take(job_id: int, worker_id: str) -> ImportJob | None:
    """Take the job's lease if it is queued or its lease ran out, counting an attempt;
    None when another worker has it or it has ended."""
    now = timezone.now()
    taken = LEASE.claim(
        job_id,
        worker_id,
        status=ImportJob.Status.RUNNING,
        started_at=Coalesce("started_at", now),
        updated_at=now,
    )
    if not taken:
        return None
    return ImportJob.objects.select_related("sequence").get(pk=job_id)


def renew(job_id: int, worker_id: str, **changes: object) -> bool:
    """Extend the lease (and apply ``changes``); False when the lease is no longer ours."""
    return LEASE.renew(job_id, worker_id, updated_at=timezone.now(), **changes)


def finish(job: ImportJob, worker_id: str, status: str, *, error: str = "", note: str = "") -> bool:
    """End the job as succeeded or failed and wipe its token, if the lease is still ours.

    Call it inside the transaction that writes the job's outcome, so that both happen or
    neither does; that transaction ends with ``import_ended(job)``, which queues the event
    for the app that created the sequence (see ``mtp.imports.jobs.fail`` and the importer's
    ``_publish``).
    """
    now = timezone.now()
    succeeded = status == ImportJob.Status.SUCCEEDED
    done = LEASE.release(
        job.pk,
        worker_id,
        status=status,
        error=error,
        note=note,
        token_ciphertext="",
        finished_at=now,
        updated_at=now,
        progress_done=F("progress_total") if succeeded else F("progress_done"),
    )
    if done:
        job.status, job.error, job.note, job.finished_at = status, error, note, now
        job.token_ciphertext = ""
    return done


def release(job: ImportJob, worker_id: str) -> bool:
    """Give the job back (the worker is stopping): queued again, for any worker to take."""
    return LEASE.release(
        job.pk, worker_id, status=ImportJob.Status.QUEUED, updated_at=timezone.now()
    )


def recover_stale_jobs() -> int:
    """Mark queued again the running jobs whose worker died; return how many.

    A worker may take such a job without it (its lease ran out), but until one does the job
    should read as waiting, not running. Safe to run from many workers at once: each change
    is conditional on the lease it found.
    """
    now = timezone.now()
    recovered = 0
    expired = LEASE.expired(now).values_list("pk", "lease_owner", "lease_expires_at")
    for pk, owner, expires_at in expired:
        requeued = ImportJob.objects.filter(
            pk=pk,
            status=ImportJob.Status.RUNNING,
            lease_owner=owner,
            lease_expires_at=expires_at,
        ).update(
            status=ImportJob.Status.QUEUED,
            lease_owner="",
            lease_expires_at=None,
            updated_at=now,
        )
        if requeued:
            recovered += 1
            logger.warning("import %s: its worker stopped renewing the lease; queued again", pk)
    return recovered
