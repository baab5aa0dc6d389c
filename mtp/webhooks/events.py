"""Events an application hears about, and how they are queued.

An application that registered a webhook URL is told when an import of a sequence it
created ends. ``import_ended`` runs inside the transaction that writes the import's
outcome: the delivery row, which is the queue, is stored with the outcome or not at all, so
no event is lost and none is sent for an outcome that rolled back.
"""

import json
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from mtp.sequences.links import object_url
from mtp.sequences.models import Sequence
from mtp.webhooks.models import WebhookDelivery

logger = logging.getLogger(__name__)

IMPORT_SUCCEEDED = "import.succeeded"
IMPORT_FAILED = "import.failed"
# Sent when the application's owner asks for a test event on its page.
PING = "ping"
# Tours ---------------------------------------------------------------------------------------
# Sent to the application that created a tour when the tour is published.
TOUR_PUBLISHED = "tour.published"
# Guidebooks --------------------------------------------------------------------------------
GUIDEBOOK_PUBLISHED = "guidebook.published"
# Uploads --------------------------------------------------------------------------------------
# Sent to the application whose token uploaded the photos when a sequence made of them is
# published (an import says the same with import.succeeded).
SEQUENCE_PUBLISHED = "sequence.published"
# ---------------------------------------------------------------------------------------------
EVENT_TYPES = (
    IMPORT_SUCCEEDED,
    IMPORT_FAILED,
    PING,
    TOUR_PUBLISHED,
    GUIDEBOOK_PUBLISHED,
    SEQUENCE_PUBLISHED,
)
# Finished deliveries older than this are deleted when the application gets a new event.
HISTORY_DAYS = 30


def sequence_summary(sequence) -> dict[str, Any]:
    """What an event says about a sequence: public facts and links, nothing about the owner."""
    return {
        "unique_id": str(sequence.unique_id),
        "name": sequence.name,
        "status": sequence.status,
        "image_count": sequence.image_count,
        "distance_m": round(sequence.distance_m, 1),
        "mapillary_sequence_key": sequence.mapillary_sequence_key,
        "published_at": sequence.published_at,
        "url": object_url("web:sequence", sequence.unique_id),
        "api_url": object_url("api:get_sequence", sequence.unique_id),
    }


def event_body(event_id, event_type: str, created, data: dict[str, Any]) -> str:
    """The JSON text of an event."""
    event = {"id": str(event_id), "type": event_type, "created": created, "data": data}
    return json.dumps(event, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def import_ended(job) -> WebhookDelivery | None:
    """Queue the event for a finished import to the app that created its sequence, if that
    app has a webhook URL; call it in the transaction that writes the import's outcome,
    after the sequence is updated."""
    sequence = Sequence.objects.select_related("application").filter(pk=job.sequence_id).first()
    application = sequence.application if sequence is not None else None
    if application is None or not application.webhook_url or not application.is_active:
        return None
    # As stored: the caller's copy may lack what the finishing UPDATE computed (progress).
    job.refresh_from_db()
    event_type = IMPORT_SUCCEEDED if job.status == job.Status.SUCCEEDED else IMPORT_FAILED
    return record(
        application,
        event_type,
        {"sequence": sequence_summary(sequence), "import": job.to_dict()},
    )


def sequence_published(sequence) -> WebhookDelivery | None:
    """Queue ``sequence.published`` for a sequence of uploaded photos to its application, if
    that app has a webhook URL; call it in the transaction that publishes the sequence."""
    application = sequence.application
    if application is None or not application.webhook_url or not application.is_active:
        return None
    return record(application, SEQUENCE_PUBLISHED, {"sequence": sequence_summary(sequence)})


# Tours ---------------------------------------------------------------------------------------


def tour_summary(tour) -> dict[str, Any]:
    """What an event says about a tour: public facts and links."""
    return {
        "unique_id": str(tour.unique_id),
        "name": tour.name,
        "status": tour.status,
        "sequence_count": tour.sequence_count,
        "image_count": tour.image_count,
        "distance_m": round(tour.distance_m, 1),
        "published_at": tour.published_at,
        "url": object_url("web:tour", tour.unique_id),
        "api_url": object_url("api:get_tour", tour.unique_id),
    }


def tour_published(sender, tour, **kwargs) -> WebhookDelivery | None:
    """Queue the event for a tour just published to the app that created it, if that app has
    a webhook URL. It hears ``mtp.tours.actions.published``, sent in the transaction that
    publishes the tour, after its routes are set."""
    application = tour.application
    if application is None or not application.webhook_url or not application.is_active:
        return None
    return record(application, TOUR_PUBLISHED, {"tour": tour_summary(tour)})


# ---------------------------------------------------------------------------------------------


# Guidebooks --------------------------------------------------------------------------------


def guidebook_published(sender, guidebook, **kwargs) -> WebhookDelivery | None:
    """Queue ``guidebook.published`` to the application that created the guidebook, if it has
    a webhook URL. It hears ``mtp.guidebooks.actions.published``, sent in the transaction
    that publishes the guidebook."""
    application = guidebook.application
    if application is None or not application.webhook_url or not application.is_active:
        return None
    site = settings.SITE_URL
    return record(
        application,
        GUIDEBOOK_PUBLISHED,
        {
            "guidebook": {
                "unique_id": str(guidebook.unique_id),
                "name": guidebook.name,
                "scene_count": guidebook.scenes.filter(image__sequence__status="published").count(),
                "published_at": guidebook.published_at,
                "url": site + guidebook.get_absolute_url(),
                "api_url": object_url("api:get_guidebook", guidebook.unique_id),
            }
        },
    )


# -------------------------------------------------------------------------------------------


def ping(application) -> WebhookDelivery | None:
    """Queue a test event for ``application``, unless one is still on its way (then None)."""
    pending = WebhookDelivery.objects.filter(
        application=application, event_type=PING, status__in=WebhookDelivery.ACTIVE
    )
    if pending.exists():
        return None
    return record(
        application,
        PING,
        {
            "application": {"client_id": application.client_id, "name": application.name},
            "message": f"A test event from {settings.SITE_NAME}: your webhook receives events.",
        },
    )


def send_again(delivery: WebhookDelivery) -> bool:
    """Queue one more attempt of a delivery that has ended (failed or delivered), at once.

    The same event, id and body, signed anew; if the attempt fails, the usual retries follow
    while attempts remain. False when the delivery is still pending (already on its way).
    """
    now = timezone.now()
    reopened = (
        WebhookDelivery.objects.filter(pk=delivery.pk)
        .exclude(status__in=WebhookDelivery.ACTIVE)
        .update(
            status=WebhookDelivery.Status.QUEUED,
            next_attempt_at=now,
            lease_owner="",
            lease_expires_at=None,
            updated_at=now,
        )
    )
    if not reopened:
        return False
    logger.info("webhook %s queued again by its application's owner", delivery.event_id)
    return True


def record(application, event_type: str, data: dict[str, Any]) -> WebhookDelivery:
    """Store an event for ``application``, due at once (in the caller's transaction)."""
    now = timezone.now()
    delivery = WebhookDelivery(application=application, event_type=event_type, next_attempt_at=now)
    delivery.body = event_body(delivery.event_id, event_type, now, data)
    delivery.save()
    WebhookDelivery.objects.filter(
        application=application, created_at__lt=now - timedelta(days=HISTORY_DAYS)
    ).exclude(status__in=WebhookDelivery.ACTIVE).delete()
    logger.info(
        "webhook %s %s queued for application %s", event_type, delivery.event_id, application.pk
    )
    return delivery
