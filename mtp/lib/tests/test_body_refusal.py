"""One size rule for every request body (mtp.lib.http.body_refusal): the API, the OAuth
endpoints and the site refuse the same bodies with the same status and message, each in its
own error shape."""

import pytest
from django.test import Client, override_settings

from mtp.lib.http import LENGTH_REQUIRED

PATHS = ["/api/v1/sequence", "/api/v1/token", "/accounts/login/"]
OVER_THE_LIMIT = "The request body is over the limit of 2048 bytes."


def message(response) -> str:
    """The message, in whichever shape the path answers: the API's, RFC 6749's, plain text."""
    if response["Content-Type"].startswith("application/json"):
        data = response.json()
        return data.get("error_description") or data["error"]
    return response.content.decode()


def post(path: str, body: bytes, **extra):
    return Client().generic("POST", path, body, content_type="application/json", **extra)


@pytest.mark.django_db
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
@pytest.mark.parametrize("path", PATHS)
def test_a_body_over_the_limit_is_a_413_saying_the_limit(path):
    response = post(path, b"x" * 4096)
    assert (response.status_code, message(response)) == (413, OVER_THE_LIMIT)


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_a_content_length_that_is_not_a_number_is_a_400(path):
    response = post(path, b"{}", CONTENT_LENGTH="lots")
    assert response.status_code == 400
    assert message(response) == "The Content-Length header is not a number."


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_a_chunked_body_without_a_length_is_a_411(path):
    response = post(path, b"", HTTP_TRANSFER_ENCODING="chunked")
    assert (response.status_code, message(response)) == (411, LENGTH_REQUIRED)


@pytest.mark.django_db
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_the_api_names_the_limit_in_its_detail():
    assert post("/api/v1/sequence", b"x" * 4096).json()["detail"] == {"limit": 2048}
