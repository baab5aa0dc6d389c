"""The owner's private things, and how to fill in route parameters with them."""

import secrets
from urllib.parse import urlencode

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from conftest import issue_token
from mtp.api.tests.conftest import make_sequence
from mtp.developers.models import Application
from mtp.developers.oauth2 import DeviceGrant
from mtp.developers.webhook_secrets import set_new_secret
from mtp.imports.models import ImportJob
from mtp.imports.tokens import encrypt_token
from mtp.sequences.models import Sequence
from mtp.webhooks.events import record
from mtp.webhooks.models import WebhookDelivery

URLENCODED = "application/x-www-form-urlencoded"
METHODS = ("get", "post", "put", "patch", "delete")
# A body that would be valid for most forms and API writes, so that a missing ownership check
# shows as a change rather than hiding behind a validation error.
FORM = {
    "name": "Taken over",
    "description": "Taken over",
    "transport_type": "Walk",
    "tag": "taken",
    "strava": "1",
    "action": "accept",
    "allow": "Authorize",
    "user_code": "",
    "token": "",
    "client_type": "public",
    "grant_types": "authorization-code",
    "redirect_uris": "https://taken.example.org/cb",
    "display_name": "Taken over",
    "email": "taken@example.org",
}


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
    return {
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
        ],
    }


def parameter_values(olivia: dict) -> dict[str, list]:
    """For each route parameter, Olivia's values to try."""
    draft, importing, own_app = olivia["draft"], olivia["importing"], olivia["app"]
    return {
        "unique_id": [draft.unique_id, importing.unique_id],
        "pk": [own_app.pk],
        "delivery_pk": [olivia["delivery"].pk],
        "username": [olivia["draft"].owner.username],
        "client_id": [own_app.client_id],
        "user_code": [olivia["device"].user_code],
        "z": ["0"],
        "x": ["0"],
        "y": ["0"],
        "rest": ["anything"],
        # A photo of her sequence being imported.
        "mapillary_key": [f"{importing.pk}-0"],
        # A password reset link for Olivia, with a made-up token and with the form's own.
        "uidb64": [urlsafe_base64_encode(force_bytes(draft.owner.pk))],
        "token": ["made-up-token", "set-password"],
        # The admin's.
        "object_id": [draft.pk, draft.owner.pk, own_app.pk],
        "id": [draft.owner.pk],
        "app_label": ["sequences"],
        "content_type_id": [ContentType.objects.get_for_model(Sequence).pk],
        "url": ["anything"],
    }


def urls(route, values: dict[str, list]) -> list[str]:
    missing = [name for name in route.parameters if name not in values]
    assert not missing, f"{route.pattern}: say in parameter_values how to fill {missing}"
    filled = [{}]
    for name in route.parameters:
        filled = [{**done, name: value} for done in filled for value in values[name]]
    return [route.url(each) for each in filled]


def query(olivia: dict) -> dict[str, object]:
    """Query parameters that ask for Olivia's things by name, id and state."""
    return {
        "id": [str(olivia["draft"].unique_id), str(olivia["importing"].unique_id)],
        "user": "olivia",
        "status": "draft",
        "q": "Olivia",
        "format": "geojson",
        "client_id": olivia["app"].client_id,
    }
