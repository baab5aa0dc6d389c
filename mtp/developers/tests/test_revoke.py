"""RFC 7009 revocation at /api/v1/revoke (checklist row 28)."""

import pytest
from django.test import Client

from testing.builders import bearer, issue_token
from testing.pages import exchange, get_code


@pytest.mark.checklist(28, "RFC 7009 2.1")
def test_revocation_is_immediate(owner, app):
    token = issue_token(owner, app)
    assert Client().get("/api/v1/me", **bearer(token)).status_code == 200
    response = Client().post("/api/v1/revoke", {"token": token, "client_id": app.client_id})
    assert response.status_code == 200
    assert Client().get("/api/v1/me", **bearer(token)).status_code == 401


@pytest.mark.checklist(28, "RFC 7009 2.2")
def test_revoking_an_unknown_token_answers_200(app):
    response = Client().post(
        "/api/v1/revoke", {"token": "no-such-token", "client_id": app.client_id}
    )
    assert response.status_code == 200


@pytest.mark.checklist(28, "RFC 7009 2.1")
def test_revoking_an_access_token_kills_its_refresh_token(owner_client, code_app):
    code, verifier = get_code(owner_client, code_app)
    tokens = exchange(Client(), code_app, code, verifier).json()
    Client().post(
        "/api/v1/revoke", {"token": tokens["access_token"], "client_id": code_app.client_id}
    )
    refreshed = Client().post(
        "/api/v1/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": code_app.client_id,
        },
    )
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"


@pytest.mark.checklist(28, "RFC 7009 2.1")
def test_a_client_cannot_revoke_another_clients_tokens(owner, app, other_app):
    token = issue_token(owner, app)
    response = Client().post("/api/v1/revoke", {"token": token, "client_id": other_app.client_id})
    assert response.status_code == 200
    assert Client().get("/api/v1/me", **bearer(token)).status_code == 200


@pytest.mark.checklist(28, "RFC 7009 2.2.1, RFC 6749 5.2")
def test_a_malformed_revocation_gets_an_rfc_6749_error(app):
    missing = Client().post("/api/v1/revoke", {"client_id": app.client_id})
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    unknown_client = Client().post("/api/v1/revoke", {"token": "x", "client_id": "nobody"})
    assert unknown_client.status_code == 401
    assert unknown_client.json()["error"] == "invalid_client"
    assert Client().get("/api/v1/revoke").status_code == 405
