"""Likes of single photos in API v1: PUT and DELETE /api/v1/images/<key>/like, and the count and
whether the caller likes each photo in a sequence's images."""

import pytest

from mtp.api.schemas import ImageLikeOut, ImageListOut
from mtp.sequences.models import Image, ImageLike
from testing.builders import API, bearer, make_sequence, token_with_scope


@pytest.fixture
def photo(published) -> Image:
    return published.images.order_by("position").first()


def like_url(key: str) -> str:
    return f"{API}/images/{key}/like"


def test_liking_a_photo_answers_its_count_and_writes_one_like(client, photo, other_headers):
    response = client.put(like_url(photo.key), **other_headers)
    assert response.status_code == 200, response.content
    body = ImageLikeOut.model_validate(response.json()).model_dump()
    assert body == {"key": photo.key, "liked": True, "like_count": 1}
    assert ImageLike.objects.filter(image=photo).count() == 1


def test_liking_a_photo_twice_counts_it_once(client, photo, other_headers):
    client.put(like_url(photo.key), **other_headers)
    response = client.put(like_url(photo.key), **other_headers)
    assert response.status_code == 200
    assert response.json()["like_count"] == 1
    assert ImageLike.objects.count() == 1


def test_unliking_a_photo_takes_the_like_back_and_again_changes_nothing(
    client, photo, other_headers
):
    client.put(like_url(photo.key), **other_headers)
    for _ in range(2):
        response = client.delete(like_url(photo.key), **other_headers)
        assert response.status_code == 200
        assert response.json() == {"key": photo.key, "liked": False, "like_count": 0}
    assert not ImageLike.objects.exists()


def test_an_unknown_key_is_a_404(client, other_headers):
    response = client.put(like_url("no-such-photo"), **other_headers)
    assert response.status_code == 404
    assert response.json()["error"] == "No photo with this key."


def test_a_key_that_cannot_be_one_is_a_404_too(client, other_headers):
    response = client.put(like_url("not%20a%20key"), **other_headers)
    assert response.status_code == 404
    assert "error" in response.json()


def test_a_photo_of_a_stranger_s_draft_is_a_404_as_if_it_did_not_exist(
    client, owner, other_headers
):
    hidden = make_sequence(owner, name="Private", status="draft").images.first()
    response = client.put(like_url(hidden.key), **other_headers)
    assert response.status_code == 404
    assert response.json()["error"] == "No photo with this key."
    assert not ImageLike.objects.exists()


def test_a_photo_of_one_s_own_draft_is_refused_with_422(client, owner, owner_headers):
    own = make_sequence(owner, name="Mine", status="draft").images.first()
    response = client.put(like_url(own.key), **owner_headers)
    assert response.status_code == 422
    assert "published" in response.json()["error"]


def test_a_like_needs_a_token(client, photo, app):
    response = client.put(f"{like_url(photo.key)}?client_id={app.client_id}")
    assert response.status_code == 401
    assert "error" in response.json()
    assert not ImageLike.objects.exists()


def test_a_like_needs_the_write_scope(client, photo, other_user, app):
    response = client.put(like_url(photo.key), **token_with_scope(other_user, app, "read"))
    assert response.status_code == 403
    assert "write" in response.json()["error"]
    assert not ImageLike.objects.exists()


def test_likes_past_the_token_s_rate_limit_are_refused_with_429(
    client, settings, photo, other_headers
):
    settings.MTP_API_RATE_TOKEN = 2
    statuses = [client.put(like_url(photo.key), **other_headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = client.delete(like_url(photo.key), **other_headers)
    assert response.status_code == 429
    assert response["RateLimit-Policy"].startswith('"api-token";q=2')
    assert "error" in response.json()
    # The refused unlike changed nothing.
    assert ImageLike.objects.count() == 1


def test_a_like_with_a_trailing_slash_is_the_same_call(client, photo, other_headers):
    response = client.put(f"{like_url(photo.key)}/", **other_headers)
    assert response.status_code == 200
    assert response.json()["liked"] is True


def test_other_paths_under_a_photo_are_still_the_photos_404(client, photo):
    response = client.get(f"{API}/images/{photo.key}/likes")
    assert response.status_code == 404
    assert "thumbnail" in response.json()["error"]


def test_a_sequence_s_images_say_how_many_like_each_and_whether_the_caller_does(
    client, published, photo, owner_headers, other_token, app
):
    client.put(like_url(photo.key), **bearer(other_token))
    client.put(like_url(photo.key), **owner_headers)
    url = f"{API}/sequence/{published.unique_id}/images"
    mine = ImageListOut.model_validate(client.get(url, **bearer(other_token)).json())
    first, second = mine.results[0], mine.results[1]
    assert (first.key, first.like_count, first.liked) == (photo.key, 2, True)
    assert (second.like_count, second.liked) == (0, False)
    anonymous = client.get(f"{url}?client_id={app.client_id}").json()["results"][0]
    assert anonymous["like_count"] == 2 and anonymous["liked"] is False
