"""Photos uploaded to this server: upload sets, their files, and the job that processes them.

An upload set gathers the photos a person sends in one go (a folder, with the Panoramax
command-line client). Each file is checked and stored as it arrives (``actions.add_file``);
once the set is completed its job (``ProcessUploadSet``) is due, and a worker turns its files
into sequences (``processing``).
"""

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from mtp.lib.jobs import Job
from mtp.sequences.models import Image, Sequence

TITLE_MAX_LENGTH = 200
FILE_NAME_MAX_LENGTH = 255


class UploadSet(models.Model):
    """Photos sent together, with how they become sequences (Panoramax's parameters)."""

    class Visibility(models.TextChoices):
        ANYONE = "anyone"
        OWNER_ONLY = "owner-only"
        LOGGED_ONLY = "logged-only"

    class SortMethod(models.TextChoices):
        FILENAME_ASC = "filename-asc"
        FILENAME_DESC = "filename-desc"
        TIME_ASC = "time-asc"
        TIME_DESC = "time-desc"

    class Status(models.TextChoices):
        OPEN = "open"  # taking files
        COMPLETED = "completed"  # no more files: waiting for a worker
        DISPATCHED = "dispatched"  # its sequences are made

    unique_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="upload_sets"
    )
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The OAuth application whose token made it.",
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    estimated_nb_files = models.PositiveIntegerField(null=True, blank=True)
    # How photos are cut into sequences: a gap longer than split_time seconds or split_distance
    # metres starts a new one (instance defaults in settings), unless no_split.
    split_distance = models.PositiveIntegerField()
    split_time = models.PositiveIntegerField()
    no_split = models.BooleanField(default=False)
    # Photos closer than duplicate_distance metres and duplicate_rotation degrees to the one
    # kept before them are dropped, unless no_deduplication.
    duplicate_distance = models.FloatField()
    duplicate_rotation = models.PositiveIntegerField()
    no_deduplication = models.BooleanField(default=False)
    sort_method = models.CharField(
        max_length=20, choices=SortMethod.choices, default=SortMethod.TIME_ASC
    )
    visibility = models.CharField(
        max_length=20, choices=Visibility.choices, default=Visibility.ANYONE
    )
    # Degrees to add to each photo's direction of travel when it has no heading of its own.
    relative_heading = models.IntegerField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Panoramax's semantic tags, [{"key": ..., "value": ...}]: they become the sequences' tags.
    semantics = models.JSONField(default=list, blank=True)
    # A draft (POST /api/v1/sequence/create) named in the metadata's mtp_sequence: the set's
    # first sequence publishes it instead of a new one.
    mtp_sequence = models.ForeignKey(
        Sequence, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sequences = models.ManyToManyField(Sequence, blank=True, related_name="upload_sets")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="uploadset_owner_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "completed", "dispatched"]),
                name="uploadset_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=["anyone", "owner-only", "logged-only"]),
                name="uploadset_visibility_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def completed(self) -> bool:
        return self.status != self.Status.OPEN

    def to_dict(self, *, counts: dict[str, int], sequence_ids: list[str]) -> dict[str, Any]:
        """The JSON Panoramax's clients read (``GET /api/upload_sets/<id>``). ``counts``: its
        files by status (``UploadFile.counts``); ``sequence_ids``: the sequences it became."""
        dispatched = self.status == self.Status.DISPATCHED
        return {
            "id": str(self.unique_id),
            "title": self.title,
            "created_at": self.created_at,
            "completed": self.completed,
            "dispatched": dispatched,
            # Every photo is processed before its sequence is made: dispatched is ready.
            "ready": dispatched,
            "sort_method": self.sort_method,
            "split_distance": self.split_distance,
            "split_time": self.split_time,
            "no_split": self.no_split,
            "duplicate_distance": self.duplicate_distance,
            "duplicate_rotation": self.duplicate_rotation,
            "no_deduplication": self.no_deduplication,
            "relative_heading": self.relative_heading,
            "visibility": self.visibility,
            "metadata": self.metadata,
            "semantics": self.semantics,
            "estimated_nb_files": self.estimated_nb_files,
            "nb_items": sum(counts.values()),
            "items_status": {
                "prepared": counts.get(UploadFile.Status.PREPARED, 0),
                "preparing": 0,
                "broken": counts.get(UploadFile.Status.BROKEN, 0),
                "not_processed": counts.get(UploadFile.Status.RECEIVED, 0),
                "duplicates": counts.get(UploadFile.Status.DUPLICATE, 0),
            },
            "associated_collections": [{"id": unique_id} for unique_id in sequence_ids],
            "mtp_sequence": (
                str(self.mtp_sequence.unique_id) if self.mtp_sequence is not None else None
            ),
        }


class UploadFile(models.Model):
    """One photo of an upload set: what was read of it when it arrived, and what became of it.

    Its original is stored as the ``hd`` file of ``picture_id`` (``mtp.sequences.hosted``) as
    soon as it is accepted; ``picture_id`` becomes the key of its Image.
    """

    class Status(models.TextChoices):
        RECEIVED = "received"  # stored, waiting for the worker
        PREPARED = "prepared"  # a photo of one of the set's sequences
        DUPLICATE = "duplicate"  # left out: too close to the photo before it
        BROKEN = "broken"  # its derivatives could not be made

    upload_set = models.ForeignKey(UploadSet, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=FILE_NAME_MAX_LENGTH)
    size = models.PositiveBigIntegerField()
    # The same content twice in a set is refused (409); md5 is what Panoramax's clients compare
    # to skip what the server holds when a folder is sent again.
    sha256 = models.CharField(max_length=64)
    md5 = models.CharField(max_length=32)
    picture_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    why = models.CharField(max_length=300, blank=True, help_text="Why it was left out.")
    image = models.OneToOneField(
        Image, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What was read of it (EXIF/XMP, or the uploader's overrides).
    lon = models.FloatField()
    lat = models.FloatField()
    captured_at = models.DateTimeField()
    heading = models.FloatField(null=True, blank=True)
    altitude = models.FloatField(null=True, blank=True)
    camera_make = models.CharField(max_length=100, blank=True)
    camera_model = models.CharField(max_length=100, blank=True)
    field_of_view = models.PositiveIntegerField(null=True, blank=True)
    is_pano = models.BooleanField(default=False)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    is_blurred = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["upload_set_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["upload_set", "sha256"], name="uploadfile_once_per_set"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["received", "prepared", "duplicate", "broken"]),
                name="uploadfile_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def to_dict(self) -> dict[str, Any]:
        """A file as Panoramax's clients list it (``GET /api/upload_sets/<id>/files``)."""
        data: dict[str, Any] = {
            "file_name": self.name,
            "content_md5": self.md5,
            "size": self.size,
            "picture_id": str(self.picture_id),
            "status": self.status,
            "inserted_at": self.created_at,
        }
        if self.status in (self.Status.DUPLICATE, self.Status.BROKEN):
            data["rejected"] = {"reason": self.status, "message": self.why}
        return data

    @staticmethod
    def counts(upload_set: UploadSet) -> dict[str, int]:
        rows = UploadFile.objects.filter(upload_set=upload_set).values("status")
        return {
            row["status"]: row["count"]
            for row in rows.annotate(count=models.Count("id")).order_by()
        }


class ProcessUploadSet(Job):
    """Turning a completed upload set into sequences (``mtp.uploads.processing``): its row is
    the job (``mtp.lib.jobs``), queued when the set is completed."""

    queue = "uploads"
    priority = 3

    upload_set = models.OneToOneField(UploadSet, on_delete=models.CASCADE, related_name="job")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(Job.Meta):
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="processupload_status_next")
        ]

    @classmethod
    def first_backoff_seconds(cls) -> float:
        return 30

    @classmethod
    def claimed_rows(cls):
        return cls._default_manager.select_related("upload_set")

    def __str__(self) -> str:
        return f"process upload set {self.upload_set_id} ({self.status})"


class CliTokenClaim(models.Model):
    """An access token made for ``panoramax_cli login`` (``POST /api/auth/tokens/generate``),
    which works once a signed-in person claims it on the site: the token is then theirs."""

    unique_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token = models.OneToOneField(
        settings.OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token claim {self.unique_id}"


class Transfer(Job):
    """A collection copied here from another instance (``POST /api/transfers``, what
    ``panoramax_cli migration`` asks of its destination): the worker reads the collection's
    items over STAC and takes each photo's original into the transfer's upload set, which then
    becomes one sequence, the draft made when the transfer was asked for
    (``mtp.uploads.transfers``). Its row is the job (``mtp.lib.jobs``)."""

    queue = "transfers"
    priority = 4

    unique_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="transfers"
    )
    source_url = models.URLField(max_length=500, help_text="The collection's STAC address.")
    upload_set = models.OneToOneField(UploadSet, on_delete=models.CASCADE, related_name="transfer")
    sequence = models.ForeignKey(
        Sequence, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nb_items_to_transfer = models.PositiveIntegerField(default=0)
    nb_transferred = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(Job.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="transfer_status_next"),
            models.Index(fields=["owner", "-created_at"], name="transfer_owner_created"),
        ]

    @classmethod
    def first_backoff_seconds(cls) -> float:
        return 30

    @classmethod
    def claimed_rows(cls):
        return cls._default_manager.select_related("upload_set", "sequence")

    def __str__(self) -> str:
        return f"transfer {self.unique_id} ({self.status})"

    # Panoramax's words for where a transfer stands, as its clients read them.
    STATUS_WORDS = {
        Job.Status.QUEUED: "pending",
        Job.Status.RUNNING: "running",
        Job.Status.SUCCEEDED: "finished",
        Job.Status.FAILED: "failed",
    }

    def to_dict(self, *, collection_ready: bool, collection_failed: bool) -> dict[str, Any]:
        """``GET /api/transfers/<id>``: where it stands, and its collection here, ``ready``
        once the photos are a published sequence. ``collection_failed``: making that sequence
        was given up, which ends the transfer as failed."""
        status = self.STATUS_WORDS[Job.Status(self.status)]
        if collection_failed:
            status = "failed"
        job = {
            "started_at": self.created_at,
            "finished_at": self.finished_at,
            "error": self.last_error or None,
        }
        return {
            "id": str(self.unique_id),
            "status": status,
            "collection_location": self.source_url,
            "collection": {
                "id": str(self.sequence.unique_id) if self.sequence is not None else None,
                "status": "ready" if collection_ready else "preparing",
                "nb_items_to_transfer": self.nb_items_to_transfer,
                "nb_transfered_items": self.nb_transferred,
            },
            "jobs": [job],
            "created_at": self.created_at,
        }
