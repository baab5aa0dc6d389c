"""Other sites' pages may call the API, and nothing else of the site (mtp/lib/cors.py)."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mtp.lib.cors import EXPOSED_HEADERS
from mtp.lib.env import env_origins
from testing.builders import bearer

APP_ORIGIN = "https://maps.example.org"


def preflight(client, path: str, method: str = "POST", origin: str = APP_ORIGIN):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sequence/create",
        "/api/v1/sequence/create/",
        "/api/v1/sequences",
        "/api/v1/tiles/14/8508/5807.mvt",
        "/api/v1/token",
        "/api/v1/revoke",
        "/.well-known/oauth-authorization-server",
    ],
)
def test_a_preflight_is_answered_at_once_for_any_origin(client, db, path):
    with CaptureQueriesContext(connection) as queries:
        response = preflight(client, path)
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    allowed_headers = response["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed_headers
    assert "content-type" in allowed_headers
    assert int(response["Access-Control-Max-Age"]) > 0
    # Never with credentials: the API reads no cookie, and a page may not send one.
    assert "Access-Control-Allow-Credentials" not in response
    # Not counted, not looked up: no database work for a preflight.
    assert len(queries) == 0
    assert "RateLimit" not in response


def test_a_page_on_another_site_reads_the_reply_and_its_fields(client, owner_token):
    response = client.post(
        "/api/v1/sequence/create",
        {"name": "Evening ride", "transport_type": "Bicycle"},
        HTTP_ORIGIN=APP_ORIGIN,
        **bearer(owner_token),
    )
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "*"
    exposed = {name.strip() for name in response["Access-Control-Expose-Headers"].split(",")}
    assert {"Location", "RateLimit", "RateLimit-Policy", "Retry-After"} <= exposed
    assert "Access-Control-Allow-Credentials" not in response


def test_errors_are_readable_too(client, db):
    # A 401 for a bad token: the page must be able to read the error and WWW-Authenticate.
    response = client.get(
        "/api/v1/me", HTTP_ORIGIN=APP_ORIGIN, HTTP_AUTHORIZATION="Bearer not-a-token"
    )
    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "WWW-Authenticate" in response["Access-Control-Expose-Headers"]


def test_a_cookie_is_not_a_credential_for_the_api(client, owner):
    # A logged-in browser's session cookie rides along on same-site requests only; the API
    # must not take it as the user's authority in any case.
    client.force_login(owner)
    response = client.get("/api/v1/me", HTTP_ORIGIN=APP_ORIGIN)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "path", ["/", "/api/v1/authorize", "/api/v1/introspect", "/accounts/login/", "/device"]
)
def test_pages_people_see_answer_no_other_site(client, db, path):
    response = client.get(path, HTTP_ORIGIN=APP_ORIGIN)
    assert "Access-Control-Allow-Origin" not in response
    response = preflight(client, path)
    assert response.status_code != 204
    assert "Access-Control-Allow-Origin" not in response


def test_a_reply_without_an_origin_has_no_cors_fields(client, app):
    response = client.get(f"/api/v1/transport-types?client_id={app.client_id}")
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_a_list_of_origins_answers_only_those(client, app, settings):
    settings.MTP_CORS_ORIGINS = [APP_ORIGIN, "http://localhost:5173"]
    url = f"/api/v1/transport-types?client_id={app.client_id}"

    listed = client.get(url, HTTP_ORIGIN="http://localhost:5173")
    assert listed["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert "Origin" in listed["Vary"]

    unlisted = client.get(url, HTTP_ORIGIN="https://evil.example")
    assert unlisted.status_code == 200
    assert "Access-Control-Allow-Origin" not in unlisted
    assert "Origin" in unlisted["Vary"]
    # A cache must not hand one origin's reply to another, nor a reply without an Origin.
    assert "Origin" in client.get(url)["Vary"]

    assert preflight(client, "/api/v1/sequences", "GET")["Access-Control-Allow-Origin"] == (
        APP_ORIGIN
    )
    refused = preflight(client, "/api/v1/sequences", "GET", origin="https://evil.example")
    assert "Access-Control-Allow-Origin" not in refused
    assert refused.status_code == 405


def test_cors_may_be_turned_off(client, app, settings):
    settings.MTP_CORS_ORIGINS = []
    response = client.get(
        f"/api/v1/transport-types?client_id={app.client_id}", HTTP_ORIGIN=APP_ORIGIN
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    assert preflight(client, "/api/v1/sequences", "GET").status_code == 405


def test_the_exposed_fields_are_ones_the_api_sends():
    assert "Set-Cookie" not in EXPOSED_HEADERS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("*", ["*"]),
        ("", []),
        (
            "https://a.example, http://127.0.0.1:8080",
            ["https://a.example", "http://127.0.0.1:8080"],
        ),
    ],
)
def test_origins_setting(monkeypatch, value, expected):
    monkeypatch.setenv("MTP_CORS_ORIGINS", value)
    assert env_origins("MTP_CORS_ORIGINS", ["*"]) == expected


@pytest.mark.parametrize(
    "value", ["https://a.example/", "a.example", "ftp://a.example", "https://"]
)
def test_origins_that_would_never_match_stop_start_up(monkeypatch, value):
    monkeypatch.setenv("MTP_CORS_ORIGINS", value)
    with pytest.raises(ImproperlyConfigured, match="MTP_CORS_ORIGINS"):
        env_origins("MTP_CORS_ORIGINS", ["*"])
