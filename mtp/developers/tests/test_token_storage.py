"""Token entropy and storage (checklist rows 20 to 23)."""

import inspect
import logging
import math
import re

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.db import connection
from django.test import Client
from oauth2_provider.models import (
    get_access_token_model,
    get_device_grant_model,
    get_grant_model,
    get_refresh_token_model,
)
from oauth2_provider.oauth2_validators import OAuth2Validator

from mtp.developers import oauth2, pkce
from testing.pages import authorize_url, consent, exchange, get_code, redirect_params

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
Grant = get_grant_model()
DeviceGrant = get_device_grant_model()


@pytest.mark.checklist(20, "RFC 6749 10.10, RFC 6819 5.1.4.2.2")
def test_tokens_carry_at_least_160_bits_from_secrets(monkeypatch):
    calls = []
    real = oauth2.secrets.token_urlsafe
    monkeypatch.setattr(oauth2.secrets, "token_urlsafe", lambda n: calls.append(n) or real(n))
    tokens = {oauth2.generate_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert calls and set(calls) == {32}
    alphabet = set("".join(tokens))
    assert alphabet <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    length = min(len(token) for token in tokens)
    assert length * math.log2(64) >= 160


@pytest.mark.checklist(20, "RFC 6749 10.10")
def test_the_server_issues_tokens_from_that_generator(settings):
    provider = settings.OAUTH2_PROVIDER
    assert provider["ACCESS_TOKEN_GENERATOR"] == "mtp.developers.oauth2.generate_token"
    assert provider["REFRESH_TOKEN_GENERATOR"] == "mtp.developers.oauth2.generate_token"


def _all_text_values() -> list[str]:
    """Every text value in the OAuth tables, as the database holds them."""
    values: list[str] = []
    with connection.cursor() as cursor:
        for model in (AccessToken, RefreshToken, Grant, DeviceGrant):
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (table names from models)
            for row in cursor.fetchall():
                values.extend(str(value) for value in row if value is not None)
    return values


@pytest.mark.checklist(21, "RFC 6819 5.1.4.1.3, RFC 9700 4.14")
def test_no_column_holds_a_raw_token_code_or_device_code(owner, owner_client, code_app, app):
    code, verifier = get_code(owner_client, code_app)
    pending_code, _ = get_code(owner_client, code_app)
    tokens = exchange(Client(), code_app, code, verifier).json()
    implicit = consent(owner_client, authorize_url(client_id=app.client_id, response_type="token"))
    implicit_token = redirect_params(implicit)[2]["access_token"]
    stored = _all_text_values()
    for secret in (tokens["access_token"], tokens["refresh_token"], implicit_token, pending_code):
        assert not any(secret in value for value in stored), "a raw credential is stored"
    assert oauth2.digest(tokens["access_token"]) in stored
    assert oauth2.digest(pending_code) in stored


@pytest.mark.checklist(22, "RFC 6819 5.1.4.2.3")
def test_secrets_and_verifiers_are_compared_in_constant_time():
    # Client secrets: Django's hashers (check_password), or compare_digest for an unhashed one.
    check_secret = inspect.getsource(OAuth2Validator._check_secret)
    assert "check_password" in check_secret and "constant_time_compare" in check_secret
    # PKCE verifiers: the one S256 rule oauthlib is given compares with hmac.compare_digest.
    server = oauth2.Server(oauth2.Validator())
    assert server.auth_grant._code_challenge_methods == {pkce.S256: pkce.verifier_matches}
    assert "hmac.compare_digest" in inspect.getsource(pkce.verifier_matches)
    # Tokens and codes are found by their SHA-256 digest in an index, never compared by hand.
    assert "digest(" in inspect.getsource(oauth2.Validator.validate_code)


@pytest.mark.checklist(23, "RFC 6819 5.1.4.1.3, 5.2.3.1")
def test_client_secrets_are_hashed_at_rest(confidential_app):
    application, secret = confidential_app
    assert identify_hasher(application.client_secret)
    assert secret not in application.client_secret


@pytest.mark.checklist(23, "RFC 6819 5.1.4.1.3")
def test_logs_of_a_failed_client_authentication_hold_no_secret(confidential_app, caplog):
    application, secret = confidential_app
    caplog.set_level(logging.DEBUG)
    response = Client().post(
        "/api/v1/token",
        {
            "grant_type": "authorization_code",
            "code": "some-code-value",
            "code_verifier": "some-verifier-value",
            "client_id": application.client_id,
            "client_secret": secret + "x",
        },
    )
    assert response.status_code == 401
    for forbidden in (secret, "some-code-value", "some-verifier-value"):
        assert forbidden not in caplog.text


def test_an_empty_client_secret_never_authenticates():
    assert not oauth2.Validator()._check_secret("", "")
    assert not oauth2.Validator()._check_secret("", "plain-stored")


@pytest.mark.checklist(21, "RFC 9700 4.14")
def test_tokens_do_not_expire_by_default(owner_client, app, settings):
    response = consent(owner_client, authorize_url(client_id=app.client_id, response_type="token"))
    token = AccessToken.objects.get()
    assert (token.expires - token.created).days > 365 * 50
    assert re.search(r"expires_in=\d{9,}", response["Location"])
