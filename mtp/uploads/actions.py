"""Writes of uploads: upload sets, their files, completing a set, transfers from other
instances, and the tokens of ``panoramax_cli login``. Views parse and call these; each checks
its rules and writes all or nothing."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model, set_token_value

from mtp.lib import outbound
from mtp.lib.text import kept_lines, one_line
from mtp.sequences import hosted
from mtp.sequences.actions import create_sequence
from mtp.sequences.models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, Sequence
from mtp.uploads.derivatives import save
from mtp.uploads.exif import Overrides, PhotoRefused, read_tags
from mtp.uploads.models import (
    FILE_NAME_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    CliTokenClaim,
    ProcessUploadSet,
    Transfer,
    UploadFile,
    UploadSet,
)
from mtp.uploads.processing import default_transport_type

AccessToken = get_access_token_model()
Application = get_application_model()

# The application that ``panoramax_cli login`` tokens belong to, made on first use: people see
# it by this name on their settings page, beside the apps they authorized.
CLI_APPLICATION_NAME = "Panoramax command-line client"
# An unclaimed token is forgotten after this long; a claimed one lasts as the uploader's do.
CLAIM_DAYS = 1
TOKEN_DAYS = 3650


class UploadRefused(ValueError):
    """A request about uploads that cannot be done; ``status`` is its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _not_found() -> UploadRefused:
    # Another person's upload set is answered as one that does not exist.
    return UploadRefused(404, "No upload set with this id.")


# Upload sets -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetParameters:
    """What a person may say about an upload set when making it (Panoramax's fields)."""

    title: str
    estimated_nb_files: int | None = None
    split_distance: int | None = None
    split_time: int | None = None
    no_split: bool = False
    duplicate_distance: float | None = None
    duplicate_rotation: int | None = None
    no_deduplication: bool = False
    sort_method: str = UploadSet.SortMethod.TIME_ASC
    visibility: str = UploadSet.Visibility.ANYONE
    relative_heading: int | None = None
    metadata: dict[str, Any] | None = None
    semantics: list[dict[str, str]] | None = None


def create_upload_set(owner, application, parameters: SetParameters) -> UploadSet:
    """A new open upload set of ``owner``; ``UploadRefused`` (400, 404) for a parameter this
    server cannot honour or a draft that is not the owner's."""
    if parameters.visibility == UploadSet.Visibility.LOGGED_ONLY:
        raise UploadRefused(
            400,
            "visibility: this server does not offer logged-only; choose anyone or owner-only.",
        )
    metadata = parameters.metadata or {}
    draft = _named_draft(owner, metadata.get("mtp_sequence"))
    upload_set = UploadSet(
        owner=owner,
        application=application,
        title=parameters.title.strip()[:TITLE_MAX_LENGTH] or "Upload",
        estimated_nb_files=parameters.estimated_nb_files,
        split_distance=_or(parameters.split_distance, settings.MTP_UPLOAD_SPLIT_DISTANCE),
        split_time=_or(parameters.split_time, settings.MTP_UPLOAD_SPLIT_TIME),
        no_split=parameters.no_split,
        duplicate_distance=_or(
            parameters.duplicate_distance, settings.MTP_UPLOAD_DUPLICATE_DISTANCE
        ),
        duplicate_rotation=_or(
            parameters.duplicate_rotation, settings.MTP_UPLOAD_DUPLICATE_ROTATION
        ),
        no_deduplication=parameters.no_deduplication,
        sort_method=parameters.sort_method,
        visibility=parameters.visibility,
        relative_heading=parameters.relative_heading,
        metadata=metadata,
        semantics=parameters.semantics or [],
        mtp_sequence=draft,
    )
    try:
        upload_set.full_clean(exclude=["owner", "application", "mtp_sequence"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise UploadRefused(400, f"{field}: {' '.join(messages)}") from None
    upload_set.save()
    return upload_set


def _or(value, default):
    return default if value is None else value


def _named_draft(owner, value: object) -> Sequence | None:
    """The owner's draft named by the metadata's ``mtp_sequence``, or None when none is named."""
    if value is None or value == "":
        return None
    try:
        unique_id = uuid.UUID(str(value))
    except ValueError:
        raise UploadRefused(400, "metadata.mtp_sequence: give the unique_id of a draft.") from None
    draft = Sequence.objects.filter(unique_id=unique_id, owner=owner).first()
    if draft is None:
        raise UploadRefused(404, "metadata.mtp_sequence: you have no sequence with this id.")
    if draft.status == Sequence.Status.PUBLISHED:
        raise UploadRefused(
            409, "metadata.mtp_sequence: this sequence is published already; name a draft."
        )
    return draft


def owned_upload_set(owner, unique_id: str) -> UploadSet:
    """The upload set ``unique_id`` of ``owner``; a 404 for anyone else's or none."""
    try:
        parsed = uuid.UUID(unique_id)
    except ValueError:
        raise _not_found() from None
    upload_set = UploadSet.objects.filter(unique_id=parsed, owner=owner).first()
    if upload_set is None:
        raise _not_found()
    return upload_set


# Files -----------------------------------------------------------------------------------------


def add_file(
    upload_set: UploadSet,
    name: str,
    data: bytes,
    *,
    overrides: Overrides | None = None,
    is_blurred: bool = False,
) -> UploadFile:
    """Take one photo into an open upload set: check it, store its original, record it.

    ``UploadRefused``: 409 for a set already completed or a file it holds already, 413 over
    ``MTP_MAX_PHOTO_BYTES``, 400 for a photo without position or time, or not a whole JPEG.
    Nothing is kept of a refused photo.
    """
    if upload_set.completed:
        raise UploadRefused(409, "This upload set is completed: it takes no more files.")
    if len(data) > settings.MTP_MAX_PHOTO_BYTES:
        raise UploadRefused(
            413, f"The photo is over the limit of {settings.MTP_MAX_PHOTO_BYTES} bytes."
        )
    sha256 = hashlib.sha256(data).hexdigest()
    if UploadFile.objects.filter(upload_set=upload_set, sha256=sha256).exists():
        raise _same_file()
    try:
        tags = read_tags(data, overrides or Overrides())
    except PhotoRefused as refused:
        raise UploadRefused(400, str(refused)) from None
    upload_file = UploadFile(
        upload_set=upload_set,
        name=name[-FILE_NAME_MAX_LENGTH:],
        size=len(data),
        sha256=sha256,
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        lon=tags.lon,
        lat=tags.lat,
        captured_at=tags.captured_at,
        heading=tags.heading,
        altitude=tags.altitude,
        camera_make=tags.camera_make,
        camera_model=tags.camera_model,
        field_of_view=tags.field_of_view,
        is_pano=tags.is_pano,
        width=tags.width,
        height=tags.height,
        is_blurred=is_blurred,
    )
    original = hosted.file_name(str(upload_file.picture_id), "hd")
    save(original, data)
    try:
        with transaction.atomic():
            # The set may have been completed while the photo was read.
            locked = UploadSet.objects.select_for_update().get(pk=upload_set.pk)
            if locked.completed:
                raise UploadRefused(409, "This upload set is completed: it takes no more files.")
            upload_file.save()
    except IntegrityError:
        hosted.delete_files(str(upload_file.picture_id))
        raise _same_file() from None
    except BaseException:
        hosted.delete_files(str(upload_file.picture_id))
        raise
    return upload_file


def _same_file() -> UploadRefused:
    return UploadRefused(409, "This upload set holds this file already.")


def complete(upload_set: UploadSet) -> UploadSet:
    """No more files: the set's processing job becomes due (completing twice changes nothing)."""
    with transaction.atomic():
        locked = UploadSet.objects.select_for_update().get(pk=upload_set.pk)
        if not locked.completed:
            locked.status = UploadSet.Status.COMPLETED
            locked.completed_at = timezone.now()
            locked.save(update_fields=["status", "completed_at", "updated_at"])
            ProcessUploadSet.objects.update_or_create(
                upload_set=locked,
                defaults={
                    "status": ProcessUploadSet.Status.QUEUED,
                    "attempts": 0,
                    "last_error": "",
                    "next_attempt_at": timezone.now(),
                },
            )
    return locked


# Transfers from other instances ----------------------------------------------------------------

# Transfers of one person waiting or running at once; more are refused until some end.
MAX_ACTIVE_TRANSFERS = 5


def transfer_policy() -> outbound.Policy:
    """Where a transfer may read a collection and its photos (``mtp.lib.outbound``)."""
    return outbound.Policy(
        what="A collection's address",
        allow_http=settings.TRANSFER_ALLOW_HTTP,
        allow_private=settings.TRANSFER_ALLOW_PRIVATE,
    )


def start_transfer(owner, application, collection_location: str) -> Transfer:
    """Copy the collection at ``collection_location`` (another instance's STAC address) here:
    a draft to become its sequence, an upload set to take its photos whole (no split, no
    deduplication), and the job that reads it. ``UploadRefused``: 400 for an address this
    server will not read, 429 with too many transfers under way."""
    try:
        target = outbound.resolve(collection_location, transfer_policy())
    except outbound.UnsafeTarget as unsafe:
        raise UploadRefused(400, f"collection_location: {unsafe.message}") from None
    active = Transfer.objects.filter(owner=owner, status__in=Transfer.ACTIVE).count()
    if active >= MAX_ACTIVE_TRANSFERS:
        raise UploadRefused(
            429, f"You have {active} transfers under way; start another when one has ended."
        )
    title = f"Transfer from {target.host}"
    with transaction.atomic():
        draft = create_sequence(
            owner,
            name=title,
            description="",
            transport_type_id=default_transport_type(owner.pk, None).pk,
            source="upload",
            tags=[],
            application=application,
        )
        upload_set = create_upload_set(
            owner,
            application,
            SetParameters(
                title=title,
                no_split=True,
                no_deduplication=True,
                metadata={"mtp_sequence": str(draft.unique_id)},
            ),
        )
        return Transfer.objects.create(
            owner=owner,
            source_url=collection_location,
            upload_set=upload_set,
            sequence=draft,
            next_attempt_at=timezone.now(),
        )


def owned_transfer(owner, unique_id: str) -> Transfer:
    """The transfer ``unique_id`` of ``owner``; a 404 for anyone else's or none."""
    try:
        parsed = uuid.UUID(unique_id)
    except ValueError:
        parsed = None
    found = (
        Transfer.objects.select_related("sequence", "upload_set__job")
        .filter(unique_id=parsed, owner=owner)
        .first()
        if parsed is not None
        else None
    )
    if found is None:
        raise UploadRefused(404, "No transfer with this id.")
    return found


def name_transferred_draft(transfer: Transfer, name: str, description: str) -> None:
    """Give the transfer's draft the collection's own title and description (while it is one)."""
    if transfer.sequence_id is None or not one_line(name):
        return
    Sequence.objects.filter(pk=transfer.sequence_id, status=Sequence.Status.DRAFT).update(
        name=one_line(name)[:NAME_MAX_LENGTH].strip(),
        description=kept_lines(description)[:DESCRIPTION_MAX_LENGTH].strip(),
    )


# Tokens of ``panoramax_cli login`` -----------------------------------------------------------


def cli_application():
    """The application the command-line client's tokens belong to, made on first use."""
    application = Application.objects.filter(name=CLI_APPLICATION_NAME, user=None).first()
    if application is None:
        application = Application.objects.create(
            name=CLI_APPLICATION_NAME,
            user=None,
            client_type=Application.CLIENT_PUBLIC,
            authorization_grant_type=Application.GRANT_DEVICE_CODE,
        )
    return application


def generate_cli_token() -> tuple[CliTokenClaim, str]:
    """A token without a user, and its claim: it works once someone claims it. Returns the
    claim and the token's raw value (shown once, to the client that asked)."""
    raw = secrets.token_urlsafe(32)
    token = AccessToken(
        user=None,
        application=cli_application(),
        expires=timezone.now() + timedelta(days=CLAIM_DAYS),
        scope="read write",
    )
    set_token_value(token, raw)
    with transaction.atomic():
        token.save()
        claim = CliTokenClaim.objects.create(token=token)
    return claim, raw


def pending_claim(unique_id: str) -> CliTokenClaim | None:
    """The claim ``unique_id`` while it can still be claimed, or None."""
    try:
        parsed = uuid.UUID(unique_id)
    except ValueError:
        return None
    return (
        CliTokenClaim.objects.select_related("token", "token__application")
        .filter(
            unique_id=parsed,
            claimed_at__isnull=True,
            token__user__isnull=True,
            token__expires__gt=timezone.now(),
        )
        .first()
    )


def claim_cli_token(claim: CliTokenClaim, user) -> bool:
    """Give the claim's token to ``user``; False when it was claimed (or expired) meanwhile."""
    now = timezone.now()
    with transaction.atomic():
        claimed = CliTokenClaim.objects.filter(pk=claim.pk, claimed_at__isnull=True).update(
            claimed_at=now
        )
        if not claimed:
            return False
        updated = AccessToken.objects.filter(
            pk=claim.token_id, user__isnull=True, expires__gt=now
        ).update(user=user, expires=now + timedelta(days=TOKEN_DAYS))
        if not updated:
            transaction.set_rollback(True)
            return False
    return True
