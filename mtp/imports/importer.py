"""The import itself: a Mapillary sequence becomes a published Map the Paths sequence.

``run_import`` runs one claimed ``ImportJob`` under its lease (``mtp.lib.jobs``):

1. ask Mapillary for the sequence's image ids, in capture order;
2. fetch their details in batches (several at a time) and, as they arrive, refuse the import
   if any image's ``creator`` is not the token's user, then upsert the images by Mapillary
   key in short transactions (at most ``WRITE_ROWS`` rows, written while the next batch is
   on its way) that also record progress and re-check the lease;
3. in one last transaction: delete the sequence's images Mapillary no longer lists, number
   the images by capture time, set the route (the LineString in that order, its geodesic
   length, capture start and end), pano and camera, and publish the sequence.

Every step can run again: a rerun after a crash upserts the same rows and ends in the
same state. The user's own fields (name, description, tags, transport type, links) are
never written here. A failed import leaves nothing of itself in a never-published
sequence, and a published sequence as it was.
"""

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from mtp.imports.image_upsert import first_taken_key, upsert_images
from mtp.imports.jobs import DELETE_CHUNK, fail
from mtp.imports.models import MAX_ATTEMPTS, ImportJob
from mtp.imports.tokens import TokenUnavailable, decrypt_token
from mtp.lib.dbavailability import is_database_unavailable, is_storage_full
from mtp.lib.geodesy import geodesic_m, path_length_m
from mtp.lib.jobs import Heartbeat, LeaseLost
from mtp.mapillary.client import MapillaryError, get_image_ids, get_me, iter_image_batches
from mtp.mapillary.schemas import ImageDetails
from mtp.sequences import keeper
from mtp.sequences.models import Image, Sequence, camera_ids
from mtp.webhooks.events import import_ended

logger = logging.getLogger(__name__)

# What Sequence.set_route sets.
ROUTE_FIELDS = [
    "geometry",
    "bbox_west",
    "bbox_south",
    "bbox_east",
    "bbox_north",
    "distance_m",
    "captured_at_start",
    "captured_at_end",
]
# Sequence columns an import writes: never the user's own fields.
SEQUENCE_FIELDS = [
    *ROUTE_FIELDS,
    "image_count",
    "is_pano",
    "camera_make",
    "camera_model",
    "status",
    "published_at",
    "updated_at",
]
MAX_URL_LENGTH = 2000
MAX_DIMENSION = 2**31 - 1
# Images are written in transactions of at most about this many rows: short locks.
WRITE_ROWS = 500
STORAGE_FULL = (
    "The server ran out of storage while importing this sequence, so nothing of the import "
    "was kept. Try again later."
)


class ImportRefused(Exception):
    """The import cannot succeed as asked; ``message`` tells the user why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Progress:
    """What an import has gathered so far: enough to build the route, not the images.

    The lists run in the order images were stored (Mapillary's order); ``capture_order``
    gives the order of capture times.
    """

    keys: list[str] = field(default_factory=list)
    points: list[tuple[float, float]] = field(default_factory=list)
    times: list[datetime | None] = field(default_factory=list)
    # Capture times in milliseconds; an image without one takes its predecessor's.
    sort_times: list[float] = field(default_factory=list)
    # Geodesic length of each step from one point to the next, measured as they arrive.
    steps_m: list[float] = field(default_factory=list)
    stored: set[str] = field(default_factory=set)
    added: set[str] = field(default_factory=set)
    cameras: Counter = field(default_factory=Counter)
    panos: int = 0
    missing: int = 0
    unplaced: int = 0
    done: int = 0

    def add(self, key: str, point: tuple[float, float], image: ImageDetails) -> None:
        if self.points:
            self.steps_m.append(geodesic_m(self.points[-1], point))
        self.keys.append(key)
        self.points.append(point)
        self.times.append(image.captured_at_datetime)
        if image.captured_at is not None and self.times[-1] is not None:
            self.sort_times.append(image.captured_at)
        else:
            self.sort_times.append(self.sort_times[-1] if self.sort_times else float("-inf"))

    def capture_order(self) -> list[int]:
        """Indexes into the lists, by capture time; Mapillary's order breaks ties.

        Mapillary lists a sequence's images in capture order, but a damaged image can sit
        out of place: sorting by time keeps the route from jumping back and forth.
        """
        return sorted(range(len(self.keys)), key=lambda index: (self.sort_times[index], index))

    def distance_m(self, order: list[int]) -> float:
        """The route's geodesic length in ``order``: the steps measured on arrival when the
        order is Mapillary's (the usual case), else measured again."""
        if all(position == index for position, index in enumerate(order)):
            # Summed as path_length_m sums, so the figure is the same to the last bit.
            return sum(self.steps_m)
        return path_length_m([self.points[index] for index in order])


def run_import(job: ImportJob) -> str:
    """Run the claimed job; return what happened (logged by the worker)."""
    if job.attempts > MAX_ATTEMPTS:
        fail(job, f"The import could not finish in {MAX_ATTEMPTS} attempts; try again later.")
        return "failed"
    logger.info("import %s: started (attempt %s) by %s", job.pk, job.attempts, job.lease_owner)
    heartbeat = Heartbeat(job)
    heartbeat.start()
    progress = Progress()
    try:
        _import(job, heartbeat, progress)
    except (ImportRefused, MapillaryError) as refusal:
        _fail(job, str(refusal), progress)
        return "failed"
    except TokenUnavailable as unavailable:
        _fail(job, f"{unavailable} Send the import again.", progress)
        return "failed"
    except (LeaseLost, KeyboardInterrupt, SystemExit):
        # The job's new worker has it, or this one is stopping (mtp.lib.jobs gives it back).
        raise
    except Exception as error:
        heartbeat.stop()
        if is_storage_full(error):
            return _fail_for_lack_of_storage(job, error, progress)
        if is_database_unavailable(error):
            return _give_back(job, error)
        logger.exception("import %s: unexpected error", job.pk)
        if not ImportJob.objects.filter(pk=job.pk).exists():
            return "gone"
        # Perhaps a passing database error: another attempt (bounded by MAX_ATTEMPTS) may work.
        job.release()
        return "retrying"
    finally:
        heartbeat.stop()
    logger.info(
        "import %s: published %s images of Mapillary sequence %s",
        job.pk,
        len(progress.stored),
        job.mapillary_sequence_key,
    )
    return "succeeded"


def _give_back(job: ImportJob, error: Exception) -> str:
    """The database failed mid-import (a restart, say): queue the job again once it answers.

    What was stored stays; the next attempt upserts it again. If the database does not answer
    within a lease, the lease runs out and any worker's recovery queues the job instead.
    """
    logger.warning("import %s: the database failed (%s); giving the job back", job.pk, error)
    deadline = time.monotonic() + job.lease_seconds()
    wait = 0.5
    while True:
        # A connection the database dropped stays broken: start afresh (a job never runs
        # inside a transaction, but a test may).
        if not connection.in_atomic_block:
            connection.close()
        try:
            job.release()
            return "retrying"
        except LeaseLost:
            return "lost"
        except DatabaseError as again:
            if not is_database_unavailable(again) or time.monotonic() + wait > deadline:
                logger.warning(
                    "import %s: could not give the job back (%s); it runs again once its "
                    "lease ends",
                    job.pk,
                    again,
                )
                return "interrupted"
        time.sleep(wait)
        wait = min(wait * 2, 5.0)


def _fail_for_lack_of_storage(job: ImportJob, error: Exception, progress: Progress) -> str:
    """The database is full: end the job as failed, keeping nothing of it (which frees room)."""
    logger.error("import %s: the database is full: %s", job.pk, error)
    try:
        _fail(job, STORAGE_FULL, progress)
    except DatabaseError as again:
        # Not even that fits: the lease runs out and the import is tried again later.
        logger.error("import %s: could not record the failure: %s", job.pk, again)
        return "interrupted"
    return "failed"


def _import(job: ImportJob, heartbeat: Heartbeat, progress: Progress) -> None:
    token = decrypt_token(job.token_ciphertext)
    key = job.mapillary_sequence_key
    if not job.mapillary_user_id:
        # Mapillary did not answer while the import was asked for: ask now, waiting it out.
        user = get_me(token)
        job.mapillary_user_id, job.mapillary_username = user.id, (user.username or "")[:100]
        job.renew(
            mapillary_user_id=job.mapillary_user_id, mapillary_username=job.mapillary_username
        )
    ids = list(dict.fromkeys(get_image_ids(token, key)))
    if not ids:
        raise ImportRefused(
            f"Mapillary has no images for sequence {key}. If you uploaded it recently, "
            "try again once Mapillary has processed it."
        )
    job.renew(progress_total=len(ids), progress_done=0)
    # The sequence's images before this run: a failed refresh removes only what it added.
    existing = set(Image.objects.filter(sequence_id=job.sequence_id).values_list("key", flat=True))
    cameras: dict[tuple[str, str], tuple[int | None, int | None]] = {}
    adapt_datetime = connection.ops.adapt_datetimefield_value
    rows: list[tuple] = []
    for batch in iter_image_batches(token, ids):
        if heartbeat.lost.is_set():
            raise LeaseLost
        for image in batch.images:
            _check_creator(job, image)
            location = image.location
            if location is None:
                progress.unplaced += 1
                continue
            make_id, model_id = _camera(cameras, image)
            captured_at = image.captured_at_datetime
            # The key, then image_upsert.IMAGE_FIELDS in order, the point as lon, lat.
            rows.append(
                (
                    image.id,
                    job.sequence_id,
                    len(progress.points),
                    location[0],
                    location[1],
                    adapt_datetime(captured_at) if captured_at else None,
                    image.heading,
                    make_id,
                    model_id,
                    image.panoramic,
                    _dimension(image.width),
                    _dimension(image.height),
                    image.altitude,
                    _url(image.thumb_256_url),
                    _url(image.thumb_1024_url),
                    _url(image.thumb_2048_url),
                    _url(image.thumb_original_url),
                )
            )
            progress.add(image.id, location, image)
            progress.panos += image.panoramic
            if make_id is not None:
                progress.cameras[(make_id, model_id)] += 1
        progress.missing += len(batch.requested) - len(batch.images)
        progress.done += len(batch.requested)
        # Write when enough rows wait, or now rather than sit idle until the next batch.
        if len(rows) >= WRITE_ROWS or (rows and not batch.next_ready):
            _store(job, rows, progress, existing)
            rows = []
    _store(job, rows, progress, existing)
    if not progress.points:
        raise ImportRefused(
            f"None of the images of Mapillary sequence {key} has a location, so there is no "
            "route to publish."
        )
    _publish(job, progress)


def _check_creator(job: ImportJob, image: ImageDetails) -> None:
    if image.creator is None:
        raise ImportRefused(
            f"Mapillary did not say who uploaded image {image.id}, so this server cannot check "
            "that the sequence is yours."
        )
    if image.creator.id != job.mapillary_user_id:
        uploader = image.creator.username or "another Mapillary user"
        you = job.mapillary_username or "the owner of the token"
        raise ImportRefused(
            f"Image {image.id} of Mapillary sequence {job.mapillary_sequence_key} was uploaded "
            f"by {uploader}, not by {you}. You can import only your own sequences."
        )


def _camera(
    cache: dict[tuple[str, str], tuple[int | None, int | None]], image: ImageDetails
) -> tuple[int | None, int | None]:
    """The ids of the image's camera make and model, created on first sight."""
    return camera_ids(cache, image.make or "", image.model or "")


def _dimension(value: int | None) -> int | None:
    return value if value is not None and 0 < value <= MAX_DIMENSION else None


def _url(value: str | None) -> str:
    if value and len(value) <= MAX_URL_LENGTH and value.startswith(("https://", "http://")):
        return value
    return ""


def _store(job: ImportJob, rows: list[tuple], progress: Progress, existing: set[str]) -> None:
    """Upsert images, record progress, and re-check the lease, all in one short transaction.

    ``rows`` are tuples of the Mapillary key then the values of ``image_upsert.IMAGE_FIELDS``
    in order (the point as lon, lat), as ``_import`` builds them.
    """
    keys = [row[0] for row in rows]
    with transaction.atomic():
        job.renew(progress_done=progress.done)
        if not rows:
            return
        with connection.cursor() as cursor:
            taken = first_taken_key(cursor, keys, job.sequence_id)
            if taken is not None:
                # Not naming the other sequence: it may be someone else's draft.
                raise ImportRefused(
                    f"Image {taken} is already part of another Map the Paths sequence, "
                    "and a Mapillary image can be in only one."
                )
            upsert_images(cursor, rows)
    progress.stored.update(keys)
    progress.added.update(key for key in keys if key not in existing)


def _note(progress: Progress) -> str:
    parts = []
    if progress.missing:
        parts.append(_left_out(progress.missing, "that Mapillary no longer shows"))
    if progress.unplaced:
        parts.append(_left_out(progress.unplaced, "without a location"))
    return " ".join(parts)


def _left_out(count: int, why: str) -> str:
    if count == 1:
        return f"1 image {why} was left out."
    return f"{count} images {why} were left out."


def _publish(job: ImportJob, progress: Progress) -> None:
    """Drop images Mapillary no longer lists, set the route, publish: one transaction."""
    order = progress.capture_order()
    # The route is worked out before the transaction, to keep the write lock short.
    route = Sequence()
    route.set_route(
        [progress.points[index] for index in order],
        [progress.times[index] for index in order],
        distance_m=progress.distance_m(order),
    )
    with transaction.atomic():
        # First the job: this both checks the lease and locks the job against a takeover.
        job.finish(note=_note(progress))
        sequence = Sequence.objects.select_for_update().get(pk=job.sequence_id)
        images = Image.objects.filter(sequence=sequence)
        # Every image stored by this run is the sequence's: more rows means stale ones.
        stale = []
        if images.count() > len(progress.stored):
            stale = [
                pk
                for pk, image_key in images.values_list("pk", "key")
                if image_key not in progress.stored
            ]
        for start in range(0, len(stale), DELETE_CHUNK):
            Image.objects.filter(pk__in=stale[start : start + DELETE_CHUNK]).delete()
        _renumber(job, progress, order)
        for name in ROUTE_FIELDS:
            setattr(sequence, name, getattr(route, name))
        sequence.image_count = len(progress.points)
        sequence.is_pano = progress.panos * 2 > len(progress.points)
        if progress.cameras:
            (make_id, model_id), _ = progress.cameras.most_common(1)[0]
        else:
            make_id = model_id = None
        sequence.camera_make_id, sequence.camera_model_id = make_id, model_id
        sequence.status = Sequence.Status.PUBLISHED
        sequence.published_at = sequence.published_at or timezone.now()
        sequence.save(update_fields=SEQUENCE_FIELDS)
        import_ended(job)
        # Copies of the photos are kept in the background, once this has committed.
        keeper.request(sequence)


def _renumber(job: ImportJob, progress: Progress, order: list[int]) -> None:
    """Give images their place in capture order, where it differs from Mapillary's order."""
    moved = {
        progress.keys[index]: position for position, index in enumerate(order) if position != index
    }
    keys = list(moved)
    for start in range(0, len(keys), DELETE_CHUNK):
        images = list(
            Image.objects.filter(
                sequence_id=job.sequence_id, key__in=keys[start : start + DELETE_CHUNK]
            ).only("pk", "key")
        )
        for image in images:
            image.position = moved[image.key]
        Image.objects.bulk_update(images, ["position"])


def _fail(job: ImportJob, message: str, progress: Progress) -> None:
    """End the job as failed with ``message``; undo what it stored, keep what was published."""
    fail(job, message, added=progress.added)
