"""The settings page's Authorized apps: what the user granted, when, last use, and Revoke."""

import pytest
from django.test import Client
from oauth2_provider.models import get_access_token_model

from testing.builders import bearer, issue_token
from testing.pages import exchange, get_code

AccessToken = get_access_token_model()


def section(client: Client) -> str:
    html = client.get("/accounts/settings/").content.decode()
    start = html.index('id="authorized-apps"')
    return html[start : html.index("</section>", start)]


def test_every_granted_app_is_listed_with_when_and_last_use(owner, owner_client, app, code_app):
    issue_token(owner, app)
    code, verifier = get_code(owner_client, code_app)
    exchange(Client(), code_app, code, verifier)
    listed = section(owner_client)
    assert "MTP Desktop Uploader" in listed
    assert "Trail Notes" in listed
    assert listed.count(">Revoke</button>") == 2


def test_revoke_ends_all_of_that_apps_tokens_at_once(owner, owner_client, app, other_app):
    tokens = [issue_token(owner, app) for _ in range(3)]
    other = issue_token(owner, other_app)
    response = owner_client.post(f"/developers/authorized/{app.pk}/revoke/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/settings/#authorized-apps"
    for token in tokens:
        assert Client().get("/api/v1/me", **bearer(token)).status_code == 401
    assert Client().get("/api/v1/me", **bearer(other)).status_code == 200
    assert "MTP Desktop Uploader" not in section(owner_client)


def test_revoke_also_ends_refresh_tokens(owner_client, code_app):
    code, verifier = get_code(owner_client, code_app)
    tokens = exchange(Client(), code_app, code, verifier).json()
    owner_client.post(f"/developers/authorized/{code_app.pk}/revoke/")
    refreshed = Client().post(
        "/api/v1/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": code_app.client_id,
        },
    )
    assert refreshed.json()["error"] == "invalid_grant"
    assert "Trail Notes" not in section(owner_client)


@pytest.mark.checklist(29, "RFC 6819 5.2.2.3, RFC 6749 10.12")
def test_the_settings_page_revokes_only_the_users_own_grants(owner, other_user, app):
    theirs = issue_token(other_user, app)
    client = Client()
    client.force_login(owner)
    response = client.post(f"/developers/authorized/{app.pk}/revoke/")
    assert response.status_code == 404
    assert Client().get("/api/v1/me", **bearer(theirs)).status_code == 200


@pytest.mark.checklist(29, "RFC 6749 10.12")
def test_revoking_needs_a_post_with_csrf(owner, app):
    token = issue_token(owner, app)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.get(f"/developers/authorized/{app.pk}/revoke/").status_code == 405
    assert client.post(f"/developers/authorized/{app.pk}/revoke/").status_code == 403
    assert Client().get("/api/v1/me", **bearer(token)).status_code == 200
