"""The leaderboard page: ranks from published sequences, the same filters as the API, pages."""

import re

import pytest

from mtp.accounts.models import User
from testing.builders import draft, publish


def ranks(html: str) -> list[tuple[str, str, str]]:
    rows = re.findall(
        r"<tr><td>(\d+)</td><td><a href=\"[^\"]+\">([^<]+)</a></td><td>([^<]+)</td></tr>", html
    )
    return [tuple(row) for row in rows]


@pytest.fixture
def people(db) -> dict[str, User]:
    return {name: User.objects.create_user(name, "", "x") for name in ("anna", "bruno", "carla")}


def test_the_page_ranks_people_by_published_photos_with_shared_ranks(client, people):
    publish(people["anna"], photos=4)
    publish(people["bruno"], "Two walks", photos=2, start=(0.1, 51.5))
    publish(people["bruno"], "Two walks, second", photos=2, start=(0.2, 51.5))
    publish(people["carla"], photos=3, start=(0.3, 51.5))
    draft(people["carla"], "A draft")
    response = client.get("/leaderboard/")
    assert response.status_code == 200
    assert ranks(response.content.decode()) == [
        ("1", "anna", "4"),
        ("1", "bruno", "4"),
        ("3", "carla", "3"),
    ]


def test_the_filters_work_without_javascript(client, people):
    publish(people["anna"], photos=4, transport="Kayak")
    publish(people["bruno"], photos=2, start=(0.1, 51.5))
    html = client.get("/leaderboard/", {"type": "Water", "metric": "sequences"}).content
    assert ranks(html.decode()) == [("1", "anna", "1")]
    html = client.get("/leaderboard/", {"bbox": "0.05,51.4,0.2,51.6"}).content.decode()
    assert ranks(html) == [("1", "bruno", "2")]


def test_bad_filters_are_reported_not_guessed(client, people):
    publish(people["anna"], photos=4)
    response = client.get("/leaderboard/", {"bbox": "west", "metric": "likes"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Area: Give four numbers" in html
    assert ranks(html) == []


def test_long_boards_have_a_next_page(client, db, monkeypatch):
    monkeypatch.setattr("mtp.web.leaderboards.PER_PAGE", 2)
    for index in range(3):
        owner = User.objects.create_user(f"person{index}", "", "x")
        publish(owner, photos=5 - index, start=(index / 10, 51.5))
    html = client.get("/leaderboard/").content.decode()
    assert [name for _, name, _ in ranks(html)] == ["person0", "person1"]
    link = re.search(r'href="(/leaderboard/\?[^"]*cursor=[^"]+)">Next', html).group(1)
    second = client.get(link.replace("&amp;", "&")).content.decode()
    assert ranks(second) == [("3", "person2", "3")]
    assert "First page" in second
