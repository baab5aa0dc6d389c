"""/photos/<key>/nearby.json: what other published sequences saw where a photo was taken,
looking the same way; nothing of a photo that is not published."""

import pytest

from mtp.sequences.models import Image
from testing.builders import make_sequence

pytestmark = pytest.mark.django_db

ROUTE = [(6.1432 + index * 0.0001, 46.2044) for index in range(3)]


def nearby(client, key):
    return client.get(f"/photos/{key}/nearby.json")


def test_other_sequences_at_the_place_looking_the_same_way(client, owner, other_user):
    viewed = make_sequence(owner, name="Viewed", route=ROUTE)
    same_way = make_sequence(other_user, name="Same way", route=ROUTE)
    other_way = make_sequence(other_user, name="Other way", route=ROUTE)
    pano = make_sequence(other_user, name="All round", route=ROUTE)
    Image.objects.filter(sequence=other_way).update(compass_angle=270.0)
    Image.objects.filter(sequence=pano).update(compass_angle=None, is_pano=True)
    key = viewed.images.get(position=1).key
    answer = nearby(client, key)
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert {found["sequence"] for found in results} == {"Same way", "All round"}
    found = next(found for found in results if found["sequence"] == "Same way")
    assert found["key"] == same_way.images.get(position=1).key
    assert found["url"] == f"/sequences/{same_way.unique_id}/?photo={found['key']}"
    assert found["distance_m"] == 0.0 and found["owner"] == other_user.username


def test_a_photo_that_is_not_published_is_not_found(client, owner, other_user):
    draft = make_sequence(owner, name="Draft", route=ROUTE, status="draft")
    make_sequence(other_user, name="Public", route=ROUTE)
    assert nearby(client, draft.images.first().key).status_code == 404
    assert nearby(client, "no-such-photo").status_code == 404


def test_a_draft_is_never_shown_as_another_time(client, owner, other_user):
    viewed = make_sequence(owner, name="Viewed", route=ROUTE)
    make_sequence(other_user, name="Secret draft", route=ROUTE, status="draft")
    assert nearby(client, viewed.images.first().key).json()["results"] == []
