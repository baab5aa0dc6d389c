"""Import jobs: handing a Mapillary sequence to the workers, and how a job ends in failure.

``request_import`` is what ``mtp.imports.actions.start_import`` calls once the caller's
checks have passed. It records a queued ``ImportJob`` holding the user's token encrypted and
marks the sequence as importing, in one transaction. The job's row is its only record: a
worker (``mtp worker``) finds it queued and takes it under a lease (``mtp.lib.jobs``);
``fail`` ends one, undoing what it stored.

Repeats: the MTP Desktop Uploader may send the same import many times (it polls).
- While a job for the sequence is queued or running, the same key returns that job;
  another key is refused (``ImportInProgress``).
- After a successful import, the same key within ``IMPORT_REFRESH_COOLDOWN`` seconds
  (``MTP_IMPORT_COOLDOWN``, default an hour) returns the finished job and fetches nothing;
  after it, or with ``force=True``, it refreshes the sequence's images and route from
  Mapillary. The sequence stays published while it refreshes.
- After a failed import, the same or another key starts a new job.
- A key is bound to one sequence: a key another person's sequence holds is refused
  (``KeyAlreadyImported``), and a published sequence keeps the key it was imported from
  (``KeyMismatch`` for another). A key another sequence of the same person holds (a resumed
  upload made a second draft) is not refused: the draft joins that sequence
  (``merge_into``), whose import the request then answers with.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from mtp.imports.models import ImportJob
from mtp.imports.notify import send_failure_email
from mtp.imports.tokens import encrypt_token
from mtp.lib.jobs import LeaseLost
from mtp.mapillary.client import MapillaryError, check_key, check_token
from mtp.mapillary.schemas import MapillaryUser
from mtp.sequences.models import Image, Sequence, SequenceAlias, merge_into
from mtp.webhooks.events import import_ended

logger = logging.getLogger(__name__)

# Images are deleted in chunks, well under every database's parameter limit.
DELETE_CHUNK = 500


class ImportRequestError(Exception):
    """An import that cannot be started; ``message`` is fit for the user.

    ``http_status`` is the status the API answers with.
    """

    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidImportRequest(ImportRequestError):
    """The key or the token is malformed."""


class KeyAlreadyImported(ImportRequestError):
    """Another sequence was imported from this Mapillary sequence key."""

    http_status = 409


class ImportInProgress(ImportRequestError):
    """An import of another key is queued or running for this sequence."""

    http_status = 409


class KeyMismatch(ImportRequestError):
    """The sequence was published from another Mapillary sequence key."""

    http_status = 409


def request_import(
    sequence: Sequence,
    *,
    mapillary_sequence_key: str,
    token: str,
    mapillary_user: MapillaryUser | None,
    force: bool = False,
) -> tuple[ImportJob, bool]:
    """Start importing a Mapillary sequence into ``sequence``; return the job and whether it is new.

    The caller has checked that the user owns ``sequence`` and asked Mapillary whose token it
    is (``mapillary_user``, from ``get_me``; None when Mapillary did not answer, and the worker
    asks). Idempotent: see the module docstring for what a repeated request does. Raises an
    ``ImportRequestError`` when the import cannot start.
    """
    key = (mapillary_sequence_key or "").strip()
    try:
        check_key(key)
        check_token(token)
    except MapillaryError as error:
        raise InvalidImportRequest(error.message) from None
    try:
        with transaction.atomic():
            job, created = _request_import(sequence, key, token, mapillary_user, force)
    except IntegrityError:
        # A concurrent request got there first (it took the key, or started an import of
        # this sequence): decide again, as if it had come before this one.
        with transaction.atomic():
            job, created = _request_import(sequence, key, token, mapillary_user, force)
    if job.sequence_id == sequence.pk:
        fresh = Sequence.objects.only("status", "mapillary_sequence_key").get(pk=sequence.pk)
        sequence.status = fresh.status
        sequence.mapillary_sequence_key = fresh.mapillary_sequence_key
    if created:
        logger.info(
            "import %s queued: Mapillary sequence %s into sequence %s",
            job.pk,
            key,
            sequence.unique_id,
        )
    return job, created


def _key_taken(key: str) -> KeyAlreadyImported:
    return KeyAlreadyImported(
        f"The Mapillary sequence {key} is already imported into another Map the Paths sequence."
    )


def _in_progress(job: ImportJob) -> ImportInProgress:
    return ImportInProgress(
        f"This sequence is already importing Mapillary sequence {job.mapillary_sequence_key}; "
        "wait until it finishes."
    )


def repeated_import(sequence: Sequence, key: str, *, force: bool = False) -> ImportJob | None:
    """The job a request to import ``key`` into ``sequence`` would answer with, changing
    nothing: the import of that key queued or running, or (unless ``force``) its successful
    import within the cooldown. None when the request would start something, or fail."""
    active = ImportJob.objects.filter(sequence=sequence, status__in=ImportJob.ACTIVE).first()
    if active is not None:
        return active if active.mapillary_sequence_key == key else None
    if force or sequence.status != Sequence.Status.PUBLISHED:
        return None
    if sequence.mapillary_sequence_key != key:
        return None
    return (
        ImportJob.objects.filter(
            sequence=sequence,
            mapillary_sequence_key=key,
            status=ImportJob.Status.SUCCEEDED,
            finished_at__gte=timezone.now() - timedelta(seconds=settings.IMPORT_REFRESH_COOLDOWN),
        )
        .order_by("-finished_at")
        .first()
    )


def import_refusal(sequence: Sequence, key: str) -> ImportRequestError | None:
    """Why importing ``key`` into ``sequence`` cannot start (unless ``repeated_import`` finds
    it already done), as far as this database tells; None when it may."""
    active = ImportJob.objects.filter(sequence=sequence, status__in=ImportJob.ACTIVE).first()
    if active is not None and active.mapillary_sequence_key != key:
        return _in_progress(active)
    held = sequence.mapillary_sequence_key
    if sequence.status == Sequence.Status.PUBLISHED and held and held != key:
        return KeyMismatch(
            f"This sequence was imported from Mapillary sequence {held}; "
            "create a new sequence for another one."
        )
    holders = Sequence.objects.filter(mapillary_sequence_key=key).exclude(pk=sequence.pk)
    if holders.exclude(owner_id=sequence.owner_id).exists():
        return _key_taken(key)
    return None


def new_sequence_refusal(owner_id: int, key: str) -> ImportRequestError | None:
    """Why a new sequence of the user ``owner_id`` cannot import ``key``, as far as this
    database tells (``import_refusal`` for a sequence not created yet); None when it may."""
    if Sequence.objects.filter(mapillary_sequence_key=key).exclude(owner_id=owner_id).exists():
        return _key_taken(key)
    return None


def _request_import(
    sequence: Sequence, key: str, token: str, mapillary_user: MapillaryUser | None, force: bool
) -> tuple[ImportJob, bool]:
    # Lock the sequence: concurrent requests for it queue up here (SQLite's IMMEDIATE
    # transactions already serialise writers).
    locked = Sequence.objects.select_for_update().filter(pk=sequence.pk).first()
    if locked is None:
        # Merged into another sequence (or deleted) by a request that came just before.
        alias = SequenceAlias.objects.filter(unique_id=sequence.unique_id).first()
        if alias is None:
            raise ImportRequestError("This sequence no longer exists.")
        return _request_import(alias.sequence, key, token, mapillary_user, force)
    repeated = repeated_import(locked, key, force=force)
    if repeated is not None:
        return repeated, False
    refusal = import_refusal(locked, key)
    if refusal is not None:
        raise refusal
    published = locked.status == Sequence.Status.PUBLISHED
    holder = Sequence.objects.filter(mapillary_sequence_key=key).exclude(pk=locked.pk).first()
    if holder is not None:
        # The same person's other draft of this Mapillary sequence (a resumed upload, a
        # retry): this one joins it, which keeps its images and import.
        return _join(locked, holder, key, token, mapillary_user, force)
    job = ImportJob.objects.create(
        sequence=locked,
        mapillary_sequence_key=key,
        # Unknown when Mapillary did not answer in time: the worker asks it first.
        mapillary_user_id=mapillary_user.id if mapillary_user else "",
        mapillary_username=((mapillary_user.username if mapillary_user else "") or "")[:100],
        token_ciphertext=encrypt_token(token),
    )
    locked.mapillary_sequence_key = key
    update_fields = ["mapillary_sequence_key", "updated_at"]
    if not published:
        locked.status = Sequence.Status.IMPORTING
        update_fields.append("status")
    locked.save(update_fields=update_fields)
    return job, True


def _join(
    duplicate: Sequence,
    holder: Sequence,
    key: str,
    token: str,
    mapillary_user: MapillaryUser | None,
    force: bool,
) -> tuple[ImportJob, bool]:
    """Merge ``duplicate`` (locked, never published, not importing) into ``holder``, the
    same owner's sequence holding ``key``; then import into ``holder`` as asked.

    Locks are taken in one order, the duplicate first: a holder is importing or published
    with the key, so it is never itself a duplicate, and two requests cannot wait on each
    other.
    """
    holder = Sequence.objects.select_for_update().get(pk=holder.pk)
    merge_into(duplicate, holder)
    logger.info(
        "sequence %s joined sequence %s (Mapillary sequence %s)",
        duplicate.unique_id,
        holder.unique_id,
        key,
    )
    return _request_import(holder, key, token, mapillary_user, force)


def fail(job: ImportJob, message: str, *, added: Iterable[str] = ()) -> bool:
    """End the claimed job as failed with ``message``, if its lease is still held; return
    whether it was.

    Undoes what the attempt stored and keeps what was published: a sequence never published
    loses every image and is marked failed; a published one (a refresh) loses only the images
    this attempt ``added``. One transaction, with the event for the app that created it.
    """
    try:
        with transaction.atomic():
            _fail(job, message, added)
    except LeaseLost:
        return False
    return True


def _fail(job: ImportJob, message: str, added: Iterable[str]) -> None:
    job.give_up(message)
    sequence = Sequence.objects.select_for_update().filter(pk=job.sequence_id).first()
    if sequence is None:
        return
    if sequence.status == Sequence.Status.PUBLISHED:
        # A refresh that failed: the published sequence stays as it was, without the
        # images this attempt added.
        keys = sorted(added)
        for start in range(0, len(keys), DELETE_CHUNK):
            Image.objects.filter(
                sequence=sequence, mapillary_key__in=keys[start : start + DELETE_CHUNK]
            ).delete()
    else:
        # Never published: nothing of the attempt stays, and the key is free again for
        # whoever owns it.
        Image.objects.filter(sequence=sequence).delete()
        sequence.status = Sequence.Status.FAILED
        if sequence.mapillary_sequence_key == job.mapillary_sequence_key:
            sequence.mapillary_sequence_key = None
        sequence.save(update_fields=["status", "mapillary_sequence_key", "updated_at"])
    import_ended(job)
    # Once the failure is recorded, and only then: one e-mail per failed job.
    transaction.on_commit(lambda: send_failure_email(job.pk))
