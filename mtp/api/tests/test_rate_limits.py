"""API rate limits: per access token, per address without one, tiles apart (MTP_API_RATE_*)."""

import pytest

from mtp.lib import ratelimit
from testing.builders import API, bearer, issue_token

# 20 seconds into a 60-second window: no test can straddle two windows.
MOMENT = 1_000_000_040


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch):
    monkeypatch.setattr(ratelimit, "now", lambda: MOMENT)


def test_a_token_over_its_limit_gets_a_json_429_with_retry_after_and_ratelimit_fields(
    client, settings, owner_token, other_token
):
    settings.MTP_API_RATE_TOKEN = 3
    statuses = [client.get(f"{API}/me", **bearer(owner_token)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get(f"{API}/me", **bearer(owner_token))
    assert response.status_code == 429
    assert response["Retry-After"] == "40"
    assert response["RateLimit-Policy"] == '"api-token";q=3;w=60'
    assert response["RateLimit"] == '"api-token";r=0;t=40'
    body = response.json()
    assert body["status"] is False
    assert body["error"] == "Too many requests: slow down. Try again in 40 seconds."
    assert body["detail"] == {"policy": "api-token", "limit": 3, "window": 60, "retry_after": 40}
    # Another token, even of the same app and address, has its own count.
    assert client.get(f"{API}/me", **bearer(other_token)).status_code == 200


def test_every_reply_tells_the_client_what_is_left(client, settings, owner_token, app):
    settings.MTP_API_RATE_TOKEN = 100
    settings.MTP_API_RATE_ADDRESS = 50
    first = client.get(f"{API}/me", **bearer(owner_token))
    assert first["RateLimit"] == '"api-token";r=99;t=40'
    assert "Retry-After" not in first
    public = client.get(f"{API}/transport-types", {"client_id": app.client_id})
    assert public["RateLimit-Policy"] == '"api-address";q=50;w=60'
    assert public["RateLimit"] == '"api-address";r=49;t=40'


def test_reads_without_a_token_are_limited_per_address(client, settings, app):
    settings.MTP_API_RATE_ADDRESS = 2
    url = f"{API}/transport-types"
    here = [client.get(url, {"client_id": app.client_id}).status_code for _ in range(3)]
    assert here == [200, 200, 429]
    elsewhere = client.get(url, {"client_id": app.client_id}, REMOTE_ADDR="198.51.100.4")
    assert elsewhere.status_code == 200


def test_behind_a_proxy_the_forwarded_address_is_counted(client, settings, app):
    settings.MTP_API_RATE_ADDRESS = 1
    settings.MTP_PROXY_COUNT = 1
    url = f"{API}/transport-types"
    one = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    two = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.6"}
    assert client.get(url, {"client_id": app.client_id}, **one).status_code == 200
    assert client.get(url, {"client_id": app.client_id}, **one).status_code == 429
    assert client.get(url, {"client_id": app.client_id}, **two).status_code == 200


def test_a_refused_request_reads_nothing_from_the_database(
    client, settings, owner_token, django_assert_num_queries
):
    settings.MTP_API_RATE_TOKEN = 1
    client.get(f"{API}/me", **bearer(owner_token))
    with django_assert_num_queries(1):  # the count itself
        assert client.get(f"{API}/me", **bearer(owner_token)).status_code == 429


def test_paths_that_do_not_exist_are_counted_too(client, settings, app):
    settings.MTP_API_RATE_ADDRESS = 1
    assert client.get(f"{API}/nothing-here").status_code == 404
    assert client.get(f"{API}/nothing-here").status_code == 429


def test_tiles_have_their_own_higher_limit(client, settings, app):
    settings.MTP_API_RATE_ADDRESS = 1
    settings.MTP_API_RATE_TILES = 2
    client.get(f"{API}/transport-types", {"client_id": app.client_id})
    assert client.get(f"{API}/transport-types", {"client_id": app.client_id}).status_code == 429
    tile = f"{API}/tiles/0/0/0.mvt"
    first = client.get(tile, {"client_id": app.client_id})
    assert first.status_code in (200, 204)
    assert first["RateLimit-Policy"] == '"tiles";q=2;w=60'
    client.get(tile, {"client_id": app.client_id})
    refused = client.get(tile, {"client_id": app.client_id})
    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"
    assert refused.json()["detail"]["policy"] == "tiles"


def test_a_limit_of_zero_is_no_limit(client, settings, owner_token):
    settings.MTP_API_RATE_TOKEN = 0
    for _ in range(5):
        response = client.get(f"{API}/me", **bearer(owner_token))
        assert response.status_code == 200
    assert "RateLimit" not in response


def test_the_default_limits_never_bother_the_uploader(client, owner, app, draft):
    """An hour of the uploader: a create, then an import poll every 5 minutes, in one window."""
    token = issue_token(owner, app)
    assert (
        client.post(
            f"{API}/sequence/create/", {"name": "Walk", "transport_type": "Walk"}, **bearer(token)
        ).status_code
        == 201
    )
    for _ in range(12):
        response = client.put(
            f"{API}/sequence/import/{draft.unique_id}/",
            {"strava": "123"},
            content_type="application/json",
            **bearer(token),
        )
        assert response.status_code == 200


def test_the_openapi_document_lists_the_429_of_every_operation(client, db):
    document = client.get(f"{API}/openapi.json").json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert "429" in operation["responses"], f"{method.upper()} {path}"
