"""Import jobs: one per hand-off of a Mapillary sequence to a Map the Paths sequence."""

from typing import Any

from django.db import models
from django.db.models import Q

from mtp.sequences.models import Sequence


class ImportJob(models.Model):
    """The state of one import, from queued to succeeded or failed.

    At most one job per sequence is active (queued or running) at a time; the
    database enforces it. The user's Mapillary token is kept only encrypted, and
    only while the job is active.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="import_jobs")
    mapillary_sequence_key = models.CharField(max_length=100)
    mapillary_user_id = models.CharField(max_length=100, blank=True)
    mapillary_username = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # Fernet ciphertext of the user's Mapillary token; emptied when the job ends.
    token_ciphertext = models.TextField(blank=True, editable=False)
    # Lease: the worker running the job renews it; an expired lease means the worker died.
    lease_owner = models.CharField(max_length=64, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The queued task (django-tasks-db) that runs the job, to tell a live task from a lost one.
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    # What the owner should know about a finished import (images left out, and why).
    note = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "lease_expires_at"], name="importjob_status_lease"),
            models.Index(fields=["sequence", "-created_at"], name="importjob_sequence_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["sequence"],
                condition=Q(status__in=["queued", "running"]),
                name="importjob_one_active_per_sequence",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="importjob_status_valid",
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
            "error": self.error or None,
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
