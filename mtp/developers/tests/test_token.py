"""The token endpoint /api/v1/token: code exchange, refresh, errors, caching, rate limit."""

import base64
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from mtp.developers.models import RedeemedCode
from mtp.developers.oauth2 import digest
from mtp.lib import ratelimit
from testing.builders import CODE_REDIRECT_URI, bearer, pkce_pair
from testing.pages import authorize_url, consent, exchange, get_code, redirect_params

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
Grant = get_grant_model()


def test_a_code_is_exchanged_for_an_access_and_a_refresh_token(owner_client, code_app):
    code, verifier = get_code(owner_client, code_app)
    response = exchange(Client(), code_app, code, verifier)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert set(body["scope"].split()) == {"read", "write"}
    me = Client().get("/api/v1/me", **bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "olivia"


def test_a_refresh_token_gets_a_new_access_token(owner_client, code_app):
    code, verifier = get_code(owner_client, code_app)
    first = exchange(Client(), code_app, code, verifier).json()
    response = Client().post(
        "/api/v1/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": code_app.client_id,
        },
    )
    assert response.status_code == 200
    second = response.json()
    assert second["access_token"] != first["access_token"]
    assert Client().get("/api/v1/me", **bearer(second["access_token"])).status_code == 200


@pytest.mark.checklist(6, "RFC 6749 4.1.2, 10.5")
def test_a_code_works_once(owner_client, code_app):
    code, verifier = get_code(owner_client, code_app)
    assert exchange(Client(), code_app, code, verifier).status_code == 200
    again = exchange(Client(), code_app, code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


@pytest.mark.checklist(7, "RFC 6749 4.1.2, RFC 6819 5.2.1.1")
def test_reusing_a_code_revokes_what_it_produced(owner_client, code_app):
    code, verifier = get_code(owner_client, code_app)
    first = exchange(Client(), code_app, code, verifier).json()
    assert exchange(Client(), code_app, code, verifier).json()["error"] == "invalid_grant"
    assert Client().get("/api/v1/me", **bearer(first["access_token"])).status_code == 401
    refreshed = Client().post(
        "/api/v1/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": code_app.client_id,
        },
    )
    assert refreshed.json()["error"] == "invalid_grant"


@pytest.mark.checklist(7, "RFC 6749 4.1.2")
def test_reusing_a_code_also_revokes_tokens_refreshed_from_it(owner_client, code_app):
    code, verifier = get_code(owner_client, code_app)
    first = exchange(Client(), code_app, code, verifier).json()
    refreshed = (
        Client()
        .post(
            "/api/v1/token",
            {
                "grant_type": "refresh_token",
                "refresh_token": first["refresh_token"],
                "client_id": code_app.client_id,
            },
        )
        .json()
    )
    exchange(Client(), code_app, code, verifier)
    assert Client().get("/api/v1/me", **bearer(refreshed["access_token"])).status_code == 401


@pytest.mark.checklist(9, "RFC 6749 4.1.2, RFC 6819 5.1.5.3")
def test_codes_are_short_lived(owner_client, code_app, settings):
    assert settings.OAUTH2_PROVIDER["AUTHORIZATION_CODE_EXPIRE_SECONDS"] <= 600
    code, verifier = get_code(owner_client, code_app)
    grant = Grant.objects.get()
    assert grant.expires <= timezone.now() + timedelta(minutes=10)
    Grant.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = exchange(Client(), code_app, code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.checklist(10, "RFC 6749 4.1.3")
def test_a_code_is_bound_to_its_client(owner_client, code_app, developer):
    other = type(code_app).objects.create(
        name="Other",
        user=developer,
        client_type=code_app.CLIENT_PUBLIC,
        authorization_grant_type=code_app.GRANT_AUTHORIZATION_CODE,
        redirect_uris=CODE_REDIRECT_URI,
    )
    code, verifier = get_code(owner_client, code_app)
    stolen = exchange(Client(), other, code, verifier)
    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"
    # The rightful client can still use it: another client's attempt does not burn it.
    assert exchange(Client(), code_app, code, verifier).status_code == 200


@pytest.mark.checklist(11, "RFC 6749 4.1.3")
@pytest.mark.parametrize(
    "redirect_uri", ["http://127.0.0.1/callback", "https://evil.example/cb", None]
)
def test_a_code_is_bound_to_its_redirect_uri(owner_client, code_app, redirect_uri):
    code, verifier = get_code(owner_client, code_app)
    response = exchange(Client(), code_app, code, verifier, redirect_uri=redirect_uri)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()


@pytest.mark.checklist(11, "RFC 6749 4.1.3")
def test_a_code_asked_for_without_a_redirect_uri_is_exchanged_without_one(owner, app):
    app.set_grant_types([app.GRANT_AUTHORIZATION_CODE])
    app.save()
    client = Client()
    client.force_login(owner)
    verifier, challenge = pkce_pair()
    params = {
        "client_id": app.client_id,
        "response_type": "code",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    _, query, _ = redirect_params(consent(client, authorize_url(**params)))
    response = exchange(Client(), app, query["code"], verifier, redirect_uri=None)
    assert response.status_code == 200


@pytest.mark.checklist(12, "RFC 7636 4.6")
@pytest.mark.parametrize("verifier", ["wrong-" + "v" * 43, None])
def test_a_wrong_or_missing_pkce_verifier_is_rejected(owner_client, code_app, verifier):
    code, _ = get_code(owner_client, code_app)
    response = exchange(Client(), code_app, code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_grant", "invalid_request")
    assert not AccessToken.objects.exists()


@pytest.mark.checklist(13, "RFC 7636 4.6, RFC 9700 4.8.2")
def test_a_verifier_for_a_code_issued_without_a_challenge_is_rejected(owner, code_app):
    # A grant with no challenge (as an older server might have stored): a verifier is refused.
    Grant.objects.create(
        application=code_app,
        user=owner,
        code=digest("no-challenge-code"),
        expires=timezone.now() + timedelta(minutes=1),
        redirect_uri=CODE_REDIRECT_URI,
        scope="read write",
    )
    response = exchange(Client(), code_app, "no-challenge-code", "v" * 43)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.checklist(19, "RFC 6749 5.1")
def test_token_responses_are_not_cached(owner_client, code_app):
    code, verifier = get_code(owner_client, code_app)
    success = exchange(Client(), code_app, code, verifier)
    failure = exchange(Client(), code_app, code, verifier)
    wrong_method = Client().get("/api/v1/token")
    for response in (success, failure, wrong_method):
        assert "no-store" in response["Cache-Control"]
        assert response["Pragma"] == "no-cache"


@pytest.mark.checklist(24, "RFC 6749 5.2")
@pytest.mark.parametrize(
    "data, error",
    [
        ({}, "unsupported_grant_type"),
        (
            {"grant_type": "password", "username": "olivia", "password": "x"},
            "unsupported_grant_type",
        ),
        ({"grant_type": "authorization_code"}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "nope"}, "invalid_grant"),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, "invalid_grant"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
    ],
)
def test_token_errors_use_the_rfc_6749_json_format(code_app, data, error):
    data = {"client_id": code_app.client_id, **data}
    response = Client().post("/api/v1/token", data)
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"] == error


@pytest.mark.checklist(24, "RFC 6749 5.2")
def test_a_bad_client_secret_gets_401_with_a_basic_challenge(confidential_app):
    application, _ = confidential_app
    credentials = base64.b64encode(f"{application.client_id}:wrong".encode()).decode()
    response = Client().post(
        "/api/v1/token",
        {
            "grant_type": "authorization_code",
            "code": "x",
            "redirect_uri": "https://server.example.org/cb",
        },
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic")


@pytest.mark.checklist(24, "RFC 6749 5.2")
def test_an_unknown_client_gets_invalid_client():
    response = Client().post(
        "/api/v1/token", {"grant_type": "authorization_code", "code": "x", "client_id": "nobody"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_confidential_client_exchanges_a_code_with_its_secret(owner_client, confidential_app):
    application, secret = confidential_app
    verifier, challenge = pkce_pair()
    redirect_uri = "https://server.example.org/cb"
    params = {
        "client_id": application.client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    _, query, _ = redirect_params(consent(owner_client, authorize_url(**params)))
    credentials = base64.b64encode(f"{application.client_id}:{secret}".encode()).decode()
    response = Client().post(
        "/api/v1/token",
        {
            "grant_type": "authorization_code",
            "code": query["code"],
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
        },
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert response.status_code == 200
    without_secret = Client().post(
        "/api/v1/token",
        {
            "grant_type": "authorization_code",
            "code": query["code"],
            "code_verifier": verifier,
            "client_id": application.client_id,
        },
    )
    assert without_secret.status_code == 401


def test_the_code_is_stored_only_as_a_digest(owner_client, code_app):
    code, verifier = get_code(owner_client, code_app)
    assert list(Grant.objects.values_list("code", flat=True)) == [digest(code)]
    exchange(Client(), code_app, code, verifier)
    assert not Grant.objects.exists()
    assert RedeemedCode.objects.filter(code_hash=digest(code)).exists()


@pytest.mark.checklist(30, "RFC 6819 5.1.4.2.3, RFC 9700 4.10")
def test_the_token_endpoint_is_rate_limited_per_address(settings, code_app, monkeypatch):
    settings.OAUTH_RATE_LIMIT = 5
    # One fixed moment, so that the requests cannot straddle two counting windows.
    monkeypatch.setattr(ratelimit, "now", lambda: 1_000_000_050)  # 30 s into a 60 s window
    statuses = []
    for _ in range(6):
        response = Client().post(
            "/api/v1/token", {"grant_type": "authorization_code", "client_id": code_app.client_id}
        )
        statuses.append(response.status_code)
    assert statuses[:5] == [400] * 5
    assert statuses[5] == 429
    assert int(response["Retry-After"]) == 30
    assert response["RateLimit-Policy"] == '"token";q=5;w=60'
    assert response["RateLimit"] == '"token";r=0;t=30'
    assert response.json()["error"] == "temporarily_unavailable"
    other_address = Client(REMOTE_ADDR="127.0.0.9").post(
        "/api/v1/token", {"grant_type": "authorization_code", "client_id": code_app.client_id}
    )
    assert other_address.status_code == 400


@pytest.mark.checklist(24, "RFC 6749 5.2")
@pytest.mark.parametrize(
    "path",
    ["/api/v1/token", "/api/v1/revoke", "/api/v1/device_authorization", "/api/v1/introspect"],
)
@pytest.mark.parametrize(
    "body, content_type",
    [
        ("{not json", "application/json"),
        (
            "grant_type=authorization_code&client_id=a%00b&code=x",
            "application/x-www-form-urlencoded",
        ),
        (
            "grant_type=authorization_code&grant_type=refresh_token",
            "application/x-www-form-urlencoded",
        ),
        ("%%%", "application/x-www-form-urlencoded"),
        ("grant_type=refresh_token&client_id=nobody", "application/x-www-form-urlencoded"),
        (
            "grant_type=urn:ietf:params:oauth:grant-type:device_code",
            "application/x-www-form-urlencoded",
        ),
    ],
)
def test_malformed_requests_to_every_endpoint_get_an_rfc_6749_error(path, body, content_type):
    response = Client().post(path, body, content_type=content_type)
    assert response.status_code in (400, 401)
    assert response.json()["error"]
    assert "no-store" in response["Cache-Control"]


def test_a_nul_byte_in_basic_credentials_is_refused_cleanly(db):
    credentials = base64.b64encode(b"a\x00b:secret").decode()
    response = Client().post(
        "/api/v1/token",
        {"grant_type": "authorization_code", "code": "x"},
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
