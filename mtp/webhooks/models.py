"""Webhook deliveries: one per event sent to an application, with a row per attempt."""

import uuid

from django.conf import settings
from django.db import models

from mtp.lib.jobs import Job


class WebhookDelivery(Job):
    """One event for one application, from the moment it happened until it was delivered
    (a 2xx reply) or given up on after ``WEBHOOK_MAX_ATTEMPTS`` attempts (``mtp.lib.jobs``).

    ``body`` is the exact JSON sent, the same bytes on every attempt. An attempt in flight
    holds the job's lease, so two workers never send the same delivery at once.
    """

    queue = "webhooks"
    priority = 1
    max_backoff_seconds = 4 * 3600

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_deliveries",
    )
    event_type = models.CharField(max_length=50)
    body = models.TextField(help_text="The event's JSON, as sent.")
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta(Job.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["application", "-created_at"], name="webhook_app_created"),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_status_next"),
        ]

    @classmethod
    def lease_seconds(cls) -> float:
        """Longer than any attempt can take: a few addresses, each with the full timeout."""
        return max(super().lease_seconds(), settings.WEBHOOK_TIMEOUT * 4 + 30)

    @classmethod
    def max_attempts(cls) -> int:
        return settings.WEBHOOK_MAX_ATTEMPTS

    @classmethod
    def first_backoff_seconds(cls) -> float:
        return settings.WEBHOOK_BACKOFF

    @classmethod
    def claimed_rows(cls) -> models.QuerySet["WebhookDelivery"]:
        return cls.objects.select_related("application")

    @property
    def history_status(self) -> str:
        """The delivery's state as its history shows it: pending until it has ended."""
        return "pending" if self.status in self.ACTIVE else self.status

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.status})"


class WebhookAttempt(models.Model):
    """What happened when one delivery was tried once: the reply's status, or the error."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveIntegerField()
    url = models.CharField(max_length=500)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    # The start of the reply's body, to help the developer see what their server said.
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhookattempt_unique"),
        ]

    def __str__(self) -> str:
        outcome = self.status_code or self.error or "?"
        return f"attempt {self.number} of {self.delivery_id}: {outcome}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
