"""Kept copies: a small (256 px) copy of every published photo, in Django's default storage.

They let photos show while Mapillary is unreachable, refuses the instance's token, or after it
has dropped a photo (``mtp.api.images`` serves them then).

When an import publishes a sequence, ``request`` (inside the publishing transaction) marks its
``KeepPhotosJob`` due; a worker (``mtp worker``, queue ``photos``) runs it after the import has
finished, never on its path. The job's row is its only record. The worker takes the job's
lease with a conditional UPDATE (``mtp.lib.leases``), then,
``MAPILLARY_BATCH_SIZE`` photos at a time: resolves their links (one Graph API call,
``mtp.sequences.photos``), fetches the 256 px photos ``MTP_KEEP_PHOTOS_CONCURRENCY`` at a
time, saves each and records it on its Image row, and renews the lease. Photos already kept
are skipped, so a job killed at any point and run again carries on where it stopped; one whose
worker died is due again once its lease has run out. A failed run is tried again later,
waiting longer each time. ``MTP_KEEP_PHOTOS=false`` turns it all off;
without ``MAPILLARY_CLIENT_TOKEN`` nothing is queued.
"""

import logging
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import get_random_string

from mtp.lib.leases import Lease
from mtp.mapillary.client import fetch_photo
from mtp.sequences.models import Image, KeepPhotosJob, Sequence
from mtp.sequences.photos import PhotoUnavailable, photos_available, resolve

logger = logging.getLogger(__name__)

SIZE = "256"
FOLDER = "photos/256"
# A 256 px photo is some kilobytes; anything far larger is not one.
MAX_PHOTO_BYTES = 4 * 1024 * 1024
MAX_ATTEMPTS = 10
FIRST_BACKOFF_SECONDS = 60
MAX_BACKOFF_SECONDS = 6 * 3600


class LeaseLost(Exception):
    """Another worker took the job over: this one stops without writing."""


def storage_name(sequence: Sequence, mapillary_key: str) -> str:
    return f"{FOLDER}/{sequence.unique_id}/{mapillary_key}.jpg"


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.IMPORT_LEASE_SECONDS)


def backoff(attempt: int) -> float:
    """Seconds before try ``attempt + 1``: doubling from a minute, +-20% at random."""
    wait = min(FIRST_BACKOFF_SECONDS * 2 ** max(0, attempt - 1), MAX_BACKOFF_SECONDS)
    return wait * random.uniform(0.8, 1.2)


def _claimable(now: datetime) -> Q:
    """Pending jobs whose time has come, and that no one is running."""
    return Q(LEASE.free(now), status=KeepPhotosJob.Status.PENDING, next_attempt_at__lte=now)


LEASE = Lease(
    model=KeepPhotosJob,
    duration=lease_duration,
    claimable=_claimable,
    order=("next_attempt_at", "id"),
    owner="lock",
    expires="locked_until",
    held=Q(status=KeepPhotosJob.Status.PENDING),
)


# Queueing -------------------------------------------------------------------------------------


def request(sequence: Sequence) -> KeepPhotosJob | None:
    """Make keeping the sequence's photos due, in the current transaction: a worker finds the
    job once it commits.

    None when keeping is off, or when there is no client token to fetch photos with.
    """
    if not settings.MTP_KEEP_PHOTOS or not photos_available():
        return None
    job, _created = KeepPhotosJob.objects.update_or_create(
        sequence=sequence,
        defaults={
            "status": KeepPhotosJob.Status.PENDING,
            "attempts": 0,
            "last_error": "",
            "next_attempt_at": timezone.now(),
            "finished_at": None,
        },
    )
    return job


def due_ids(limit: int = 20) -> list[int]:
    """The jobs a worker may run now (none while keeping is off)."""
    return LEASE.due_ids(limit) if settings.MTP_KEEP_PHOTOS else []


# Running --------------------------------------------------------------------------------------


def run(job_id: int) -> str:
    """Run the job if it is pending and no one else runs it; return what happened."""
    if not settings.MTP_KEEP_PHOTOS:
        return "off"
    lock = get_random_string(16)
    if not LEASE.claim(job_id, lock):
        return "skipped"
    job = KeepPhotosJob.objects.select_related("sequence").get(pk=job_id)
    sequence = job.sequence
    if not sequence.is_public:
        return _finish(job, lock, KeepPhotosJob.Status.DONE, error="The sequence is not public.")
    try:
        missing, failed = _keep(job, lock, sequence)
    except LeaseLost:
        return "lost"
    except PhotoUnavailable as unavailable:
        return _retry(job, lock, unavailable.message)
    if failed:
        return _retry(job, lock, f"{failed} photos could not be fetched.", missing=missing)
    return _finish(job, lock, KeepPhotosJob.Status.DONE, missing=missing)


def _keep(job: KeepPhotosJob, lock: str, sequence: Sequence) -> tuple[int, int]:
    """Keep every photo not kept yet; return how many Mapillary did not give, and how many
    could not be fetched."""
    missing = failed = 0
    after = -1
    batch = settings.MAPILLARY_BATCH_SIZE
    with ThreadPoolExecutor(
        max_workers=settings.MTP_KEEP_PHOTOS_CONCURRENCY, thread_name_prefix="keeper"
    ) as pool:
        while True:
            rows = list(
                Image.objects.filter(sequence_id=sequence.pk, kept_copy="", position__gt=after)
                .order_by("position")
                .values_list("pk", "position", "key")[:batch]
            )
            if not rows:
                break
            after = rows[-1][1]
            # A background job may wait out Mapillary's retries.
            links = resolve([key for _pk, _position, key in rows], retries=None)
            urls = [links[key].urls.get(SIZE) if key in links else None for *_rest, key in rows]
            photos = pool.map(lambda url: fetch(url) if url else None, urls)
            kept = 0
            for (pk, _position, key), url, data in zip(rows, urls, photos, strict=True):
                if url is None:
                    missing += 1
                elif data is None:
                    failed += 1
                else:
                    Image.objects.filter(pk=pk).update(kept_copy=save(sequence, key, data))
                    kept += 1
            if not LEASE.renew(job.pk, lock, kept=F("kept") + kept):
                raise LeaseLost
    return missing, failed


def save(sequence: Sequence, mapillary_key: str, data: bytes) -> str:
    """Store a photo's copy under its own name (replacing one a crashed run left)."""
    name = storage_name(sequence, mapillary_key)
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(data))


def fetch(url: str) -> bytes | None:
    """A photo's JPEG bytes from a signed link, or None when it could not be had."""
    data = fetch_photo(url, max_bytes=MAX_PHOTO_BYTES)
    # A JPEG starts with its SOI marker; anything else is not a photo to keep.
    return data if data is not None and data.startswith(b"\xff\xd8") else None


def _finish(
    job: KeepPhotosJob, lock: str, status: str, *, error: str = "", missing: int = 0
) -> str:
    updated = LEASE.release(
        job.pk,
        lock,
        status=status,
        missing=missing,
        last_error=error[:300],
        next_attempt_at=None,
        finished_at=timezone.now(),
    )
    if not updated:
        return "lost"
    logger.info("keeping photos of sequence %s: %s", job.sequence_id, status)
    return status


def _retry(job: KeepPhotosJob, lock: str, error: str, *, missing: int = 0) -> str:
    """Try again later, or give up after ``MAX_ATTEMPTS``."""
    job.refresh_from_db(fields=["attempts"])
    if job.attempts >= MAX_ATTEMPTS:
        return _finish(job, lock, KeepPhotosJob.Status.FAILED, error=error, missing=missing)
    run_after = timezone.now() + timedelta(seconds=backoff(job.attempts))
    updated = LEASE.release(
        job.pk, lock, missing=missing, last_error=error[:300], next_attempt_at=run_after
    )
    if not updated:
        return "lost"
    logger.warning(
        "keeping photos of sequence %s: %s; trying again at %s", job.sequence_id, error, run_after
    )
    return "retrying"


# Clearing up ----------------------------------------------------------------------------------


def forget_copies(sender, instance: Sequence, **kwargs) -> None:
    """After a sequence is deleted: delete its photos' copies (connected in apps.py)."""
    folder = f"{FOLDER}/{instance.unique_id}"
    try:
        _folders, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError, OSError):
        return
    for name in files:
        try:
            default_storage.delete(f"{folder}/{name}")
        except OSError:
            logger.warning("could not delete the kept copy %s/%s", folder, name)
