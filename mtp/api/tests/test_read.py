"""GET /api/v1/sequence/<unique_id>, in JSON, GeoJSON and GPX."""

import uuid
import xml.etree.ElementTree as ET

import pytest

from mtp.api.schemas import SequenceOut
from mtp.imports.models import ImportJob
from mtp.sequences.models import transport_types_by_name
from testing.builders import API, GENEVA_WALK, make_sequence

GPX_NS = {"gpx": "http://www.topografix.com/GPX/1/1"}


def url(sequence) -> str:
    return f"{API}/sequence/{sequence.unique_id}"


def test_a_published_sequence_is_readable_with_just_a_client_id(client, app, published):
    response = client.get(url(published), {"client_id": app.client_id})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = SequenceOut.model_validate(response.json())
    assert body.unique_id == str(published.unique_id)
    assert body.status == "published"
    assert body.transport_type == "Walk"
    assert body.tags == ["geneva", "lake"]
    assert body.image_count == 4
    assert body.distance_m > 0
    assert body.owner.username == "olivia"
    assert body.captured_at_start < body.captured_at_end
    assert body.import_ is None


def test_a_published_sequence_is_readable_by_another_user(client, other_headers, published):
    assert client.get(url(published), **other_headers).status_code == 200


def test_without_client_id_or_token_the_read_is_refused_with_a_bearer_challenge(client, published):
    for query in ("", "?client_id=", "?client_id=%20"):
        response = client.get(url(published) + query)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert "client_id" in response.json()["error"]


@pytest.mark.parametrize("status", ["draft", "importing", "failed"])
def test_unpublished_sequences_are_visible_only_to_their_owner(
    client, owner, app, owner_headers, other_headers, status
):
    sequence = make_sequence(owner, status=status)
    assert client.get(url(sequence), **owner_headers).json()["status"] == status
    assert client.get(url(sequence), **other_headers).status_code == 404
    assert client.get(url(sequence), {"client_id": app.client_id}).status_code == 404


def test_someone_elses_draft_looks_exactly_like_a_missing_sequence(client, other_headers, draft):
    hidden = client.get(url(draft), **other_headers)
    missing = client.get(f"{API}/sequence/{uuid.uuid4()}", **other_headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_an_id_that_is_not_a_uuid_is_a_json_404(client, owner_headers):
    response = client.get(f"{API}/sequence/not-a-uuid", **owner_headers)
    assert response.status_code == 404
    assert response.json()["status"] is False


def test_the_owner_sees_the_latest_import_with_its_progress(
    client, owner_headers, other_headers, published
):
    ImportJob.objects.create(
        sequence=published, mapillary_sequence_key="old", status="failed", last_error="gone"
    )
    ImportJob.objects.create(
        sequence=published,
        mapillary_sequence_key="abc",
        status="running",
        progress_done=3,
        progress_total=8,
    )
    body = client.get(url(published), **owner_headers).json()
    assert body["import"]["status"] == "running"
    assert body["import"]["progress"] == {"done": 3, "total": 8}
    assert body["import"]["error"] is None
    assert client.get(url(published), **other_headers).json()["import"] is None


def test_links_are_null_until_set(client, owner_headers, published):
    body = client.get(url(published), **owner_headers).json()
    assert body["google_street_view"] is None
    assert body["strava"] is None


def test_geojson_is_a_feature_with_the_route(client, owner_headers, published):
    response = client.get(url(published), HTTP_ACCEPT="application/geo+json", **owner_headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert response["Vary"] == "Accept, Accept-Encoding"
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["id"] == str(published.unique_id)
    assert feature["geometry"]["type"] == "LineString"
    assert [tuple(point) for point in feature["geometry"]["coordinates"]] == GENEVA_WALK
    assert feature["properties"]["name"] == "Lake shore walk"
    assert feature["bbox"] == [6.1432, 46.2044, 6.15, 46.207]


def test_a_one_image_sequence_is_a_point_feature(client, owner, owner_headers):
    sequence = make_sequence(owner, route=[(6.1, 46.2)])
    response = client.get(url(sequence), HTTP_ACCEPT="application/geo+json", **owner_headers)
    assert response.json()["geometry"] == {"type": "Point", "coordinates": [6.1, 46.2]}


def test_a_draft_has_a_feature_without_geometry(client, owner_headers, draft):
    response = client.get(url(draft), HTTP_ACCEPT="application/geo+json", **owner_headers)
    assert response.json()["geometry"] is None


def test_gpx_has_a_track_point_per_image_with_its_time(client, owner_headers, published):
    response = client.get(url(published), HTTP_ACCEPT="application/gpx+xml", **owner_headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/gpx+xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own response)
    points = root.findall(".//gpx:trkpt", GPX_NS)
    assert len(points) == 4
    assert [(float(p.get("lon")), float(p.get("lat"))) for p in points] == GENEVA_WALK
    assert points[0].find("gpx:time", GPX_NS).text == "2024-05-01T09:00:00Z"
    assert points[1].find("gpx:time", GPX_NS).text == "2024-05-01T09:00:10Z"
    assert root.find("gpx:trk/gpx:name", GPX_NS).text == "Lake shore walk"


def test_gpx_escapes_the_name(client, owner, owner_headers):
    sequence = make_sequence(owner, name="Fish & <chips>")
    response = client.get(url(sequence), HTTP_ACCEPT="application/gpx+xml", **owner_headers)
    root = ET.fromstring(response.content)  # noqa: S314 (our own response)
    assert root.find("gpx:trk/gpx:name", GPX_NS).text == "Fish & <chips>"


def test_a_format_nobody_offers_is_a_406_listing_the_formats(client, owner_headers, published):
    response = client.get(url(published), HTTP_ACCEPT="text/csv", **owner_headers)
    assert response.status_code == 406
    body = response.json()
    assert body["detail"]["available"] == [
        "application/json",
        "application/geo+json",
        "application/gpx+xml",
    ]
    assert "application/gpx+xml" in body["error"]


def test_a_browsers_accept_header_gets_json(client, owner_headers, published):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get(url(published), HTTP_ACCEPT=accept, **owner_headers)
    assert response["Content-Type"] == "application/json"


def test_quality_values_choose_between_formats(client, owner_headers, published):
    accept = "application/json;q=0.5, application/geo+json"
    response = client.get(url(published), HTTP_ACCEPT=accept, **owner_headers)
    assert response["Content-Type"] == "application/geo+json"


def test_reading_a_sequence_takes_a_fixed_number_of_queries(
    client, owner, owner_headers, django_assert_max_num_queries
):
    sequence = make_sequence(owner, tags=tuple(f"tag-{n}" for n in range(20)))
    transport_types_by_name()  # kept in memory between requests
    # token, sequence with owner, tags, latest import; the rate-limit count (and, at most once
    # a minute per process, its sweep of expired counters)
    with django_assert_max_num_queries(6):
        response = client.get(url(sequence), **owner_headers)
    assert len(response.json()["tags"]) == 20
