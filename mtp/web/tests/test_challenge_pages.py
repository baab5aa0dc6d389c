"""Challenge pages: a challenge with its leaderboard, photos inside so far and time left."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from mtp.accounts.models import User
from mtp.challenges.areas import parse_area
from mtp.challenges.models import Challenge
from mtp.web.tests.conftest import publish

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
