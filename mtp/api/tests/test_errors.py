"""Every failure under /api/v1 is JSON in one shape, with the right status."""

import json
import os
import subprocess
import sys

import pytest
from django.test import override_settings

from mtp.api.schemas import ErrorOut
from mtp.api.tests.conftest import API
from mtp.lib import ratelimit
from mtp.sequences.models import Sequence

CREATE = f"{API}/sequence/create"


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    ErrorOut.model_validate(body)
    return body


@pytest.mark.parametrize(
    "path", ["/nothing", "/nothing/", "/sequence", "/sequence/create/extra", "/v2/sequences"]
)
def test_unknown_paths_are_a_json_404(client, path):
    assert_error(client.get(f"{API}{path}"), 404)
    assert_error(client.post(f"{API}{path}", {"a": "b"}), 404)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("get", "/sequence/create", ["POST"]),
        ("get", "/sequence/create/", ["POST"]),
        ("post", "/sequences", ["GET", "HEAD"]),
        ("delete", "/me", ["GET", "HEAD"]),
        (
            "post",
            "/sequence/00000000-0000-4000-8000-000000000000",
            ["DELETE", "GET", "HEAD", "PATCH"],
        ),
    ],
)
def test_a_wrong_method_is_a_json_405_with_allow(client, method, path, allowed):
    body = assert_error(getattr(client, method)(f"{API}{path}"), 405)
    assert body["detail"]["allowed"] == allowed
    assert getattr(client, method)(f"{API}{path}")["Allow"] == ", ".join(allowed)


def test_a_missing_token_is_a_json_401_with_a_challenge(client):
    response = client.post(CREATE, {"name": "x"})
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_token_is_a_json_401(client, db):
    assert_error(client.post(CREATE, {"name": "x"}, HTTP_AUTHORIZATION="Bearer nope"), 401)


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_a_json_body_over_the_limit_is_a_413(client, owner_headers):
    body = json.dumps({"name": "x", "transport_type": "Walk", "description": "d" * 4000})
    response = client.post(CREATE, body, content_type="application/json", **owner_headers)
    assert assert_error(response, 413)["detail"]["limit"] == 2048


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
@pytest.mark.parametrize("content_type", ["multipart", "application/x-www-form-urlencoded"])
def test_a_form_over_the_limit_is_a_413(client, owner_headers, content_type):
    form = {"name": "x", "transport_type": "Walk", "description": "d" * 4000}
    if content_type == "multipart":
        response = client.post(CREATE, form, **owner_headers)
    else:
        from urllib.parse import urlencode

        response = client.post(CREATE, urlencode(form), content_type=content_type, **owner_headers)
    assert_error(response, 413)


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_an_oversized_body_is_refused_before_authentication(client):
    response = client.post(CREATE, "x" * 4096, content_type="application/json")
    assert_error(response, 413)


def test_a_garbled_content_length_is_a_400(client, owner_headers):
    response = client.post(
        CREATE, "{}", content_type="application/json", CONTENT_LENGTH="lots", **owner_headers
    )
    assert_error(response, 400)


def test_an_unexpected_failure_is_a_json_500_without_details(
    client, owner_headers, monkeypatch, published
):
    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(Sequence, "to_dict", broken)
    response = client.get(f"{API}/sequence/{published.unique_id}", **owner_headers)
    body = assert_error(response, 500)
    assert "fire" not in body["error"]


def test_too_many_import_calls_are_a_429_with_retry_after(
    client, owner_headers, draft, settings, monkeypatch
):
    settings.MTP_API_RATE_IMPORT = 2
    monkeypatch.setattr(ratelimit, "now", lambda: 1_000_000_040)  # 20 s into a 60 s window
    url = f"{API}/sequence/import/{draft.unique_id}"
    # Each call changes something: a call that changes nothing is not counted.
    for activity in ("1", "2"):
        body = json.dumps({"strava": activity})
        response = client.put(url, body, content_type="application/json", **owner_headers)
        assert response.status_code == 200
    body = json.dumps({"strava": "3"})
    response = client.put(url, body, content_type="application/json", **owner_headers)
    body = assert_error(response, 429)
    assert response["Retry-After"] == "40"
    assert response["RateLimit-Policy"] == '"api-import";q=2;w=60'
    assert body["detail"]["policy"] == "api-import"


def test_api_root_says_where_the_docs_are(client):
    response = client.get(f"{API}/")
    assert response.status_code == 200
    assert response.json()["openapi"].endswith("/api/v1/openapi.json")


def test_the_database_down_is_a_json_503_with_retry_after(tmp_path):
    # A real server process whose database (PostgreSQL on a closed port) cannot be reached.
    script = (
        "from django.test import Client;"
        "r = Client(HTTP_HOST='localhost').get('/api/v1/sequences?client_id=x');"
        "print(r.status_code, r['Retry-After'], r.content.decode())"
    )
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:9/unreachable",
        "MTP_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "mtp.cli", "shell", "--no-imports", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    status, retry_after, body = result.stdout.strip().split(" ", 2)
    assert (status, retry_after) == ("503", "5")
    assert json.loads(body)["status"] is False


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/sequences", {"data": {"q": "a\x00b"}}),
        ("get", "/sequences", {"data": {"client_id": "a\x00b"}}),
        ("post", "/sequence/create", {"data": {"name": "a\x00b", "transport_type": "Walk"}}),
        (
            "post",
            "/sequence/create",
            {
                "data": '{"name": "a\\u0000b", "transport_type": "Walk"}',
                "content_type": "application/json",
            },
        ),
    ],
)
def test_nul_characters_are_a_400_not_a_crash(client, owner_headers, method, path, kwargs):
    response = getattr(client, method)(f"{API}{path}", **kwargs, **owner_headers)
    assert assert_error(response, 400)["error"] == "Text may not contain NUL characters."


def test_an_escaped_backslash_before_u0000_is_plain_text(client, owner_headers):
    body = '{"name": "a\\\\u0000b", "transport_type": "Walk"}'
    response = client.post(CREATE, body, content_type="application/json", **owner_headers)
    assert response.status_code == 201
    assert response.json()["sequence"]["name"] == "a\\u0000b"
