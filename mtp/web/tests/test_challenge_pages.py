"""Challenge pages: a challenge with its leaderboard, photos inside so far and time left."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from mtp.accounts.models import User
from mtp.challenges.areas import parse_area
from mtp.challenges.models import Challenge
from mtp.sequences.models import TransportType
from testing.builders import publish

LONDON = [[-0.13, 51.49], [-0.10, 51.49], [-0.10, 51.51], [-0.13, 51.51], [-0.13, 51.49]]


def make_challenge(owner, name="Map the City", *, start=None, end=None, ring=LONDON) -> Challenge:
    challenge = Challenge(
        owner=owner,
        name=name,
        start=start or datetime(2024, 5, 1, tzinfo=UTC),
        end=end or datetime(2024, 6, 1, tzinfo=UTC),
    )
    challenge.set_area(parse_area({"type": "Polygon", "coordinates": [ring]}))
    challenge.save()
    return challenge


def ranks(html: str) -> list[tuple[str, str, str]]:
    rows = re.findall(
        r"<tr><td>(\d+)</td><td><a href=\"[^\"]+\">([^<]+)</a></td><td>([^<]+)</td></tr>", html
    )
    return [tuple(row) for row in rows]


@pytest.mark.django_db
def test_a_challenge_page_shows_its_leaderboard_and_photos_inside(client, owner):
    anna = User.objects.create_user("anna", "", "x")
    challenge = make_challenge(owner)
    publish(anna, start=(-0.12, 51.5), photos=5)  # inside, captured 3 May 2024
    publish(owner, start=(-0.12, 51.5), photos=3, captured=datetime(2023, 1, 1, tzinfo=UTC))
    response = client.get(challenge.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert ranks(html) == [("1", "anna", "5")]
    assert '<dd id="photos-inside">5</dd>' in html
    assert "This challenge is over." in html
    area = json.loads(
        re.search(r'id="challenge-area" type="application/json">(.*?)</script>', html).group(1)
    )
    assert area["geometry"]["type"] == "MultiPolygon"


@pytest.mark.django_db
def test_a_challenge_counting_nothing_says_why_when_its_area_holds_photos(client, owner):
    challenge = make_challenge(owner)
    challenge.transport_types.set([TransportType.objects.get(name="Walk")])
    # Inside the area: 3 walked photos taken the year before, 2 cycled ones in its window.
    publish(owner, start=(-0.12, 51.5), photos=3, captured=datetime(2023, 1, 1, tzinfo=UTC))
    publish(owner, start=(-0.12, 51.5), photos=2, transport="Bicycle")
    html = client.get(challenge.get_absolute_url()).content.decode()
    assert '<dd id="photos-inside">0</dd>' in html
    why = re.search(r'<p class="hint" id="why-none">(.*?)</p>', html, re.S).group(1)
    assert "3 photos inside the area were taken outside the challenge" in why
    assert "2 more photos inside are of other ways of travel or cameras" in why


@pytest.mark.django_db
def test_a_challenge_whose_area_holds_nothing_says_nothing_more(client, owner):
    challenge = make_challenge(owner)
    publish(owner, start=(2.35, 48.85), photos=3)  # Paris, far outside
    html = client.get(challenge.get_absolute_url()).content.decode()
    assert 'id="why-none"' not in html


@pytest.mark.django_db
def test_a_running_challenge_says_how_long_is_left(client, owner):
    now = timezone.now()
    challenge = make_challenge(
        owner, start=now - timedelta(days=1), end=now + timedelta(days=3, hours=1)
    )
    html = client.get(challenge.get_absolute_url()).content.decode()
    assert "3\xa0days" in html and "left" in html


@pytest.mark.django_db
def test_an_unknown_challenge_is_a_404(client):
    assert client.get("/challenges/00000000-0000-0000-0000-000000000000/").status_code == 404


@pytest.mark.django_db
def test_the_list_shows_running_upcoming_and_past_challenges(client, owner):
    now = timezone.now()
    make_challenge(owner, "Running", start=now - timedelta(days=1), end=now + timedelta(days=1))
    make_challenge(owner, "Coming", start=now + timedelta(days=1), end=now + timedelta(days=2))
    make_challenge(owner, "Finished")
    html = client.get("/challenges/").content.decode()
    running, rest = html.split("<h2>Coming up</h2>")
    coming, over = rest.split("<h2>Over</h2>")
    assert "Running" in running and "Coming" in coming and "Finished" in over
    assert "New challenge" not in html


@pytest.mark.django_db
def test_explore_lists_running_challenges_in_the_map_area(client, owner):
    now = timezone.now()
    make_challenge(owner, "City sprint", start=now - timedelta(days=1), end=now + timedelta(days=1))
    make_challenge(owner, "Long over")
    html = client.get("/").content.decode()
    assert "Challenges near you" in html and "City sprint" in html and "Long over" not in html
    elsewhere = client.get("/", {"bbox": "10,40,11,41"}).content.decode()
    assert "City sprint" not in elsewhere


def area_text(ring=LONDON) -> str:
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def new_challenge(client, **fields):
    data = {
        "name": "Map the river",
        "description": "",
        "area": area_text(),
        "transport_types": ["Water", "Walk"],
        "camera_makes": "GoPro, gopro, Insta360",
        "start": "2024-05-01T00:00",
        "end": "2024-06-01T00:00",
        **fields,
    }
    return client.post("/challenges/new/", data)


@pytest.mark.django_db
def test_creating_a_challenge_from_the_form_without_javascript(client, owner, settings):
    settings.MTP_CHALLENGE_CREATORS = "everyone"
    client.force_login(owner)
    assert "New challenge" in client.get("/challenges/").content.decode()
    page = client.get("/challenges/new/").content.decode()
    assert 'id="draw-map"' in page and "mapbox-gl-draw.js" in page
    response = new_challenge(client)
    challenge = Challenge.objects.get()
    assert response.status_code == 302 and response["Location"] == challenge.get_absolute_url()
    assert challenge.owner == owner
    assert challenge.camera_makes == ["GoPro", "Insta360"]
    assert sorted(kind.name for kind in challenge.transport_types.all()) == ["Walk", "Water"]
    assert challenge.start == datetime(2024, 5, 1, tzinfo=UTC)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"area": "not json"}, "not GeoJSON"),
        ({"area": area_text(LONDON[:-1])}, "not closed"),
        ({"end": "2024-04-01T00:00"}, "end must be after"),
    ],
)
def test_a_bad_challenge_form_says_what_is_wrong(client, owner, settings, fields, message):
    settings.MTP_CHALLENGE_CREATORS = "everyone"
    client.force_login(owner)
    response = new_challenge(client, **fields)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Challenge.objects.exists()


@pytest.mark.django_db
def test_only_staff_may_create_challenges_by_default(client, owner):
    client.force_login(owner)
    assert client.get("/challenges/new/").status_code == 403
    assert new_challenge(client).status_code == 403
    owner.is_staff = True
    owner.save()
    assert new_challenge(client).status_code == 302
    assert client.logout() is None
    assert client.get("/challenges/new/").status_code == 302
