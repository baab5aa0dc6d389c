"""Input no client should send answers a 4xx in the API's error shape, never a 5xx or HTML."""

import base64
import json

import pytest

from mtp.api.schemas import ErrorOut
from mtp.sequences.models import Sequence
from testing.builders import API

CREATE = f"{API}/sequence/create"
URLENCODED = "application/x-www-form-urlencoded"
DEEP = "[" * 5000 + "]" * 5000


@pytest.fixture
def client(client):
    # A 5xx must come back as a response to assert on, not as the exception behind it.
    client.raise_request_exception = False
    return client


def assert_api_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    ErrorOut.model_validate(body)
    return body


def cursor(*parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


# -- JSON bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize("with_token", [True, False])
def test_json_nested_5000_levels_deep_is_a_400(client, owner_headers, with_token):
    headers = owner_headers if with_token else {}
    response = client.post(CREATE, DEEP, content_type="application/json", **headers)
    assert_api_error(response, 400 if with_token else 401)
    body = '{"name": ' + DEEP + ', "transport_type": "Walk"}'
    response = client.post(CREATE, body, content_type="application/json", **headers)
    assert_api_error(response, 400 if with_token else 401)


@pytest.mark.parametrize("field", ["name", "description", "transport_type", "tag"])
def test_a_lone_utf16_surrogate_in_any_text_field_is_a_400(client, owner_headers, field):
    fields = {"name": '"Walk"', "transport_type": '"Walk"', field: '"a\\ud800b"'}
    body = "{" + ", ".join(f'"{key}": {value}' for key, value in fields.items()) + "}"
    response = client.post(CREATE, body, content_type="application/json", **owner_headers)
    assert "surrogate" in assert_api_error(response, 400)["error"]
    assert not Sequence.objects.exists()


def test_a_surrogate_pair_is_a_character_like_any_other(client, owner_headers):
    body = '{"name": "Walk \\ud83d\\ude00", "transport_type": "Walk"}'
    response = client.post(CREATE, body, content_type="application/json", **owner_headers)
    assert response.status_code == 201, response.content
    assert Sequence.objects.get().name == "Walk \N{GRINNING FACE}"


def test_a_lone_surrogate_in_a_client_id_in_the_body_is_refused(client, owner_headers):
    body = '{"client_id": "a\\udfffb", "name": "Walk", "transport_type": "Walk"}'
    response = client.post(CREATE, body, content_type="application/json", **owner_headers)
    assert_api_error(response, 400)


# -- cursors and times --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "value"),
    [
        ("newest", cursor("newest", "9" * 400, 1)),
        ("distance", cursor("distance", 10**400, 1)),
        ("distance", cursor("distance", 1, 10**400)),
        ("distance", base64.urlsafe_b64encode(b'["distance", NaN, 1]').decode()),
        ("distance", base64.urlsafe_b64encode(b'["distance", Infinity, 1]').decode()),
        ("captured", cursor("captured", "9999-12-31T23:59:59-23:59", 1)),
        ("captured", cursor("captured", "0001-01-01T00:00:00+23:59", 1)),
        ("newest", cursor("newest", "+275760-09-13T00:00:00Z", 1)),
        ("newest", base64.urlsafe_b64encode(b"[" * 5000).decode()),
        ("newest", base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode()),
    ],
)
def test_made_up_cursors_are_a_400(client, app, published, sort, value):
    response = client.get(
        f"{API}/sequences", {"client_id": app.client_id, "sort": sort, "cursor": value}
    )
    assert "cursor" in assert_api_error(response, 400)["error"]


def test_a_made_up_position_cursor_is_a_400(client, app, published):
    for value in [cursor("position", 2**70, 1), base64.urlsafe_b64encode(b"[" * 5000).decode()]:
        response = client.get(
            f"{API}/sequence/{published.unique_id}/images",
            {"client_id": app.client_id, "cursor": value},
        )
        assert_api_error(response, 400)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("captured_after", "0001-01-01T00:00:00Z"),
        ("captured_before", "9999-12-31T23:59:59Z"),
        ("captured_after", "0001-01-01T00:00:00-23:59"),
        ("captured_before", "9999-12-31T23:59:59+23:59"),
        # No UTC value within the calendar: before, or after, every capture.
        ("captured_after", "0001-01-01T00:00:00+23:59"),
        ("captured_before", "9999-12-31T23:59:59-23:59"),
    ],
)
def test_capture_times_at_the_ends_of_the_calendar_are_answered(
    client, app, published, field, value
):
    response = client.get(f"{API}/sequences", {"client_id": app.client_id, field: value})
    assert response.status_code == 200, response.content
    assert [row["unique_id"] for row in response.json()["results"]] == [str(published.unique_id)]


def test_capture_times_at_the_other_end_of_the_calendar_find_nothing(client, app, published):
    for field, value in [
        ("captured_after", "9999-12-31T23:59:59-23:59"),
        ("captured_before", "0001-01-01T00:00:00+23:59"),
    ]:
        response = client.get(f"{API}/sequences", {"client_id": app.client_id, field: value})
        assert response.status_code == 200, response.content
        assert response.json()["results"] == []


# -- what Django refuses before the API (always JSON) -------------------------------------------


def test_a_query_of_250_parameters_is_json(client, app):
    query = "&".join(f"p{number}=1" for number in range(250))
    response = client.get(f"{API}/sequences?client_id={app.client_id}&{query}")
    assert "too many" in assert_api_error(response, 413)["error"]


def test_a_form_of_250_fields_is_json(client, owner_headers):
    body = "&".join(f"p{number}=1" for number in range(250))
    assert_api_error(client.post(CREATE, body, content_type=URLENCODED, **owner_headers), 413)


def test_multipart_without_a_boundary_is_json(client, owner_headers):
    response = client.post(CREATE, b"x", content_type="multipart/form-data", **owner_headers)
    assert_api_error(response, 400)


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("get", {"path": "/api/v1/token?" + "&".join(f"p{n}=1" for n in range(250))}),
        (
            "post",
            {
                "path": "/api/v1/token",
                "data": "&".join(f"p{n}=1" for n in range(250)),
                "content_type": URLENCODED,
            },
        ),
        ("post", {"path": "/api/v1/token", "data": b"x", "content_type": "multipart/form-data"}),
        ("post", {"path": "/api/v1/revoke", "data": b"x", "content_type": "multipart/form-data"}),
    ],
)
def test_the_token_endpoint_answers_unreadable_requests_in_rfc_6749_json(
    client, db, method, kwargs
):
    response = getattr(client, method)(**kwargs)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_description"]


def test_the_site_keeps_its_html_400(client, db):
    body = "&".join(f"p{number}=1" for number in range(250))
    response = client.post("/accounts/login/", body, content_type=URLENCODED)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


# -- chunked bodies -----------------------------------------------------------------------------


def chunked(client, path: str, **headers):
    # What a server hands Django for a chunked request: the header, and no Content-Length.
    return client.generic(
        "POST",
        path,
        b"",
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        **headers,
    )


def test_a_chunked_body_without_a_length_is_a_411_not_an_empty_body(client, owner_headers):
    body = assert_api_error(chunked(client, CREATE, **owner_headers), 411)
    assert "Content-Length" in body["error"]
    assert not Sequence.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/token", "/accounts/login/"])
def test_a_chunked_body_is_refused_at_the_oauth_endpoints_and_the_site_too(client, db, path):
    response = chunked(client, path)
    assert response.status_code == 411
    if path.startswith("/api/"):
        assert response.json()["error"] == "invalid_request"
