"""What a challenge keeps beside its area (its digest, its outline for a map, its pieces), and
the pages and leaderboards that read those rather than the area."""

import json
import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mtp.challenges import actions
from mtp.challenges.areas import area_outline, parse_area, shape_digest
from mtp.challenges.models import Challenge
from testing.builders import API, make_sequence
from testing.shapes import zigzag

GENEVA = [[6.13, 46.19], [6.16, 46.19], [6.16, 46.21], [6.13, 46.21], [6.13, 46.19]]
LAUSANNE = [[6.6, 46.5], [6.65, 46.5], [6.65, 46.53], [6.6, 46.53], [6.6, 46.5]]
# The area column, as any query reading it names it (not area_digest nor area_outline).
AREA_COLUMN = '"challenges_challenge"."area"'


def area(ring) -> object:
    return parse_area({"type": "Polygon", "coordinates": [ring]})


@pytest.fixture
def challenge(owner, settings) -> Challenge:
    settings.MTP_CHALLENGE_CREATORS = "everyone"
    return actions.create_challenge(
        owner,
        name="Old Geneva, traced",
        area=area(zigzag(GENEVA, 600, 0.0000001)),
        start=datetime(2000, 1, 1, tzinfo=UTC),
        end=datetime(2100, 1, 1, tzinfo=UTC),
    )


def test_the_digest_outline_and_pieces_follow_the_area_when_it_changes(owner, challenge):
    challenge.refresh_from_db()
    traced = challenge.area
    assert challenge.area_digest == shape_digest(traced)
    assert challenge.area_outline == area_outline(traced)
    first_pieces = set(challenge.pieces.values_list("pk", flat=True))
    actions.change_challenge(owner, challenge.pk, area=area(LAUSANNE))
    changed = Challenge.objects.get(pk=challenge.pk)
    assert changed.area_digest == shape_digest(area(LAUSANNE)) != shape_digest(traced)
    assert changed.area_outline == area_outline(area(LAUSANNE))
    assert changed.area_outline["coordinates"] == [[LAUSANNE]]
    pieces = list(changed.pieces.all())
    assert not first_pieces & {piece.pk for piece in pieces}
    assert [(piece.west, piece.south, piece.east, piece.north) for piece in pieces] == [
        (6.6, 46.5, 6.65, 46.53)
    ]
    assert [piece.is_box for piece in pieces] == [True]


def test_a_change_of_name_keeps_the_digest_outline_and_pieces(owner, challenge):
    before = Challenge.objects.get(pk=challenge.pk)
    pieces = set(before.pieces.values_list("pk", flat=True))
    actions.change_challenge(owner, challenge.pk, name="Old Geneva again")
    after = Challenge.objects.get(pk=challenge.pk)
    assert (after.area_digest, after.area_outline) == (before.area_digest, before.area_outline)
    assert set(after.pieces.values_list("pk", flat=True)) == pieces


def test_a_challenge_read_without_its_area_saves_without_cutting_it_again(challenge):
    pieces = set(challenge.pieces.values_list("pk", flat=True))
    light = Challenge.objects.defer("area").get(pk=challenge.pk)
    light.name = "Renamed"
    with CaptureQueriesContext(connection) as context:
        light.save()
    assert not any(AREA_COLUMN in query["sql"] for query in context.captured_queries)
    assert set(challenge.pieces.values_list("pk", flat=True)) == pieces
    saved = Challenge.objects.get(pk=challenge.pk)
    assert saved.name == "Renamed"
    assert saved.area.equals_exact(challenge.area, 0)


def test_the_page_and_the_leaderboard_never_read_the_area(client, app, owner, challenge):
    make_sequence(owner, route=[(6.14 + 0.001 * i, 46.2) for i in range(4)])
    urls = [
        challenge.get_absolute_url(),
        f"{challenge.get_absolute_url()}?metric=distance",
        f"{API}/challenges/{challenge.unique_id}/leaderboard?client_id={app.client_id}",
        f"{API}/challenges/{challenge.unique_id}?client_id={app.client_id}",
        f"{API}/challenges?client_id={app.client_id}",
        "/challenges/",
    ]
    for url in urls:
        with CaptureQueriesContext(connection) as context:
            response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        read = [query["sql"] for query in context.captured_queries if AREA_COLUMN in query["sql"]]
        assert not read, (url, read)


def test_the_page_draws_the_kept_outline_not_every_corner(client, challenge):
    html = client.get(challenge.get_absolute_url()).content.decode()
    feature = json.loads(
        re.search(r'id="challenge-area" type="application/json">(.*?)</script>', html).group(1)
    )
    assert feature["geometry"] == challenge.area_outline
    corners = sum(len(ring) for rings in feature["geometry"]["coordinates"] for ring in rings)
    assert corners < 50
    assert feature["bbox"] == [
        challenge.bbox_west,
        challenge.bbox_south,
        challenge.bbox_east,
        challenge.bbox_north,
    ]


def test_the_api_gives_every_corner_of_the_area(client, app, challenge):
    response = client.get(
        f"{API}/challenges/{challenge.unique_id}",
        {"client_id": app.client_id},
        HTTP_ACCEPT="application/geo+json",
    )
    assert response.status_code == 200, response.content
    ring = response.json()["geometry"]["coordinates"][0][0]
    assert len(ring) == 4 * 600 + 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SpatiaLite's own bookkeeping")
@pytest.mark.django_db
def test_the_columns_kept_beside_the_area_leave_spatialites_spatial_indexes_kept_up():
    # A column added with a default remakes the table on SQLite, which leaves SpatiaLite's
    # spatial index without the triggers that keep it up.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT f_table_name, spatial_index_enabled FROM geometry_columns "
            "WHERE f_table_name IN ('challenges_challenge', 'challenges_areapiece')"
        )
        assert sorted(cursor.fetchall()) == [
            ("challenges_areapiece", 1),
            ("challenges_challenge", 1),
        ]
