"""The owner's private things (testing.routes fills in route parameters with them)."""

import secrets
from urllib.parse import urlencode

import pytest
from django.test import Client

from mtp.developers.models import Application
from mtp.developers.oauth2 import DeviceGrant
from mtp.developers.webhook_secrets import set_new_secret
from mtp.guidebooks.models import Guidebook, Poi, Scene
from mtp.imports.models import ImportJob
from mtp.imports.tokens import encrypt_token
from mtp.tours.models import Tour, set_tour_sequences
from mtp.uploads.models import Transfer, UploadSet
from mtp.webhooks.events import record
from mtp.webhooks.models import WebhookDelivery
from testing.builders import issue_token, make_sequence
from testing.routes import URLENCODED


@pytest.fixture
def olivia(owner, app, other_user, settings) -> dict:
    """Olivia's private things, and the text of each that nobody else may ever see."""
    settings.MTP_API_RATE_TOKEN = 0
    settings.MTP_API_RATE_ADDRESS = 0
    settings.MTP_API_RATE_TILES = 0
    settings.MTP_API_RATE_PHOTOS = 0
    # Walking every route sends tokens refused for a client_id of another app: dozens a minute.
    settings.MTP_API_RATE_BAD_TOKEN = 0
    settings.OAUTH_RATE_LIMIT = 100_000
    settings.LOGIN_FAILURE_LIMIT = 100_000
    draft = make_sequence(
        owner,
        name="Olivia's secret draft",
        status="draft",
        route=[],
        images=False,
        description="the private description",
    )
    importing = make_sequence(owner, name="Olivia's hidden route", status="importing")
    mapillary_token = "MLY|4242|olivias-mapillary-token"
    ImportJob.objects.create(
        sequence=importing,
        mapillary_sequence_key="olivias-key",
        token_ciphertext=encrypt_token(mapillary_token),
    )
    published = make_sequence(owner, name="Olivia's public walk")
    client_secret = secrets.token_urlsafe(32)
    own_app = Application.objects.create(
        name="Olivia's private app",
        user=owner,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        extra_grant_types=Application.GRANT_DEVICE_CODE,
        redirect_uris="https://olivia.example.org/cb",
        client_secret=client_secret,
        webhook_url="https://olivia.example.org/hooks",
    )
    webhook_signing_secret = set_new_secret(own_app)
    own_app.save(update_fields=["webhook_secret_ciphertext"])
    # An event to her app that failed: others may neither read it nor send it again.
    delivery = record(own_app, "import.failed", {"sequence": {"name": "olivias-webhook-event"}})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)
    device = Client().post(
        "/api/v1/device_authorization",
        urlencode({"client_id": own_app.client_id, "client_secret": client_secret}),
        content_type=URLENCODED,
    )
    assert device.status_code == 200, device.content
    device = device.json()
    token = issue_token(owner, app)
    # A tour and a guidebook not published yet, on her public walk: hers alone to see.
    tour = Tour.objects.create(owner=owner, name="Olivia's secret tour", status="draft")
    set_tour_sequences(tour, [published.pk])
    guidebook = Guidebook.objects.create(owner=owner, name="Olivia's secret guidebook")
    scene = Scene.objects.create(
        guidebook=guidebook,
        position=0,
        image=published.images.order_by("position")[0],
        title="Olivia's secret scene",
    )
    poi = Poi.objects.create(scene=scene, x=0.5, y=0.5, title="Olivia's secret point")
    # Photos she is uploading: the set, its title, and that it is hers are hers alone to see.
    upload_set = UploadSet.objects.create(
        owner=owner,
        title="Olivia's secret upload",
        split_distance=100,
        split_time=60,
        duplicate_distance=1.0,
        duplicate_rotation=60,
    )
    # A collection she is moving here from another instance: hers alone to see.
    transfer = Transfer.objects.create(
        owner=owner,
        source_url="https://elsewhere.example/api/collections/olivias-secret",
        upload_set=UploadSet.objects.create(
            owner=owner,
            title="Olivia's secret transfer",
            split_distance=100,
            split_time=60,
            duplicate_distance=1.0,
            duplicate_rotation=60,
        ),
    )
    return {
        "upload_set": upload_set,
        "transfer": transfer,
        "tour": tour,
        "guidebook": guidebook,
        "scene": scene,
        "poi": poi,
        "draft": draft,
        "importing": importing,
        "published": published,
        "app": own_app,
        "device": DeviceGrant.objects.get(user_code=device["user_code"]),
        "token": token,
        "webhook_secret": webhook_signing_secret,
        "delivery": delivery,
        "secrets": [
            "olivias-webhook-event",
            "Olivia's secret draft",
            "the private description",
            "Olivia's hidden route",
            "olivias-mapillary-token",
            "olivias-key",
            owner.email,
            token,
            client_secret,
            webhook_signing_secret,
            device["device_code"],
            "Olivia's secret tour",
            "Olivia's secret guidebook",
            "Olivia's secret scene",
            "Olivia's secret point",
            "Olivia's secret upload",
            "olivias-secret",
            "Olivia's secret transfer",
        ],
    }
