"""The job that processes a completed upload set (``ProcessUploadSet``): its lease, and its
run, which calls ``processing.process``. ``mtp worker`` takes due jobs from the ``uploads``
queue. A failed run is tried again later, waiting longer each time, up to ``MAX_ATTEMPTS``."""

import logging
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import get_random_string

from mtp.lib.leases import Lease
from mtp.uploads.models import ProcessUploadSet
from mtp.uploads.processing import LeaseLost, process

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 3600


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.IMPORT_LEASE_SECONDS)


def _claimable(now: datetime) -> Q:
    return Q(LEASE.free(now), status=ProcessUploadSet.Status.PENDING, next_attempt_at__lte=now)


LEASE = Lease(
    model=ProcessUploadSet,
    duration=lease_duration,
    claimable=_claimable,
    order=("next_attempt_at", "id"),
    owner="lock",
    expires="locked_until",
    held=Q(status=ProcessUploadSet.Status.PENDING),
)


def due_ids(limit: int = 20) -> list[int]:
    return LEASE.due_ids(limit)


def run(job_id: int) -> str:
    """Run the job if it is due and no one else runs it; return what happened."""
    lock = get_random_string(16)
    if not LEASE.claim(job_id, lock):
        return "skipped"
    job = ProcessUploadSet.objects.select_related("upload_set").get(pk=job_id)
    try:
        process(job.upload_set, renew=lambda: LEASE.renew(job_id, lock))
    except LeaseLost:
        return "lost"
    except Exception as error:  # noqa: BLE001 - recorded on the job, tried again later
        logger.exception("upload set %s: processing failed", job.upload_set_id)
        return _retry(job, lock, f"{type(error).__name__}: {error}")
    released = LEASE.release(
        job_id,
        lock,
        status=ProcessUploadSet.Status.DONE,
        last_error="",
        next_attempt_at=None,
        finished_at=timezone.now(),
    )
    return "done" if released else "lost"


def _retry(job: ProcessUploadSet, lock: str, error: str) -> str:
    job.refresh_from_db(fields=["attempts"])
    if job.attempts >= MAX_ATTEMPTS:
        changes = {"status": ProcessUploadSet.Status.FAILED, "finished_at": timezone.now()}
    else:
        wait = min(FIRST_BACKOFF_SECONDS * 2 ** (job.attempts - 1), MAX_BACKOFF_SECONDS)
        changes = {
            "next_attempt_at": timezone.now() + timedelta(seconds=wait * random.uniform(0.8, 1.2))
        }
    if not LEASE.release(job.pk, lock, last_error=error[:300], **changes):
        return "lost"
    return "failed" if "status" in changes else "retrying"
