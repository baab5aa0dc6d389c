"""The challenge actions: who may create one, its window, and whom a change refuses."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied

from mtp.challenges import actions
from mtp.challenges.areas import parse_area
from mtp.challenges.models import Challenge
from testing.builders import kind

GENEVA = [[6.13, 46.19], [6.16, 46.19], [6.16, 46.21], [6.13, 46.21], [6.13, 46.19]]
MAY = datetime(2025, 5, 1, tzinfo=UTC)
JUNE = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
def staff(owner):
    owner.is_staff = True
    owner.save()
    return owner


def create(user, **fields) -> Challenge:
    values = {
        "name": "Geneva in May",
        "area": parse_area({"type": "Polygon", "coordinates": [GENEVA]}),
        "start": MAY,
        "end": JUNE,
        **fields,
    }
    return actions.create_challenge(user, **values)


def test_a_challenge_is_created_with_its_area_box_and_ways_of_travel(staff):
    walk = kind("Walk")
    challenge = create(staff, camera_makes=["GoPro"], transport_type_ids=[walk.pk])
    challenge.refresh_from_db()
    assert (challenge.bbox_west, challenge.bbox_north) == (6.13, 46.21)
    assert list(challenge.transport_types.all()) == [walk]
    assert challenge.camera_makes == ["GoPro"]


def test_only_staff_create_challenges_unless_the_server_lets_everyone(owner, settings):
    settings.MTP_CHALLENGE_CREATORS = "staff"
    with pytest.raises(PermissionDenied):
        create(owner)
    assert not Challenge.objects.exists()
    settings.MTP_CHALLENGE_CREATORS = "everyone"
    assert create(owner).owner == owner


def test_a_challenge_ends_after_it_starts(staff):
    with pytest.raises(actions.BadWindow):
        create(staff, start=JUNE, end=MAY)
    challenge = create(staff)
    with pytest.raises(actions.BadWindow):
        actions.change_challenge(staff, challenge.pk, end=datetime(2025, 4, 1, tzinfo=UTC))
    challenge.refresh_from_db()
    assert challenge.end == JUNE


def test_a_change_leaves_what_is_not_given(staff):
    challenge = create(staff, description="Old town", transport_type_ids=[kind("Walk").pk])
    actions.change_challenge(
        staff, challenge.pk, name="Geneva in spring", start=datetime(2025, 3, 1, tzinfo=UTC)
    )
    challenge.refresh_from_db()
    assert (challenge.name, challenge.description, challenge.end) == (
        "Geneva in spring",
        "Old town",
        JUNE,
    )
    assert challenge.transport_types.count() == 1
    actions.change_challenge(staff, challenge.pk, transport_type_ids=[])
    assert not challenge.transport_types.exists()


def test_someone_else_may_not_change_or_delete_a_challenge(staff, other_user):
    challenge = create(staff)
    with pytest.raises(PermissionDenied):
        actions.change_challenge(other_user, challenge.pk, name="Mine")
    with pytest.raises(PermissionDenied):
        actions.delete_challenge(other_user, challenge.pk)
    challenge.refresh_from_db()
    assert challenge.name == "Geneva in May"
    actions.delete_challenge(staff, challenge.pk)
    assert not Challenge.objects.exists()
