"""Likes of photos on the leaderboards: people ranked by the likes their photos received
(``metric=photo_likes``) and GET /api/v1/leaderboard/photos, the most liked photos."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from mtp.accounts.models import User
from mtp.api.leaderboards import LeaderboardOut, PhotoLeaderboardOut
from mtp.sequences import actions
from mtp.sequences.models import Image, Sequence
from testing.builders import API, make_sequence

RECENT = timezone.now() - timedelta(days=2)
LAST_YEAR = datetime(2020, 6, 1, tzinfo=UTC)


def photos_of(sequence: Sequence) -> list[Image]:
    return list(sequence.images.order_by("position"))


@pytest.fixture
def liked(owner, other_user) -> dict[str, Image]:
    """Olivia's walk of last year and Oscar's recent paddle on the lake, their photos liked:
    Olivia's first twice and second once (3 in all), Oscar's first twice (2 in all)."""
    pia = User.objects.create_user("pia", "pia@example.org", "x")
    walk = make_sequence(
        owner, name="Old town", captured=LAST_YEAR, route=[(6.14, 46.20), (6.141, 46.2)]
    )
    paddle = make_sequence(
        other_user,
        name="Lake",
        transport="Kayak",
        captured=RECENT,
        route=[(7.50, 46.70), (7.501, 46.7)],
    )
    a0, a1 = photos_of(walk)
    b0, _b1 = photos_of(paddle)
    for person, photo in [(other_user, a0), (pia, a0), (pia, a1), (owner, b0), (pia, b0)]:
        actions.like_image(person, photo.key)
    return {"a0": a0, "a1": a1, "b0": b0}


@pytest.fixture
def get(client, app):
    def run(url: str, **params):
        return client.get(url, {"client_id": app.client_id, **params})

    return run


def people(response) -> list[tuple[int, str, int | float]]:
    assert response.status_code == 200, response.content
    body = LeaderboardOut.model_validate(response.json())
    return [(row.rank, row.user.username, row.value) for row in body.results]


def photos(response) -> list[tuple[int, str, int]]:
    assert response.status_code == 200, response.content
    body = PhotoLeaderboardOut.model_validate(response.json())
    return [(row.rank, row.key, row.like_count) for row in body.results]


def test_people_are_ranked_by_the_likes_their_photos_received(get, liked):
    rows = people(get(f"{API}/leaderboard", metric="photo_likes"))
    assert rows == [(1, "olivia", 3), (2, "oscar", 2)]


def test_photo_likes_take_the_transport_type_period_and_box_filters(get, liked):
    assert people(get(f"{API}/leaderboard", metric="photo_likes", transport_type="water")) == [
        (1, "oscar", 2)
    ]
    assert people(get(f"{API}/leaderboard", metric="photo_likes", period="week")) == [
        (1, "oscar", 2)
    ]
    box = "6.0,46.0,6.5,46.5"
    assert people(get(f"{API}/leaderboard", metric="photo_likes", bbox=box)) == [(1, "olivia", 3)]


def test_likes_of_photos_no_longer_published_do_not_count(get, liked):
    Sequence.objects.filter(pk=liked["a0"].sequence_id).update(status="draft")
    assert people(get(f"{API}/leaderboard", metric="photo_likes")) == [(1, "oscar", 2)]
    assert [key for _, key, _ in photos(get(f"{API}/leaderboard/photos"))] == [liked["b0"].key]


def test_the_most_liked_photos_come_first_and_ties_share_a_rank(get, liked):
    # Two photos liked twice: the newer first; the one liked once third.
    rows = photos(get(f"{API}/leaderboard/photos"))
    assert rows == [(1, liked["b0"].key, 2), (1, liked["a0"].key, 2), (3, liked["a1"].key, 1)]


def test_a_liked_photo_names_its_sequence_and_owner_and_links_to_it(get, liked):
    first = get(f"{API}/leaderboard/photos").json()["results"][0]
    assert first["sequence"]["name"] == "Lake" and first["sequence"]["transport_type"] == "Kayak"
    assert first["sequence"]["url"].endswith(f"?photo={liked['b0'].key}")
    assert first["user"]["username"] == "oscar"
    assert first["thumb_256_url"].endswith(f"/images/{liked['b0'].key}/thumbnail?size=256")


def test_the_photo_leaderboard_goes_on_from_page_to_page_with_its_ranks(client, get, liked):
    first = get(f"{API}/leaderboard/photos", limit=1)
    assert photos(first) == [(1, liked["b0"].key, 2)]
    second = client.get(first.json()["next"])
    assert photos(second) == [(1, liked["a0"].key, 2)]
    third = client.get(second.json()["next"])
    assert photos(third) == [(3, liked["a1"].key, 1)]
    assert third.json()["next"] is None


def test_the_photo_leaderboard_takes_the_period_transport_type_and_box(get, liked):
    url = f"{API}/leaderboard/photos"
    assert photos(get(url, period="month")) == [(1, liked["b0"].key, 2)]
    assert photos(get(url, transport_type="Walk")) == [
        (1, liked["a0"].key, 2),
        (2, liked["a1"].key, 1),
    ]
    assert photos(get(url, bbox="7.4,46.6,7.6,46.8")) == [(1, liked["b0"].key, 2)]
    assert photos(get(url, bbox="170,-10,-170,10")) == []


def test_bad_filters_and_cursors_of_the_photo_leaderboard_are_refused(get, liked):
    unknown = get(f"{API}/leaderboard/photos", transport_type="Hoverboard")
    assert unknown.status_code == 422 and "transport_type" in unknown.json()["error"]
    cursor = get(f"{API}/leaderboard/photos", cursor="made-up")
    assert cursor.status_code == 400 and "cursor" in cursor.json()["error"]
    # A cursor of the people's leaderboard is not one of this list.
    people_cursor = get(f"{API}/leaderboard", metric="photo_likes", limit=1).json()["next"]
    text = people_cursor.split("cursor=")[1].split("&")[0]
    assert get(f"{API}/leaderboard/photos", cursor=text).status_code == 400
