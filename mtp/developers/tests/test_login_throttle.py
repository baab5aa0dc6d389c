"""Log-in (the page every authorization sends anonymous people to) is rate limited (row 30)."""

import pytest
from django.test import Client


@pytest.mark.checklist(30, "RFC 6819 4.4.3.6, 5.1.4.2.3")
def test_too_many_failed_logins_from_one_address_get_429(settings, owner):
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="127.0.0.1")
    statuses = []
    for attempt in range(settings.LOGIN_FAILURE_LIMIT + 1):
        response = client.post(
            "/accounts/login/", {"username": f"guess{attempt}", "password": "wrong password"}
        )
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]
    assert int(response["Retry-After"]) >= 1
    assert response["RateLimit-Policy"] == f'"login-address";q=3;w={settings.LOGIN_FAILURE_WINDOW}'
    # Even the right password waits now: the address is paused.
    right = client.post(
        "/accounts/login/", {"username": "olivia", "password": "correct horse battery"}
    )
    assert right.status_code == 429
