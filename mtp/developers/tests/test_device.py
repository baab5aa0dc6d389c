"""The device flow (RFC 8628): /api/v1/device_authorization, /device, polling /api/v1/token."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import get_device_grant_model

from mtp.developers.oauth2 import digest
from mtp.lib import ratelimit
from testing.builders import bearer

DeviceGrant = get_device_grant_model()
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def device_authorization(client_id: str):
    """What a device sends: a form-encoded POST (RFC 8628 3.1)."""
    return Client().post(
        "/api/v1/device_authorization",
        urlencode({"client_id": client_id}),
        content_type="application/x-www-form-urlencoded",
    )


def start(application) -> dict:
    response = device_authorization(application.client_id)
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    return response.json()


def poll(application, device_code: str):
    # A real device waits `interval` seconds between polls; the test moves the clock instead.
    DeviceGrant.objects.update(last_checked=timezone.now() - timedelta(seconds=10))
    return Client().post(
        "/api/v1/token",
        {
            "grant_type": DEVICE_GRANT,
            "device_code": device_code,
            "client_id": application.client_id,
        },
    )


def approve(client: Client, user_code: str, action: str = "accept"):
    entered = client.post("/device", {"user_code": user_code.lower()})
    assert entered.status_code == 302, entered.content
    page = client.get(entered["Location"])
    assert page.status_code == 200
    return client.post(entered["Location"], {"action": action})


def test_a_device_is_signed_in_when_its_user_approves_the_code(owner_client, device_app):
    started = start(device_app)
    assert started["verification_uri"].endswith("/device")
    assert started["user_code"] in started["verification_uri_complete"]
    assert started["interval"] == 5
    pending = poll(device_app, started["device_code"])
    assert pending.status_code == 400
    assert pending.json()["error"] == "authorization_pending"

    page = owner_client.get(f"/device?user_code={started['user_code']}")
    assert page.status_code == 200
    done = approve(owner_client, started["user_code"])
    assert done.status_code == 302

    response = poll(device_app, started["device_code"])
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    assert Client().get("/api/v1/me", **bearer(token)).json()["username"] == "olivia"
    again = poll(device_app, started["device_code"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_the_device_confirm_page_names_the_app_and_its_owner(owner_client, device_app):
    started = start(device_app)
    entered = owner_client.post("/device", {"user_code": started["user_code"]})
    page = owner_client.get(entered["Location"]).content.decode()
    assert "Helmet Camera" in page and "dana" in page
    assert "Create, import, edit and delete sequences for you" in page


def test_a_denied_device_gets_access_denied(owner_client, device_app):
    started = start(device_app)
    approve(owner_client, started["user_code"], action="deny")
    response = poll(device_app, started["device_code"])
    assert response.status_code == 400
    assert response.json()["error"] == "access_denied"


def test_a_device_polling_too_fast_is_told_to_slow_down(device_app):
    started = start(device_app)
    response = Client().post(
        "/api/v1/token",
        {
            "grant_type": DEVICE_GRANT,
            "device_code": started["device_code"],
            "client_id": device_app.client_id,
        },
    )
    assert response.json()["error"] == "slow_down"


def test_an_expired_device_code_is_refused(device_app):
    started = start(device_app)
    DeviceGrant.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = poll(device_app, started["device_code"])
    assert response.json()["error"] == "expired_token"


def test_an_unknown_device_code_is_invalid_grant(device_app):
    response = poll(device_app, "made-up")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_another_client_cannot_poll_a_devices_code(owner_client, device_app, developer):
    other = type(device_app).objects.create(
        name="Other device app",
        user=developer,
        client_type=device_app.CLIENT_PUBLIC,
        authorization_grant_type=device_app.GRANT_DEVICE_CODE,
    )
    started = start(device_app)
    approve(owner_client, started["user_code"])
    response = poll(other, started["device_code"])
    assert response.json()["error"] == "invalid_grant"
    assert poll(device_app, started["device_code"]).status_code == 200


def test_an_application_without_the_device_flow_cannot_start_it(app):
    response = device_authorization(app.client_id)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    assert not DeviceGrant.objects.exists()


def test_device_codes_are_stored_only_as_digests(device_app):
    started = start(device_app)
    stored = DeviceGrant.objects.get()
    assert stored.device_code == digest(started["device_code"])


def test_a_wrong_user_code_is_refused_and_attempts_are_limited(
    owner_client, device_app, settings, monkeypatch
):
    settings.LOGIN_FAILURE_LIMIT = 3
    monkeypatch.setattr(ratelimit, "now", lambda: 1_000_000_000)
    for _ in range(3):
        response = owner_client.post("/device", {"user_code": "WRONGCODE"})
        assert response.status_code == 200
        assert b"Incorrect user code" in response.content
    throttled = owner_client.post("/device", {"user_code": "WRONGCODE"})
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) >= 1


@pytest.mark.parametrize("path", ["/device"])
def test_the_device_page_asks_anonymous_people_to_log_in(path, db):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
