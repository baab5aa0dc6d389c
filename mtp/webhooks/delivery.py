"""Sending a webhook delivery: one attempt per task, retried with backoff from the queue.

``attempt`` takes the delivery's lease with a conditional UPDATE, POSTs the event with
short timeouts and no redirects followed, records the outcome in a ``WebhookAttempt``, and
either marks the delivery done or queues the next attempt ``backoff(n)`` seconds later
(the task's ``run_after``). No database transaction is open while the request is in flight.

A worker that dies mid-attempt leaves a delivery whose lease runs out and whose task never
finishes: ``recover_stale_deliveries`` (run periodically by every ``mtp worker``) queues it
again. Delivery is therefore at least once: receivers tell repeats by ``MTP-Event-Id``.
"""

import logging
import random
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.models import DBTaskResult

from mtp.developers.webhook_secrets import SIGNATURE_HEADER, signature_header, webhook_secret
from mtp.developers.webhook_urls import UnsafeTarget, resolve
from mtp.webhooks.models import WebhookAttempt, WebhookDelivery

logger = logging.getLogger(__name__)

# The longest wait between two attempts, however many came before.
MAX_BACKOFF_SECONDS = 4 * 3600
# How much of a reply's body is kept for the delivery history.
EXCERPT_BYTES = 500
# A delivery whose next attempt is this late, with no live task, has lost its task.
RECOVERY_GRACE = timedelta(seconds=60)


@dataclass
class Outcome:
    """What one attempt came to: a reply's status, or an error message."""

    url: str
    started_at: datetime
    duration_ms: int = 0
    status_code: int | None = None
    error: str = ""
    excerpt: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): the first wait is
    ``WEBHOOK_BACKOFF``, each next one twice as long up to four hours, all +-20% at random
    so that many deliveries to one server do not come back in step."""
    wait = min(settings.WEBHOOK_BACKOFF * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
    return wait * random.uniform(0.8, 1.2)


def lease_duration() -> timedelta:
    """Longer than any attempt can take: a few addresses, each with the full timeout."""
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT * 4 + 30)


def schedule(delivery: WebhookDelivery, run_after: datetime | None = None) -> None:
    """Queue the task for the delivery's next attempt; its only argument is the id."""
    from mtp.webhooks.tasks import deliver

    task = deliver if run_after is None else deliver.using(run_after=run_after)
    result = task.enqueue(delivery.pk)
    delivery.task_id = str(result.id)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(task_id=delivery.task_id)


def attempt(delivery_id: int) -> str:
    """Try the delivery once if it is due and no one else is trying it; return what happened."""
    now = timezone.now()
    lock = get_random_string(16)
    claimed = WebhookDelivery.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        pk=delivery_id,
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at__lte=now,
    ).update(
        lock=lock,
        locked_until=now + lease_duration(),
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("application").get(pk=delivery_id)
    application = delivery.application
    if not application.webhook_url or not application.is_active:
        outcome = Outcome(
            url=application.webhook_url,
            started_at=now,
            error="The application has no webhook URL any more, or was disabled.",
        )
        return _record(delivery, lock, outcome, give_up=True)
    outcome = send(delivery, application.webhook_url, webhook_secret(application))
    return _record(delivery, lock, outcome)


def _verify() -> ssl.SSLContext | bool:
    if settings.WEBHOOK_CA_FILE:
        return ssl.create_default_context(cafile=settings.WEBHOOK_CA_FILE)
    return True


def send(delivery: WebhookDelivery, url: str, secret: str) -> Outcome:
    """POST the delivery's body to ``url``, signed with ``secret``; never raises."""
    started_at = timezone.now()
    began = time.monotonic()
    outcome = Outcome(url=url, started_at=started_at)
    try:
        target = resolve(url)
    except UnsafeTarget as unsafe:
        outcome.error = unsafe.message[:300]
        return outcome
    body = delivery.body.encode()
    timestamp = int(time.time())
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        # Only the start of a reply is read: compressed, it could be anything once inflated.
        "Accept-Encoding": "identity",
        "User-Agent": f"MapThePaths-Webhooks/1 (+{settings.SITE_URL})",
        "MTP-Event-Id": str(delivery.event_id),
        "MTP-Event-Type": delivery.event_type,
        "MTP-Delivery-Attempt": str(delivery.attempts),
        SIGNATURE_HEADER: signature_header(secret, timestamp, body),
    }
    # The certificate is checked against the host name while the connection goes to the
    # address that was checked, so a second DNS answer cannot redirect it.
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    timeout = httpx.Timeout(settings.WEBHOOK_TIMEOUT, connect=min(5.0, settings.WEBHOOK_TIMEOUT))
    try:
        # No proxies from the environment: they would connect to the name, not the address.
        with httpx.Client(
            timeout=timeout, follow_redirects=False, trust_env=False, verify=_verify()
        ) as client:
            for index, address in enumerate(target.addresses):
                request = client.build_request(
                    "POST",
                    target.url_for(address),
                    content=body,
                    headers=headers,
                    extensions=extensions,
                )
                try:
                    response = client.send(request, stream=True)
                except httpx.ConnectError:
                    if index + 1 < len(target.addresses):
                        continue  # another address of the same name may answer
                    raise
                try:
                    outcome.status_code = response.status_code
                    outcome.excerpt = _excerpt(response)
                finally:
                    response.close()
                break
    except httpx.TimeoutException:
        outcome.error = f"No reply within the timeout ({settings.WEBHOOK_TIMEOUT:g} s)."
    except httpx.HTTPError as error:
        outcome.error = (str(error) or type(error).__name__)[:300]
    outcome.duration_ms = int((time.monotonic() - began) * 1000)
    if outcome.status_code is not None and 300 <= outcome.status_code < 400:
        outcome.error = "Redirects are not followed: give the final URL."
    return outcome


def _excerpt(response: httpx.Response) -> str:
    """The start of the reply's body, read no further than needed."""
    data = b""
    for chunk in response.iter_raw():
        data += chunk
        if len(data) >= EXCERPT_BYTES:
            break
    return data[:EXCERPT_BYTES].decode("utf-8", "replace")


def _record(
    delivery: WebhookDelivery, lock: str, outcome: Outcome, *, give_up: bool = False
) -> str:
    """Store the attempt and what comes next, if the lease is still ours."""
    now = timezone.now()
    with transaction.atomic():
        current = (
            WebhookDelivery.objects.select_for_update()
            .filter(pk=delivery.pk, lock=lock, status=WebhookDelivery.Status.PENDING)
            .first()
        )
        if current is None:
            return "lost"
        WebhookAttempt.objects.create(
            delivery=current,
            number=current.attempts,
            url=outcome.url[:500],
            started_at=outcome.started_at,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            error=outcome.error,
            response_excerpt=outcome.excerpt,
        )
        current.last_status_code = outcome.status_code
        current.last_error = outcome.error
        current.lock = ""
        current.locked_until = None
        if outcome.succeeded:
            current.status = WebhookDelivery.Status.SUCCEEDED
            current.delivered_at = now
            current.next_attempt_at = None
            result = "delivered"
        elif give_up or current.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            current.status = WebhookDelivery.Status.FAILED
            current.next_attempt_at = None
            result = "failed"
        else:
            current.next_attempt_at = now + timedelta(seconds=backoff(current.attempts))
            schedule(current, run_after=current.next_attempt_at)
            result = "retrying"
        current.save(
            update_fields=[
                "status",
                "last_status_code",
                "last_error",
                "lock",
                "locked_until",
                "next_attempt_at",
                "delivered_at",
                "updated_at",
            ]
        )
    logger.info(
        "webhook %s attempt %s: %s (%s)",
        delivery.event_id,
        current.attempts,
        result,
        outcome.status_code or outcome.error,
    )
    return result


def recover_stale_deliveries(limit: int = 500) -> int:
    """Queue again the deliveries whose task was lost (its worker died); return how many.

    A pending delivery long past its attempt time, with no lease held and no task waiting
    to run, would wait forever. Safe to run from many workers at once.
    """
    now = timezone.now()
    stale = (
        WebhookDelivery.objects.filter(
            Q(locked_until__isnull=True) | Q(locked_until__lt=now),
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lt=now - RECOVERY_GRACE,
        )
        .order_by("next_attempt_at")
        .values_list("pk", "task_id")[:limit]
    )
    recovered = 0
    for pk, task_id in stale:
        if task_id and DBTaskResult.objects.filter(pk=task_id, status="READY").exists():
            continue  # the queue is busy, not lost
        with transaction.atomic():
            delivery = (
                WebhookDelivery.objects.select_for_update()
                .filter(pk=pk, status=WebhookDelivery.Status.PENDING, task_id=task_id)
                .first()
            )
            if delivery is None:
                continue
            schedule(delivery)
        recovered += 1
        logger.warning("webhook delivery %s: its task was lost; queued again", pk)
    return recovered
