"""Where a webhook may be sent: https to public Internet addresses only (``mtp.lib.outbound``).

A webhook URL is checked when it is registered and again before every delivery, since what
a name resolves to may change. Plain http to the loopback interface only when
``WEBHOOK_ALLOW_HTTP`` is on (DEBUG, or ``MTP_WEBHOOK_ALLOW_HTTP``: tests, dev); private
addresses only when ``WEBHOOK_ALLOW_PRIVATE`` is (``MTP_WEBHOOK_ALLOW_PRIVATE``, for receivers
inside the operator's own network). A delivery connects to an address checked here, never to
a second lookup of the name.
"""

from django.conf import settings
from django.core.exceptions import ValidationError

from mtp.lib.outbound import MAX_URL_LENGTH, Policy, Target, UnsafeTarget, reached
from mtp.lib.outbound import resolve as resolve_url

__all__ = ["MAX_URL_LENGTH", "Target", "UnsafeTarget", "reached", "resolve", "validate_webhook_url"]


def policy() -> Policy:
    return Policy(
        what="A webhook URL",
        allow_http=settings.WEBHOOK_ALLOW_HTTP,
        allow_private=settings.WEBHOOK_ALLOW_PRIVATE,
    )


def resolve(url: str) -> Target:
    """Check ``url`` and look its host up; ``UnsafeTarget`` when it may not be sent to."""
    return resolve_url(url, policy())


def validate_webhook_url(value: str) -> None:
    """Model field validator: the URL can be sent to now."""
    if not value:
        return
    try:
        resolve(value)
    except UnsafeTarget as unsafe:
        raise ValidationError(unsafe.message, code="unsafe_webhook_url") from None
