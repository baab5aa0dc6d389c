"""Photo likes on the site: the viewer's like button as the server renders it and the form it
sends, Explore's Photos tab, and the leaderboards of photo likes."""

import json
import re

import pytest
from django.urls import reverse

from mtp.accounts.models import User
from mtp.sequences import actions
from mtp.sequences.models import Image, ImageLike
from testing.builders import draft, publish

TOKEN = "MLY|1234|a-client-secret"


@pytest.fixture(autouse=True)
def with_photos(settings):
    settings.MAPILLARY_CLIENT_TOKEN = TOKEN


def keys_of(sequence) -> list[str]:
    return list(sequence.images.order_by("position").values_list("key", flat=True))


def viewer_config(html: str) -> dict:
    found = re.search(r'<script id="viewer-config" type="application/json">(.*?)</script>', html)
    assert found is not None
    return json.loads(found.group(1))


@pytest.fixture
def walk(owner):
    return publish(owner, "Canal walk", photos=3, start=(4.89, 52.37))


def test_a_signed_in_visitor_sees_the_photo_s_count_and_a_like_button(
    other_client, other_user, walk
):
    keys = keys_of(walk)
    actions.like_image(other_user, keys[1])
    html = other_client.get(f"{walk.get_absolute_url()}?photo={keys[1]}").content.decode()
    assert '<span id="photo-like-count">1 like</span>' in html
    assert f'action="/photos/{keys[1]}/like/"' in html
    assert 'name="like" value="0"' in html and 'aria-pressed="true">Liked' in html
    config = viewer_config(html)
    assert config["likes"] == {keys[1]: 1} and config["liked"] == [keys[1]]
    assert config["likeUrl"] == "/photos/KEY/like/"


def test_a_signed_out_visitor_sees_the_count_and_a_sign_in_link(client, walk):
    html = client.get(walk.get_absolute_url()).content.decode()
    assert '<span id="photo-like-count">0 likes</span>' in html
    assert 'id="photo-like-login" href="/accounts/login/?next=' in html
    assert 'id="photo-like-form"' not in html
    assert viewer_config(html)["liked"] == []


def test_a_draft_s_viewer_has_no_like_button(owner_client, owner):
    sequence = publish(owner, photos=2)
    sequence.status = "draft"
    sequence.save()
    html = owner_client.get(sequence.get_absolute_url()).content.decode()
    assert 'id="photo-image"' in html and 'id="photo-like"' not in html
    assert "likeUrl" not in viewer_config(html)


def test_the_form_likes_the_photo_and_comes_back_to_it(other_client, other_user, walk):
    key = keys_of(walk)[2]
    response = other_client.post(f"/photos/{key}/like/", {"like": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"{walk.get_absolute_url()}?photo={key}#photo-like"
    assert ImageLike.objects.filter(user=other_user, image__key=key).exists()
    other_client.post(f"/photos/{key}/like/", {"like": "0"})
    assert not ImageLike.objects.exists()


def test_the_viewer_s_request_is_answered_with_json(other_client, walk):
    key = keys_of(walk)[0]
    response = other_client.post(
        f"/photos/{key}/like/", {"like": "1"}, HTTP_ACCEPT="application/json"
    )
    assert response.json() == {"key": key, "liked": True, "like_count": 1}


def test_liking_needs_signing_in_and_a_photo_one_may_see(client, other_client, owner):
    hidden = draft(owner)
    photo = Image.objects.create(
        sequence=hidden, key="hidden-photo", position=0, point="POINT(4.89 52.37)"
    )
    assert other_client.post(f"/photos/{photo.key}/like/", {"like": "1"}).status_code == 404
    assert other_client.post("/photos/no-such-photo/like/", {"like": "1"}).status_code == 404
    response = client.post(f"/photos/{photo.key}/like/", {"like": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not ImageLike.objects.exists()


@pytest.fixture
def liked_photos(owner, other_user):
    """Olivia's walk with two photos liked, Oscar's paddle with one liked twice."""
    pia = User.objects.create_user("pia", "pia@example.org", "x")
    walk = publish(owner, "Canal walk", photos=3, start=(4.89, 52.37))
    paddle = publish(other_user, "Lake paddle", transport="Kayak", photos=2, start=(6.1, 46.2))
    walk_keys, paddle_keys = keys_of(walk), keys_of(paddle)
    actions.like_image(other_user, walk_keys[0])
    actions.like_image(pia, walk_keys[1])
    actions.like_image(owner, paddle_keys[0])
    actions.like_image(pia, paddle_keys[0])
    return {"walk": walk_keys, "paddle": paddle_keys}


def shown(html: str) -> list[str]:
    return re.findall(r'<li class="liked-photo" data-key="([^"]+)">', html)


def test_explore_s_photos_tab_shows_the_most_liked_with_sequence_owner_and_count(
    client, liked_photos
):
    response = client.get("/photos/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="page">Photos</a>' in html
    paddle, walk = liked_photos["paddle"], liked_photos["walk"]
    # The newer of the two photos liked once first.
    assert shown(html) == [paddle[0], walk[1], walk[0]]
    assert "Lake paddle" in html and "2 likes" in html and "Canal walk" in html
    assert f'href="{reverse("accounts:profile", args=["oscar"])}"' in html


def test_the_photos_tab_takes_the_transport_type(client, liked_photos):
    html = client.get("/photos/", {"type": "Kayak"}).content.decode()
    assert shown(html) == [liked_photos["paddle"][0]]


def test_the_photo_leaderboard_ranks_photos_with_shared_ranks(client, liked_photos):
    html = client.get("/leaderboard/photos/").content.decode()
    paddle, walk = liked_photos["paddle"], liked_photos["walk"]
    assert shown(html) == [paddle[0], walk[1], walk[0]]
    assert re.findall(r'<span class="rank">#(\d+)</span>', html) == ["1", "2", "2"]


def test_the_photo_leaderboard_pages_go_on(client, liked_photos, monkeypatch):
    monkeypatch.setattr("mtp.web.photos.PER_PAGE", 2)
    first = client.get("/leaderboard/photos/").content.decode()
    assert len(shown(first)) == 2
    next_query = re.search(r'href="\?([^"]*cursor=[^"]+)">Next', first).group(1)
    second = client.get(f"/leaderboard/photos/?{next_query.replace('&amp;', '&')}")
    html = second.content.decode()
    assert shown(html) == [liked_photos["walk"][0]]
    assert re.findall(r'<span class="rank">#(\d+)</span>', html) == ["2"]


def test_the_people_leaderboard_ranks_by_the_likes_their_photos_received(client, liked_photos):
    html = client.get("/leaderboard/", {"metric": "photo_likes"}).content.decode()
    rows = re.findall(
        r"<tr><td>(\d+)</td><td><a href=\"[^\"]+\">([^<]+)</a></td><td>([^<]+)</td></tr>", html
    )
    assert rows == [("1", "olivia", "2"), ("1", "oscar", "2")]
    assert "Likes of their photos" in html
