"""RFC 7662 introspection at /api/v1/introspect, for resource servers."""

import base64

from django.test import Client

from testing.builders import issue_token


def basic(client_id: str, secret: str) -> dict:
    value = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {value}"}


def test_a_resource_server_learns_whether_a_token_is_active(owner, app, confidential_app):
    server, secret = confidential_app
    token = issue_token(owner, app)
    response = Client().post(
        "/api/v1/introspect", {"token": token}, **basic(server.client_id, secret)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == app.client_id
    assert body["username"] == "olivia"
    assert set(body["scope"].split()) == {"read", "write"}
    assert "no-store" in response["Cache-Control"]


def test_an_unknown_or_revoked_token_is_inactive(owner, app, confidential_app):
    server, secret = confidential_app
    response = Client().post(
        "/api/v1/introspect", {"token": "nope"}, **basic(server.client_id, secret)
    )
    assert response.json() == {"active": False}
    app.is_active = False
    app.save()
    token = issue_token(owner, app)
    response = Client().post(
        "/api/v1/introspect", {"token": token}, **basic(server.client_id, secret)
    )
    assert response.json() == {"active": False}


def test_introspection_needs_a_confidential_clients_credentials(owner, app, confidential_app):
    server, _ = confidential_app
    token = issue_token(owner, app)
    for headers, data in (
        ({}, {"token": token}),
        (basic(server.client_id, "wrong"), {"token": token}),
        ({}, {"token": token, "client_id": app.client_id}),
        ({}, {"token": token, "client_id": app.client_id, "client_secret": ""}),
    ):
        response = Client().post("/api/v1/introspect", data, **headers)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response["WWW-Authenticate"].startswith("Basic")


def test_introspection_takes_no_token_in_the_url(owner, app, confidential_app):
    server, secret = confidential_app
    token = issue_token(owner, app)
    response = Client().get(f"/api/v1/introspect?token={token}", **basic(server.client_id, secret))
    assert response.status_code == 405
    assert response.json()["error"] == "invalid_request"
