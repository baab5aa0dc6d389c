"""Personas and helpers for the OAuth tests: apps for each flow, PKCE pairs, the consent dance."""

import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client

from mtp.developers.models import Application
from mtp.developers.pkce import s256_challenge

CODE_REDIRECT_URI = "https://app.example.org/cb"


@pytest.fixture(autouse=True)
def fresh_rate_limits(db):
    """Rate-limit counters live in the cache table, which outlives a test's transaction."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def code_app(developer) -> Application:
    """A public client (say, a single-page app) using the authorization code flow with PKCE."""
    return Application.objects.create(
        name="Trail Notes",
        user=developer,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=f"{CODE_REDIRECT_URI} http://127.0.0.1/callback",
    )


@pytest.fixture
def confidential_app(developer) -> tuple[Application, str]:
    """A server-side client with a secret; returns the application and its cleartext secret."""
    secret = secrets.token_urlsafe(32)
    application = Application.objects.create(
        name="Route Server",
        user=developer,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://server.example.org/cb",
        client_secret=secret,
    )
    return application, secret


@pytest.fixture
def device_app(developer) -> Application:
    application = Application.objects.create(
        name="Helmet Camera",
        user=developer,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_DEVICE_CODE,
    )
    return application


@pytest.fixture
def owner_client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def pkce_pair() -> tuple[str, str]:
    """A PKCE code_verifier and its S256 code_challenge."""
    verifier = secrets.token_urlsafe(48)
    return verifier, s256_challenge(verifier)


def authorize_url(path: str = "/api/v1/authorize", **params) -> str:
    return f"{path}?{urlencode(params)}"


def consent_data(response, *, allow: bool = True) -> dict:
    """The consent form's POST body, as a browser would send it from ``response``."""
    form = response.context["form"]
    data = {}
    for name in form.fields:
        value = form.initial.get(name)
        if value is None or name == "allow":
            continue
        data[name] = str(value) if isinstance(value, bool) else value
    if allow:
        data["allow"] = "Allow"
    return data


def consent(client: Client, url: str, *, allow: bool = True):
    """GET the authorization URL, then press Allow (or Deny); return the final response."""
    page = client.get(url)
    assert page.status_code == 200, page.content[:500]
    return client.post(url, consent_data(page, allow=allow))


def redirect_params(response) -> tuple[str, dict, dict]:
    """The redirect's base URI, query parameters and fragment parameters."""
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    parts = urlsplit(location)
    base = location.split("?")[0].split("#")[0]
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    fragment = {k: v[0] for k, v in parse_qs(parts.fragment, keep_blank_values=True).items()}
    return base, query, fragment


def get_code(client: Client, application: Application, **extra) -> tuple[str, str]:
    """Run the code flow up to the code; return (code, verifier)."""
    verifier, challenge = pkce_pair()
    params = {
        "client_id": application.client_id,
        "response_type": "code",
        "redirect_uri": CODE_REDIRECT_URI,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    _, query, _ = redirect_params(consent(client, authorize_url(**params)))
    return query["code"], verifier


def exchange(client: Client, application: Application, code: str, verifier: str, **extra):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "client_id": application.client_id,
        "redirect_uri": CODE_REDIRECT_URI,
        **extra,
    }
    return client.post("/api/v1/token", {k: v for k, v in data.items() if v is not None})
