"""Kept copies: a small (256 px) copy of every published photo, in Django's default storage.

They let photos show while Mapillary is unreachable, refuses the instance's token, or after it
has dropped a photo (``mtp.api.images`` serves them then).

When an import publishes a sequence, ``request`` (inside the publishing transaction) marks its
``KeepPhotosJob`` due; a worker (``mtp worker``, queue ``photos``) runs it after the import has
finished, never on its path. The job's row is its only record (``mtp.lib.jobs``). The worker
claims the job, then,
``MAPILLARY_BATCH_SIZE`` photos at a time: resolves their links (one Graph API call,
``mtp.sequences.photos``), fetches the 256 px photos ``MTP_KEEP_PHOTOS_CONCURRENCY`` at a
time, saves each and records it on its Image row, and renews the lease. Photos already kept
are skipped, so a job killed at any point and run again carries on where it stopped; one whose
worker died is due again once its lease has run out. A failed run is tried again later,
waiting longer each time. ``MTP_KEEP_PHOTOS=false`` turns it all off;
without ``MAPILLARY_CLIENT_TOKEN`` nothing is queued.
"""

import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F
from django.utils import timezone

from mtp.mapillary.client import fetch_photo
from mtp.sequences.models import Image, KeepPhotosJob, Sequence
from mtp.sequences.photos import PhotoUnavailable, photos_available, resolve

logger = logging.getLogger(__name__)

SIZE = "256"
FOLDER = "photos/256"
# A 256 px photo is some kilobytes; anything far larger is not one.
MAX_PHOTO_BYTES = 4 * 1024 * 1024


def storage_name(sequence: Sequence, mapillary_key: str) -> str:
    return f"{FOLDER}/{sequence.unique_id}/{mapillary_key}.jpg"


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
            "status": KeepPhotosJob.Status.QUEUED,
            "attempts": 0,
            "last_error": "",
            "next_attempt_at": timezone.now(),
            "lease_owner": "",
            "lease_expires_at": None,
            "finished_at": None,
        },
    )
    return job


# Running --------------------------------------------------------------------------------------


def run(job: KeepPhotosJob) -> str:
    """Keep the photos of the claimed job's sequence; return what happened."""
    sequence = job.sequence
    if not sequence.is_public:
        return _finish(job, error="The sequence is not public.")
    try:
        missing, failed = _keep(job, sequence)
    except PhotoUnavailable as unavailable:
        return _retry(job, unavailable.message)
    if failed:
        return _retry(job, f"{failed} photos could not be fetched.", missing=missing)
    return _finish(job, missing=missing)


def _keep(job: KeepPhotosJob, sequence: Sequence) -> tuple[int, int]:
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
            job.renew(kept=F("kept") + kept)
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


def _finish(job: KeepPhotosJob, *, error: str = "", missing: int = 0) -> str:
    job.finish(missing=missing, last_error=error[:300])
    logger.info("keeping photos of sequence %s: %s", job.sequence_id, job.status)
    return job.status


def _retry(job: KeepPhotosJob, error: str, *, missing: int = 0) -> str:
    """Try again later, or give up after ``max_attempts``."""
    outcome = job.retry(error[:300], missing=missing)
    if outcome == "failed":
        return outcome
    logger.warning(
        "keeping photos of sequence %s: %s; trying again at %s",
        job.sequence_id,
        error,
        job.next_attempt_at,
    )
    return outcome


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
