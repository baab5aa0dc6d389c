"""A sequence's page: its facts, links and map; drafts only for their owner."""

import json
import re
from datetime import UTC, datetime

import pytest

from mtp.imports.models import ImportJob
from testing.builders import draft, failed_import, publish


def page_of(client, sequence) -> str:
    response = client.get(sequence.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def map_data(html: str) -> dict:
    block = re.search(r'<script id="map-config" type="application/json">(.*?)</script>', html, re.S)
    assert block is not None, "the page has no map configuration"
    return json.loads(block.group(1))["sequence"]


@pytest.mark.django_db
def test_the_page_says_who_when_how_far_and_with_what(client, owner, camera):
    owner.display_name = "Olivia R."
    owner.save()
    sequence = publish(
        owner,
        "Thames path",
        description="Along the river.\nEarly.",
        photos=12,
        tags=("river", "autumn"),
        camera_make=camera.make,
        camera_model=camera,
    )
    html = page_of(client, sequence)
    assert "<h1>Thames path</h1>" in html
    assert "Earth › Walk" in html
    assert "Olivia R." in html and f'href="/accounts/users/{owner.username}/"' in html
    assert "3 May 2024, 07:30" in html and "07:31" in html and "(2 min)" in html
    assert f"{sequence.distance_m / 1000:.1f} km" in html or f"{sequence.distance_m:.0f} m" in html
    assert "<dt>Photos</dt><dd>12" in html
    assert "GoPro Max" in html
    assert 'href="/?tag=autumn"' in html and 'href="/?tag=river"' in html
    assert "Along the river.<br>Early." in html


@pytest.mark.django_db
def test_links_go_to_mapillary_google_street_view_and_strava_when_set(client, owner):
    bare = publish(owner, "Bare")
    html = page_of(client, bare)
    assert "mapillary.com/app/?pKey=" in html
    assert "Google Street View" not in html and "Strava" not in html
    linked = publish(
        owner,
        "Linked",
        google_street_view="https://maps.app.goo.gl/abc123",
        strava="987654",
    )
    first_photo = linked.images.order_by("position").first().mapillary_key
    html = page_of(client, linked)
    assert f'href="https://www.mapillary.com/app/?pKey={first_photo}&amp;focus=photo"' in html
    assert 'href="https://maps.app.goo.gl/abc123"' in html
    assert 'href="https://www.strava.com/activities/987654"' in html


@pytest.mark.django_db
def test_the_strava_link_is_built_from_the_stored_activity_id(client, owner):
    # Whatever was typed, the id is what is stored (mtp.sequences.external_links.parse_strava).
    sequence = publish(owner, "Ride", strava="5")
    html = page_of(client, sequence)
    assert 'href="https://www.strava.com/activities/5"' in html


@pytest.mark.django_db
def test_the_map_gets_the_route_and_every_photo_in_order(client, owner):
    sequence = publish(owner, photos=4, start=(2.0, 48.0))
    data = map_data(page_of(client, sequence))
    assert data["route"] == [
        [pytest.approx(2.0 + 0.001 * i), pytest.approx(48.0 + 0.0005 * i)] for i in range(4)
    ]
    keys = list(sequence.images.order_by("position").values_list("mapillary_key", flat=True))
    assert [photo[0] for photo in data["photos"]] == keys
    key, lon, lat, angle, at, pano = data["photos"][0]
    assert (lon, lat, pano) == (pytest.approx(2.0), pytest.approx(48.0), 0)
    assert at == int(datetime(2024, 5, 3, 7, 30, tzinfo=UTC).timestamp())
    assert data["bbox"] == pytest.approx([2.0, 48.0, 2.003, 48.0015])
    assert data["total"] == 4


@pytest.mark.django_db
def test_a_draft_is_the_same_404_as_nothing_for_anyone_but_its_owner(client, other_client, owner):
    sequence = draft(owner)
    assert client.get(sequence.get_absolute_url()).status_code == 404
    assert other_client.get(sequence.get_absolute_url()).status_code == 404
    assert client.get("/sequences/00000000-0000-0000-0000-000000000000/").status_code == 404


@pytest.mark.django_db
def test_the_owner_sees_a_draft_with_what_to_do_next(owner_client, owner):
    sequence = draft(owner, "Not yet")
    html = page_of(owner_client, sequence)
    assert "A draft: only you can see it." in html
    assert f'href="/my/sequences/{sequence.unique_id}/import/"' in html
    assert 'data-map="sequence"' not in html  # no route yet, no map


@pytest.mark.django_db
def test_the_owner_sees_why_an_import_failed_and_the_progress_of_a_running_one(owner_client, owner):
    failed = failed_import(owner, error="Mapillary says the token expired.")
    assert "The import failed: Mapillary says the token expired." in page_of(owner_client, failed)
    running = draft(owner, "Running", status="importing")
    ImportJob.objects.create(
        sequence=running,
        mapillary_sequence_key="k1",
        status="running",
        progress_done=3,
        progress_total=9,
    )
    assert "3 of 9 photos" in page_of(owner_client, running)


@pytest.mark.django_db
def test_only_the_owner_is_offered_edit_and_delete(client, owner_client, owner):
    sequence = publish(owner)
    edit = f'href="/my/sequences/{sequence.unique_id}/edit/"'
    assert edit in page_of(owner_client, sequence)
    assert edit not in page_of(client, sequence)


@pytest.mark.django_db
def test_the_explore_link_frames_the_route(client, owner):
    sequence = publish(owner, photos=3, start=(2.0, 48.0))
    html = page_of(client, sequence)
    match = re.search(r'href="/#map=(\d+)/([-\d.]+)/([-\d.]+)"', html)
    zoom, lat, lon = int(match.group(1)), float(match.group(2)), float(match.group(3))
    assert 12 <= zoom <= 16
    assert (lat, lon) == pytest.approx((48.0005, 2.001))


@pytest.mark.django_db
def test_the_route_downloads_as_geojson_and_gpx(client, owner):
    sequence = publish(owner, "Thames path", photos=4, tags=("river",))
    geojson = client.get(sequence.get_absolute_url(), {"format": "geojson"})
    assert geojson.status_code == 200
    assert geojson["Content-Type"] == "application/geo+json"
    short = str(sequence.unique_id)[:8]
    assert geojson["Content-Disposition"] == f'attachment; filename="thames-path-{short}.geojson"'
    feature = geojson.json()
    assert feature["type"] == "Feature" and feature["id"] == str(sequence.unique_id)
    assert len(feature["geometry"]["coordinates"]) == 4
    assert feature["properties"]["tags"] == ["river"]
    gpx = client.get(sequence.get_absolute_url(), {"format": "gpx"})
    assert gpx["Content-Type"].startswith("application/gpx+xml")
    assert gpx["Content-Disposition"] == f'attachment; filename="thames-path-{short}.gpx"'
    assert gpx.content.decode().count("<trkpt ") == 4


@pytest.mark.django_db
def test_an_unknown_download_format_is_a_400_naming_the_formats(client, owner):
    response = client.get(publish(owner).get_absolute_url(), {"format": "kml"})
    assert response.status_code == 400
    assert "format=geojson or format=gpx" in response.content.decode()


@pytest.mark.django_db
def test_a_draft_downloads_only_for_its_owner(client, owner_client, owner):
    sequence = draft(owner)
    assert client.get(sequence.get_absolute_url(), {"format": "gpx"}).status_code == 404
    assert owner_client.get(sequence.get_absolute_url(), {"format": "gpx"}).status_code == 200
