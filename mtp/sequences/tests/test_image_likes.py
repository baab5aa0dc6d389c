"""Likes of single photos: what like_image and unlike_image write, and whom they refuse."""

import pytest

from mtp.sequences import actions
from mtp.sequences.likes import liked_ids
from mtp.sequences.models import Image, ImageLike
from testing.builders import make_sequence


@pytest.fixture
def photo(owner) -> Image:
    return make_sequence(owner).images.order_by("position")[0]


def count_of(image: Image) -> int:
    image.refresh_from_db()
    return image.like_count


def test_a_like_is_written_once_and_counted_on_the_photo(photo, other_user):
    assert actions.like_image(other_user, photo.key) == 1
    assert ImageLike.objects.filter(image=photo, user=other_user).count() == 1
    assert count_of(photo) == 1


def test_liking_a_photo_twice_changes_nothing(photo, other_user):
    actions.like_image(other_user, photo.key)
    assert actions.like_image(other_user, photo.key) == 1
    assert ImageLike.objects.count() == 1
    assert count_of(photo) == 1


def test_likes_of_two_people_are_both_counted(photo, owner, other_user):
    actions.like_image(other_user, photo.key)
    assert actions.like_image(owner, photo.key) == 2
    assert count_of(photo) == 2


def test_unliking_takes_the_like_back_and_again_changes_nothing(photo, other_user):
    actions.like_image(other_user, photo.key)
    assert actions.unlike_image(other_user, photo.key) == 0
    assert actions.unlike_image(other_user, photo.key) == 0
    assert not ImageLike.objects.exists()
    assert count_of(photo) == 0


def test_a_photo_of_a_stranger_s_draft_is_as_if_it_did_not_exist(owner, other_user):
    hidden = make_sequence(owner, status="draft").images.first()
    with pytest.raises(Image.DoesNotExist):
        actions.like_image(other_user, hidden.key)
    assert not ImageLike.objects.exists()


def test_a_photo_of_one_s_own_draft_cannot_be_liked_yet(owner):
    own = make_sequence(owner, status="draft").images.first()
    with pytest.raises(actions.NotPublished):
        actions.like_image(owner, own.key)
    assert count_of(own) == 0


def test_an_unknown_key_is_refused(other_user):
    with pytest.raises(Image.DoesNotExist):
        actions.like_image(other_user, "no-such-photo")


def test_the_photos_someone_likes_are_found_in_one_query(
    photo, other_user, django_assert_num_queries
):
    actions.like_image(other_user, photo.key)
    others = list(Image.objects.exclude(pk=photo.pk).values_list("pk", flat=True))
    with django_assert_num_queries(1):
        found = liked_ids(ImageLike, "image", other_user, [photo.pk, *others])
    assert found == {photo.pk}


def test_likes_leave_with_their_user_and_the_count_follows(photo, owner, other_user):
    actions.like_image(other_user, photo.key)
    actions.like_image(owner, photo.key)
    other_user.delete()
    assert count_of(photo) == 1


def test_the_photo_s_json_carries_its_count_and_whether_the_reader_likes_it(photo, other_user):
    actions.like_image(other_user, photo.key)
    photo.refresh_from_db()
    data = photo.to_dict(liked=True)
    assert data["like_count"] == 1 and data["liked"] is True
    assert photo.to_dict()["liked"] is False
