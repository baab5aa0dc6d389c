"""GET /api/v1/images/nearby: the nearest photo of each other published sequence around a
place, nearest first, filtered by heading and capture time."""

from datetime import UTC, datetime

import pytest

from mtp.sequences.models import Image
from mtp.sequences.nearby import angle_between, spans
from testing.builders import make_sequence

pytestmark = pytest.mark.django_db

# A street corner in Geneva; 0.0001° of longitude is about 7.7 m here.
LON, LAT = 6.1432, 46.2044


def walk_past(owner, name, *, day, offset=0.0, **fields):
    """A walk eastwards passing the corner, a photo every 0.0001° (about 7.7 m)."""
    route = [(LON + offset + (index - 3) * 0.0001, LAT) for index in range(7)]
    return make_sequence(
        owner, name=name, route=route, captured=datetime(2024, 5, day, 9, tzinfo=UTC), **fields
    )


def ask(client, headers, **params):
    response = client.get("/api/v1/images/nearby", params, **headers)
    return response


def test_each_sequence_gives_its_nearest_photo_nearest_first(
    client, owner, other_user, owner_headers
):
    near = walk_past(owner, "Near", day=1, offset=0.00002)
    nearer = walk_past(other_user, "Nearer", day=2)
    walk_past(other_user, "Far away", day=3, offset=0.003)  # over 200 m east
    walk_past(owner, "Not published", day=4, status="draft")
    response = ask(client, owner_headers, lon=LON, lat=LAT)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [found["sequence"]["name"] for found in results] == ["Nearer", "Near"]
    assert results[0]["distance_m"] == 0.0
    assert 1.0 < results[1]["distance_m"] < 2.0
    assert results[0]["key"] == nearer.images.get(position=3).key
    assert results[1]["sequence"] == {
        "unique_id": str(near.unique_id),
        "name": "Near",
        "owner": owner.username,
    }
    assert results[0]["thumb_1024_url"].endswith(f"/images/{results[0]['key']}/thumbnail?size=1024")


def test_the_sequence_being_viewed_is_left_out(client, owner, other_user, owner_headers):
    viewed = walk_past(owner, "Viewed", day=1)
    walk_past(other_user, "Other", day=2)
    response = ask(client, owner_headers, lon=LON, lat=LAT, exclude_sequence=viewed.unique_id)
    assert [found["sequence"]["name"] for found in response.json()["results"]] == ["Other"]


def test_a_heading_keeps_photos_looking_that_way_and_every_panorama(
    client, owner, other_user, owner_headers
):
    east = walk_past(owner, "Looking east", day=1)
    west = walk_past(other_user, "Looking west", day=2)
    pano = walk_past(other_user, "All round", day=3)
    Image.objects.filter(sequence=east).update(compass_angle=80.0)
    Image.objects.filter(sequence=west).update(compass_angle=265.0)
    Image.objects.filter(sequence=pano).update(compass_angle=None, is_pano=True)
    looking_west = ask(client, owner_headers, lon=LON, lat=LAT, heading=300, tolerance=40)
    names = {found["sequence"]["name"] for found in looking_west.json()["results"]}
    assert names == {"Looking west", "All round"}
    # Across north: 350° and 20° are 30° apart.
    Image.objects.filter(sequence=east).update(compass_angle=350.0)
    north = ask(client, owner_headers, lon=LON, lat=LAT, heading=20, tolerance=30)
    assert {found["sequence"]["name"] for found in north.json()["results"]} == {
        "Looking east",
        "All round",
    }


def test_capture_times_pick_the_same_place_at_other_dates(client, owner, other_user, owner_headers):
    for day in (1, 10, 20):
        walk_past(other_user if day % 2 else owner, f"Day {day}", day=day)
    response = ask(
        client,
        owner_headers,
        lon=LON,
        lat=LAT,
        captured_after="2024-05-05",
        captured_before="2024-05-15T00:00:00Z",
    )
    assert [found["sequence"]["name"] for found in response.json()["results"]] == ["Day 10"]


def test_the_radius_and_the_limit_bound_the_answer(client, owner, other_user, owner_headers):
    walk_past(owner, "Thirty metres east", day=1, offset=0.0007)  # nearest photo ~30.8 m away
    assert ask(client, owner_headers, lon=LON, lat=LAT).json()["results"] == []
    wide = ask(client, owner_headers, lon=LON, lat=LAT, radius=40).json()["results"]
    assert [found["sequence"]["name"] for found in wide] == ["Thirty metres east"]
    for day in range(2, 6):
        walk_past(other_user, f"Walk {day}", day=day)
    assert len(ask(client, owner_headers, lon=LON, lat=LAT, limit=2).json()["results"]) == 2


def test_photos_across_the_180th_meridian_are_near(client, owner, owner_headers):
    route = [(-179.99995, 0.0), (-179.9999, 0.0)]
    make_sequence(owner, name="Date line", route=route)
    response = ask(client, owner_headers, lon=179.99995, lat=0.0)
    (found,) = response.json()["results"]
    assert found["sequence"]["name"] == "Date line"
    assert 10 < found["distance_m"] < 12


@pytest.mark.parametrize(
    "params",
    [
        {"lon": 6.1},
        {"lon": 181, "lat": 0},
        {"lon": 0, "lat": -91},
        {"lon": 0, "lat": 0, "radius": 101},
        {"lon": 0, "lat": 0, "radius": 0},
        {"lon": 0, "lat": 0, "heading": 361},
        {"lon": 0, "lat": 0, "limit": 0},
        {"lon": 0, "lat": 0, "exclude_sequence": "not-a-uuid"},
        {"lon": "nan", "lat": 0},
    ],
)
def test_a_question_out_of_range_is_refused_naming_the_field(client, owner_headers, params):
    response = ask(client, owner_headers, **params)
    assert response.status_code in (400, 422)
    assert response.json()["error"]


def test_headings_and_boxes():
    assert angle_between(350, 10) == 20
    assert angle_between(90, 270) == 180
    (box,) = spans(6.0, 46.0, 15)
    assert box[0] < 6.0 < box[2] and box[1] < 46.0 < box[3]
    assert len(spans(179.99999, 0, 15)) == 2


def test_the_photos_rtree_is_kept_up_to_date_on_spatialite(owner):
    """A table Django makes anew (SQLite alters no column in place) leaves its R*Tree behind:
    this fails when a migration does that to the photos again."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's GiST index is kept by the database itself")
    make_sequence(owner, name="Indexed")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT spatial_index_enabled FROM geometry_columns"
            " WHERE f_table_name = 'sequences_image' AND f_geometry_column = 'point'"
        )
        assert cursor.fetchone() == (1,)
        cursor.execute("SELECT count(*) FROM idx_sequences_image_point")
        assert cursor.fetchone() == (Image.objects.count(),)
