"""Challenges written with input at the edges: windows at the ends of the calendar, areas
nested past what any GeoJSON needs."""

import json

import pytest

from mtp.challenges.models import Challenge
from testing.builders import API, bearer

URL = f"{API}/challenges"
GENEVA = [[6.13, 46.19], [6.16, 46.19], [6.16, 46.21], [6.13, 46.21], [6.13, 46.19]]
# No UTC value within years 1 to 9999: the databases are given moments in UTC.
PAST_UTC = [
    ("start", "0001-01-01T00:00:00+14:00"),
    ("end", "9999-12-31T23:59:59-14:00"),
]


def body(**fields) -> dict:
    return {
        "name": "Map old Geneva",
        "area": {"type": "Polygon", "coordinates": [GENEVA]},
        "start": "2024-05-01T00:00:00Z",
        "end": "2024-06-01T00:00:00Z",
        **fields,
    }


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
def client(client, settings):
    settings.MTP_CHALLENGE_CREATORS = "everyone"
    # A 5xx must come back as a response to assert on, not as the exception behind it.
    client.raise_request_exception = False
    return client


def send(client, method: str, url: str, data: str, token) -> object:
    return getattr(client, method)(url, data, content_type="application/json", **bearer(token))


@pytest.mark.parametrize(("field", "value"), PAST_UTC)
def test_a_challenge_window_with_no_utc_value_is_a_422_on_create(client, owner_token, field, value):
    response = send(client, "post", URL, json.dumps(body(**{field: value})), owner_token)
    assert response.status_code == 422, response.content
    assert "out of range once converted to UTC" in response.json()["error"]
    assert not Challenge.objects.exists()


@pytest.mark.parametrize(("field", "value"), PAST_UTC)
def test_a_challenge_window_with_no_utc_value_is_a_422_on_change(client, owner_token, field, value):
    created = send(client, "post", URL, json.dumps(body()), owner_token)
    assert created.status_code == 201, created.content
    url = f"{URL}/{created.json()['unique_id']}"
    response = send(client, "patch", url, json.dumps({field: value}), owner_token)
    assert response.status_code == 422, response.content
    assert "out of range once converted to UTC" in response.json()["error"]
    challenge = Challenge.objects.get()
    assert (challenge.start.year, challenge.end.year) == (2024, 2024)


def test_a_window_at_the_calendar_ends_in_utc_is_kept(client, owner_token):
    data = body(start="0001-01-01T00:00:00Z", end="9999-12-31T23:59:59Z")
    response = send(client, "post", URL, json.dumps(data), owner_token)
    assert response.status_code == 201, response.content
    challenge = Challenge.objects.get()
    assert (challenge.start.year, challenge.end.year) == (1, 9999)


@pytest.mark.parametrize("depth", [500, 1000, 5000])
def test_an_area_nested_deep_is_a_4xx_not_a_500(client, owner_token, depth):
    area = '{"type": "Polygon", "coordinates": ' + nested(depth) + "}"
    data = json.dumps(body(area=None)).replace('"area": null', f'"area": {area}')
    response = send(client, "post", URL, data, owner_token)
    assert response.status_code in (400, 422), response.content[:300]
    assert response.json()["error"]
    assert not Challenge.objects.exists()
