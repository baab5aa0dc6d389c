"""Sending a webhook delivery: one attempt at a time, retried with backoff.

A queued delivery whose ``next_attempt_at`` has come is due; ``mtp worker`` claims it
(``mtp.lib.jobs``) and runs ``attempt``, which POSTs the event with short timeouts and no
redirects followed, records the outcome in a ``WebhookAttempt``, and either marks the delivery
done or sets its next attempt ``WebhookDelivery.backoff(n)`` seconds later. No database
transaction is open while the request is in flight.

A worker that dies mid-attempt leaves a delivery whose lease runs out: it is due again, and
the next worker tries it. Delivery is therefore at least once: receivers tell repeats by
``MTP-Event-Id``.
"""

import logging
import ssl
import time
from dataclasses import dataclass
from datetime import datetime

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mtp.developers.webhook_secrets import SIGNATURE_HEADER, signature_header, webhook_secret
from mtp.developers.webhook_urls import UnsafeTarget, resolve
from mtp.webhooks.models import WebhookAttempt, WebhookDelivery

logger = logging.getLogger(__name__)

# How much of a reply's body is kept for the delivery history.
EXCERPT_BYTES = 500


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


def attempt(delivery: WebhookDelivery) -> str:
    """Try the claimed delivery once; return what happened."""
    application = delivery.application
    if not application.webhook_url or not application.is_active:
        outcome = Outcome(
            url=application.webhook_url,
            started_at=timezone.now(),
            error="The application has no webhook URL any more, or was disabled.",
        )
        return _record(delivery, outcome, give_up=True)
    outcome = send(delivery, application.webhook_url, webhook_secret(application))
    return _record(delivery, outcome)


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


def _record(delivery: WebhookDelivery, outcome: Outcome, *, give_up: bool = False) -> str:
    """Store the attempt and what comes next, if the lease is still held (else LeaseLost)."""
    changes = {"last_status_code": outcome.status_code}
    with transaction.atomic():
        if outcome.succeeded:
            delivery.finish(delivered_at=timezone.now(), **changes)
            result = "delivered"
        elif give_up:
            delivery.give_up(outcome.error, **changes)
            result = "failed"
        else:
            result = delivery.retry(outcome.error, **changes)
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            url=outcome.url[:500],
            started_at=outcome.started_at,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            error=outcome.error,
            response_excerpt=outcome.excerpt,
        )
    logger.info(
        "webhook %s attempt %s: %s (%s)",
        delivery.event_id,
        delivery.attempts,
        result,
        outcome.status_code or outcome.error,
    )
    return result
