"""GET /api/v1/sequence/<unique_id>/images"""

import pytest

from mtp.api.schemas import ImageListOut
from testing.builders import API, GENEVA_WALK, make_sequence


def url(sequence) -> str:
    return f"{API}/sequence/{sequence.unique_id}/images"


def test_images_come_in_capture_order(client, app, published):
    response = client.get(url(published), {"client_id": app.client_id})
    assert response.status_code == 200
    body = ImageListOut.model_validate(response.json())
    assert [image.position for image in body.results] == [0, 1, 2, 3]
    assert [(image.lon, image.lat) for image in body.results] == GENEVA_WALK
    assert body.results[0].captured_at.isoformat() == "2024-05-01T09:00:00+00:00"
    assert body.next is None


def test_images_come_a_page_at_a_time(client, app, owner):
    route = [(6.0 + index / 1000, 46.0) for index in range(25)]
    sequence = make_sequence(owner, route=route)
    positions = []
    next_url = f"{url(sequence)}?client_id={app.client_id}&limit=10"
    while next_url:
        page = client.get(next_url).json()
        positions += [image["position"] for image in page["results"]]
        next_url = page["next"] and page["next"].removeprefix("http://127.0.0.1:8000")
    assert positions == list(range(25))


def test_images_as_geojson_are_points(client, owner_headers, published):
    response = client.get(url(published), HTTP_ACCEPT="application/geo+json", **owner_headers)
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["features"][0]["geometry"] == {"type": "Point", "coordinates": [6.1432, 46.2044]}


@pytest.mark.parametrize("status", ["draft", "importing", "failed"])
def test_images_of_unpublished_sequences_are_the_owners_only(
    client, owner, owner_headers, other_headers, status
):
    sequence = make_sequence(owner, status=status)
    assert client.get(url(sequence), **owner_headers).status_code == 200
    assert client.get(url(sequence), **other_headers).status_code == 404


def test_the_number_of_queries_does_not_grow_with_the_images(
    client, owner, owner_headers, django_assert_max_num_queries
):
    sequence = make_sequence(owner, route=[(6.0 + n / 1000, 46.0) for n in range(60)])
    # token, sequence, images with their camera; the rate-limit count (and, at most once a
    # minute per process, its sweep of expired counters)
    with django_assert_max_num_queries(5):
        response = client.get(url(sequence), **owner_headers)
    assert len(response.json()["results"]) == 60
