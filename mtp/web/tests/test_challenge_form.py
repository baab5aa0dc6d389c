"""The new-challenge form with input at the edges: times at the ends of the calendar, areas
nested past what any GeoJSON needs."""

import json

import pytest

from mtp.challenges.models import Challenge

LONDON = [[-0.13, 51.49], [-0.10, 51.49], [-0.10, 51.51], [-0.13, 51.51], [-0.13, 51.49]]


@pytest.fixture
def creator(client, owner, settings):
    settings.MTP_CHALLENGE_CREATORS = "everyone"
    client.force_login(owner)
    # A 5xx must come back as a response to assert on, not as the exception behind it.
    client.raise_request_exception = False
    return client


def new_challenge(client, **fields):
    data = {
        "name": "Map the river",
        "description": "",
        "area": json.dumps({"type": "Polygon", "coordinates": [LONDON]}),
        "camera_makes": "",
        "start": "2024-05-01T00:00",
        "end": "2024-06-01T00:00",
        **fields,
    }
    return client.post("/challenges/new/", data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("start", "0001-01-01T00:00:00+14:00"), ("end", "9999-12-31T23:59:59-14:00")],
)
def test_a_time_with_no_utc_value_is_a_form_error(creator, field, value):
    response = new_challenge(creator, **{field: value})
    assert response.status_code == 200
    assert "out of range once converted to UTC" in response.content.decode()
    assert not Challenge.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [500, 1000, 5000])
def test_an_area_nested_deep_is_a_form_error(creator, depth):
    area = '{"type": "Polygon", "coordinates": ' + "[" * depth + "]" * depth + "}"
    response = new_challenge(creator, area=area)
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not Challenge.objects.exists()
