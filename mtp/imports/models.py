"""Import jobs: one per hand-off of a Mapillary sequence to a Map the Paths sequence."""

from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from mtp.lib.jobs import Job
from mtp.sequences.models import Sequence

# A job whose worker died this many times is failed rather than tried again.
MAX_ATTEMPTS = 5


class ImportJob(Job):
    """The state of one import, from queued to succeeded or failed (``mtp.lib.jobs``).

    At most one job per sequence is active (queued or running) at a time; the
    database enforces it. The user's Mapillary token is kept only encrypted, and
    only while the job is active. ``last_error`` is why it failed, for the user.
    """

    queue = "imports"
    priority = 0
    due_order = ("created_at", "id")

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="import_jobs")
    mapillary_sequence_key = models.CharField(max_length=100)
    mapillary_user_id = models.CharField(max_length=100, blank=True)
    mapillary_username = models.CharField(max_length=100, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    # Fernet ciphertext of the user's Mapillary token; emptied when the job ends.
    token_ciphertext = models.TextField(blank=True, editable=False)
    # What the owner should know about a finished import (images left out, and why).
    note = models.TextField(blank=True)

    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(Job.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "lease_expires_at"], name="importjob_status_lease"),
            models.Index(fields=["sequence", "-created_at"], name="importjob_sequence_created"),
        ]
        constraints = [
            *Job.Meta.constraints,
            models.UniqueConstraint(
                fields=["sequence"],
                condition=Q(status__in=["queued", "running"]),
                name="importjob_one_active_per_sequence",
            ),
            models.CheckConstraint(
                condition=Q(progress_done__lte=models.F("progress_total")),
                name="importjob_progress_within_total",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running"]) | Q(token_ciphertext=""),
                name="importjob_token_only_while_active",
            ),
        ]

    @classmethod
    def max_attempts(cls) -> int:
        """A job whose worker died this many times is failed rather than tried again."""
        return MAX_ATTEMPTS

    @classmethod
    def claim_changes(cls, now: datetime) -> dict[str, Any]:
        return {"started_at": Coalesce("started_at", now)}

    @classmethod
    def claimed_rows(cls) -> models.QuerySet["ImportJob"]:
        return cls.objects.select_related("sequence")

    def finish(self, **changes: Any) -> None:
        """Published: the token wiped, the progress complete."""
        super().finish(
            token_ciphertext="",
            finished_at=timezone.now(),
            progress_done=models.F("progress_total"),
            **changes,
        )

    def give_up(self, error: str, **changes: Any) -> None:
        """Failed: the token wiped. Call it in the transaction that undoes the attempt
        (``mtp.imports.jobs.fail``)."""
        super().give_up(
            error, token_ciphertext="", finished_at=timezone.now(), **{"note": "", **changes}
        )

    def __str__(self) -> str:
        return f"import {self.mapillary_sequence_key} -> {self.sequence_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def to_dict(self) -> dict[str, Any]:
        """The JSON of the import: the ``import`` of its sequence, and webhook events."""
        return {
            "status": self.status,
            "mapillary_sequence_key": self.mapillary_sequence_key,
            "progress": {"done": self.progress_done, "total": self.progress_total},
            "error": self.last_error or None,
            "note": self.note or None,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
        }


def latest_imports(sequence_ids: list[int]) -> dict[int, ImportJob]:
    """The most recent import job of each sequence, in one query."""
    latest: dict[int, ImportJob] = {}
    if not sequence_ids:
        return latest
    jobs = ImportJob.objects.filter(sequence_id__in=sequence_ids).order_by(
        "sequence_id", "-created_at", "-id"
    )
    for job in jobs.defer("token_ciphertext"):
        latest.setdefault(job.sequence_id, job)
    return latest
