"""GET /api/v1/leaderboard: metrics, filters, shared ranks, pages, bad input."""

import random
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mtp.accounts.models import User
from mtp.api.leaderboards import LeaderboardOut
from mtp.challenges.areas import parse_area
from mtp.challenges.models import Challenge
from mtp.sequences import leaderboard
from mtp.sequences.models import CameraMake, Sequence
from testing.builders import API, make_sequence

URL = f"{API}/leaderboard"

RECENT = timezone.now() - timedelta(days=2)
LAST_YEAR = datetime(2020, 6, 1, tzinfo=UTC)


def route(start_lon: float, points: int, step: float = 0.001) -> list[tuple[float, float]]:
    """A straight route east from (start_lon, 46.2) with ``points`` photos."""
    return [(start_lon + step * index, 46.2) for index in range(points)]


def expected_ranks(sequences: list[Sequence], metric: str) -> list[tuple[int, str, float]]:
    """(rank, username, value) computed here, from the sequences, for what the API must say."""
    totals: dict[str, float] = {}
    for sequence in sequences:
        if sequence.status != "published":
            continue
        value = {
            "images": sequence.image_count,
            "distance": sequence.distance_m,
            "sequences": 1,
        }[metric]
        totals[sequence.owner.username] = totals.get(sequence.owner.username, 0) + value
    users = {user.username: user.pk for user in User.objects.all()}
    if metric == "distance":
        # Shown and ranked to the decimetre.
        totals = {name: round(value, 1) for name, value in totals.items()}
    ordered = sorted(
        ((value, name) for name, value in totals.items() if value > 0),
        key=lambda item: (-item[0], users[item[1]]),
    )
    return [
        (1 + sum(1 for other, _ in ordered if other > value), name, value)
        for value, name in ordered
    ]


def observed(response) -> list[tuple[int, str, float]]:
    assert response.status_code == 200, response.content
    body = response.json()
    LeaderboardOut.model_validate(body)
    return [(row["rank"], row["user"]["username"], row["value"]) for row in body["results"]]


def same(observed_rows, expected_rows, places: int = 1) -> bool:
    if len(observed_rows) != len(expected_rows):
        return False
    return all(
        rank == want_rank and name == want_name and value == pytest.approx(want, abs=10**-places)
        for (rank, name, value), (want_rank, want_name, want) in zip(
            observed_rows, expected_rows, strict=True
        )
    )


@pytest.fixture
def board(client, app):
    def run(**params):
        return client.get(URL, {"client_id": app.client_id, **params})

    return run


@pytest.fixture
def people(db) -> dict[str, User]:
    return {
        name: User.objects.create_user(name, f"{name}@example.org", "x")
        for name in ("anna", "bruno", "carla", "dario")
    }


def test_people_are_ranked_by_photos_and_ties_share_a_rank(board, people):
    make_sequence(people["anna"], route=route(6.0, 5))
    make_sequence(people["bruno"], route=route(6.1, 3))
    make_sequence(people["bruno"], route=route(6.2, 2))
    make_sequence(people["carla"], route=route(6.3, 2))
    rows = observed(board())
    assert [(rank, name, value) for rank, name, value in rows] == [
        (1, "anna", 5),
        (1, "bruno", 5),
        (3, "carla", 2),
    ]


def test_only_published_sequences_count(board, people):
    make_sequence(people["anna"], route=route(6.0, 2))
    make_sequence(people["bruno"], route=route(6.1, 9), status="draft")
    make_sequence(people["bruno"], route=route(6.2, 9), status="failed")
    make_sequence(people["carla"], route=route(6.3, 9), status="importing")
    assert observed(board()) == [(1, "anna", 2)]


def test_distance_and_sequences_are_metrics_too(board, people):
    long = make_sequence(people["anna"], route=route(6.0, 2, step=0.05))
    short = make_sequence(people["bruno"], route=route(6.1, 2, step=0.01))
    make_sequence(people["bruno"], route=route(6.2, 2, step=0.01))
    rows = observed(board(metric="distance"))
    assert [name for _, name, _ in rows] == ["anna", "bruno"]
    assert rows[0][2] == pytest.approx(long.distance_m, abs=0.1)
    assert rows[1][2] == pytest.approx(2 * short.distance_m, abs=0.1)
    assert observed(board(metric="sequences")) == [(1, "bruno", 2), (2, "anna", 1)]


def test_period_counts_only_recent_captures(board, people):
    make_sequence(people["anna"], route=route(6.0, 9), captured=LAST_YEAR)
    make_sequence(people["bruno"], route=route(6.1, 2), captured=RECENT)
    assert observed(board(period="week")) == [(1, "bruno", 2)]
    assert [name for _, name, _ in observed(board(period="all"))] == ["anna", "bruno"]


def test_a_transport_group_includes_its_kinds(board, people):
    make_sequence(people["anna"], route=route(6.0, 3), transport="Kayak")
    make_sequence(people["bruno"], route=route(6.1, 4), transport="Walk")
    assert observed(board(transport_type="water")) == [(1, "anna", 3)]
    assert observed(board(transport_type="Walk")) == [(1, "bruno", 4)]


def test_camera_make_filters_any_case(board, people):
    gopro = CameraMake.objects.create(name="GoPro")
    make_sequence(people["anna"], route=route(6.0, 3), camera_make=gopro)
    make_sequence(people["bruno"], route=route(6.1, 4))
    assert observed(board(camera_make="gopro")) == [(1, "anna", 3)]
    assert observed(board(camera_make="Unknown make")) == []


def test_bbox_counts_sequences_crossing_the_box(board, people):
    make_sequence(people["anna"], route=route(6.0, 3))
    make_sequence(people["bruno"], route=[(8.0, 47.0), (8.01, 47.0)])
    assert observed(board(bbox="5.9,46.1,6.1,46.3")) == [(1, "anna", 3)]


def test_pages_follow_each_other_without_gaps_or_repeats(board, people):
    for index, name in enumerate(["anna", "bruno", "carla", "dario"]):
        make_sequence(people[name], route=route(6.0 + index / 10, 2 + (index // 2)))
    seen = []
    response = board(limit=3)
    while True:
        seen += observed(response)
        link = response.json()["next"]
        if link is None:
            break
        assert response["Link"] == f'<{link}>; rel="next"'
        response = board(**{"limit": 3, "cursor": link.split("cursor=")[1]})
    assert seen == [(1, "carla", 3), (1, "dario", 3), (3, "anna", 2), (3, "bruno", 2)]


def test_a_box_upside_down_holds_nothing(board, people):
    # The document cannot say south <= north: such a box is taken, and matches nothing.
    make_sequence(people["anna"], route=route(6.0, 3))
    response = board(bbox="5.9,46.3,6.1,46.1")
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []
    assert observed(board(bbox="5.9,46.1,6.1,46.3"))


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"metric": "likes"}, 422, "metric"),
        ({"period": "decade"}, 422, "period"),
        ({"transport_type": "Teleport"}, 422, "transport_type"),
        ({"bbox": "6,46,7"}, 422, "bbox"),
        ({"bbox": "6,46,7,north"}, 422, "bbox"),
        ({"limit": "0"}, 422, "limit"),
        ({"cursor": "not-a-cursor"}, 400, None),
    ],
)
def test_bad_input_is_refused_in_the_error_shape(board, people, params, status, field):
    response = board(**params)
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] is False and body["error"]
    if field:
        assert body["detail"]["errors"][0]["field"] == field


def test_a_client_id_or_a_token_is_needed(client, people):
    response = client.get(URL)
    assert response.status_code in (400, 401)
    assert response.json()["error"]


def test_ranks_match_ranks_computed_independently(board, db):
    """The same data ranks the same on SpatiaLite and PostGIS: both agree with Python's ranks."""
    rng = random.Random(16)
    users = [User.objects.create_user(f"user{index:02d}", "", "x") for index in range(24)]
    sequences = []
    for index in range(80):
        owner = rng.choice(users)
        points = rng.choice([2, 3, 4, 5, 8])
        step = rng.choice([0.001, 0.002, 0.003])
        status = rng.choice(["published"] * 5 + ["draft", "failed"])
        sequences.append(
            make_sequence(owner, route=route(6.0 + index / 100, points, step), status=status)
        )
    for metric in ("images", "distance", "sequences"):
        want = expected_ranks(sequences, metric)
        rows = []
        response = board(metric=metric, limit=7)
        while True:
            rows += observed(response)
            link = response.json()["next"]
            if link is None:
                break
            response = board(metric=metric, limit=7, cursor=link.split("cursor=")[1])
        assert same(rows, want), (metric, rows, want)
        # Ties happen in this data: the test proves they share a rank.
        if metric != "distance":
            assert len({rank for rank, _, _ in rows}) < len(rows)


# Issue 22, item 2: a leaderboard is a read, and takes no write lock.
def leaderboard_urls(owner, app) -> list[str]:
    ring = [[6.13, 46.19], [6.16, 46.19], [6.16, 46.21], [6.13, 46.21], [6.13, 46.19]]
    challenge = Challenge(
        owner=owner,
        name="Old Geneva",
        start=datetime(2000, 1, 1, tzinfo=UTC),
        end=datetime(2100, 1, 1, tzinfo=UTC),
    )
    challenge.set_area(parse_area({"type": "Polygon", "coordinates": [ring]}))
    challenge.save()
    make_sequence(owner, route=route(6.14, 5))
    return [
        f"{URL}?client_id={app.client_id}",
        f"{API}/challenges/{challenge.unique_id}/leaderboard?client_id={app.client_id}",
        f"{challenge.get_absolute_url()}?metric=distance",
    ]


def test_leaderboards_open_no_transaction_or_lock_of_their_own(client, owner, app):
    urls = leaderboard_urls(owner, app)
    # The kept rankings' generation is written once, the first time (a write of the cache's).
    leaderboard.kept.generation()
    for url in urls:
        with CaptureQueriesContext(connection) as context:
            response = client.get(url)
        assert response.status_code == 200, response.content
        statements = [query["sql"].upper() for query in context.captured_queries]
        assert any("RANK()" in sql for sql in statements)
        assert not any("FOR UPDATE" in sql for sql in statements)
        if connection.vendor == "sqlite":
            # SQLite's transactions here are IMMEDIATE: each takes the write lock. Inside a
            # test's transaction, atomic() would show as a savepoint.
            assert not any(sql.startswith(("SAVEPOINT", "BEGIN")) for sql in statements)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_another_connection_writes_while_a_leaderboard_is_read(seeded, client, owner, app):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's reads take no lock a writer waits for")
    writes: list[bool] = []

    def write_meanwhile(execute, sql, params, many, context):
        if "RANK()" in sql:
            other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                writes.append(True)
            except sqlite3.OperationalError:
                writes.append(False)
            finally:
                other.close()
        return execute(sql, params, many, context)

    urls = leaderboard_urls(owner, app)
    with connection.execute_wrapper(write_meanwhile):
        for url in urls:
            assert client.get(url).status_code == 200
    assert writes and all(writes)
