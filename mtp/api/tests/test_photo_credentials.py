"""The photo endpoint and credentials it refuses: the same answer for a photo of an unpublished
sequence and for a key that does not exist, and counted as bad tokens are elsewhere."""

import pytest

from testing.builders import API, make_sequence

UNKNOWN = "1234567890"
REFUSED = [
    pytest.param({"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNzd29yZA=="}, id="basic"),
    pytest.param({"HTTP_AUTHORIZATION": "Bearer"}, id="bare-bearer"),
    pytest.param({"HTTP_AUTHORIZATION": "Bearer made-up-token"}, id="made-up-token"),
]


def photo(key: str) -> str:
    return f"{API}/images/{key}/thumbnail?size=1024"


@pytest.fixture
def hidden_key(owner) -> str:
    sequence = make_sequence(owner, status="importing")
    return sequence.images.order_by("position")[0].key


@pytest.mark.parametrize("headers", REFUSED)
def test_refused_credentials_tell_an_unpublished_photo_from_no_photo_in_no_way(
    client, hidden_key, headers
):
    hidden = client.get(photo(hidden_key), **headers)
    unknown = client.get(photo(UNKNOWN), **headers)
    assert hidden.status_code == unknown.status_code == 401
    assert hidden.json() == unknown.json()
    assert hidden["WWW-Authenticate"] == unknown["WWW-Authenticate"]


@pytest.mark.parametrize("headers", REFUSED)
def test_refused_credentials_on_photos_count_as_bad_tokens(client, db, settings, headers):
    settings.MTP_API_RATE_BAD_TOKEN = 3
    for _ in range(3):
        assert client.get(photo(UNKNOWN), REMOTE_ADDR="203.0.113.7", **headers).status_code == 401
    refused = client.get(photo(UNKNOWN), REMOTE_ADDR="203.0.113.7", **headers)
    assert refused.status_code == 429
    assert refused.json()["detail"]["policy"] == "api-bad-token"


@pytest.mark.parametrize("headers", REFUSED[:2])
def test_credentials_of_another_scheme_count_as_bad_tokens_in_the_api_too(
    client, db, settings, headers
):
    settings.MTP_API_RATE_BAD_TOKEN = 3
    for _ in range(3):
        assert client.get(f"{API}/me", REMOTE_ADDR="203.0.113.8", **headers).status_code == 401
    assert client.get(f"{API}/me", REMOTE_ADDR="203.0.113.8", **headers).status_code == 429


def test_a_live_token_of_someone_else_gets_the_404_of_no_photo(client, hidden_key, other_headers):
    hidden = client.get(photo(hidden_key), **other_headers)
    unknown = client.get(photo(UNKNOWN), **other_headers)
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json()
