"""Writes to challenges: create, change and delete them.

Each action takes the acting user and plain values (an area already parsed by
``mtp.challenges.areas.parse_area``, transport types by id), locks the challenge's row,
applies the rules and writes in one transaction. The API and the pages find the challenge
first (their 404 is theirs), then call one action.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction

from mtp.challenges.models import Challenge, may_create_challenges


class BadWindow(ValueError):
    """A challenge that would end before it starts."""


def _locked_own(acting_user, challenge_id: int) -> Challenge:
    """The challenge, its row locked; ``Challenge.DoesNotExist`` when it is gone,
    ``PermissionDenied`` when it is not ``acting_user``'s."""
    challenge = Challenge.objects.select_for_update().get(pk=challenge_id)
    if challenge.owner_id != acting_user.pk:
        raise PermissionDenied("Only the challenge's owner may change or delete it.")
    return challenge


def create_challenge(
    acting_user,
    *,
    name: str,
    area,
    start: datetime,
    end: datetime,
    description: str = "",
    camera_makes: list[str] | None = None,
    transport_type_ids: list[int] | None = None,
) -> Challenge:
    """A new challenge of ``acting_user``'s, if the instance lets them create challenges
    (``PermissionDenied`` if not). Raises ``BadWindow`` when it ends before it starts."""
    if not may_create_challenges(acting_user):
        raise PermissionDenied("On this server only staff members may create challenges.")
    if end <= start:
        raise BadWindow("end must be after start.")
    challenge = Challenge(
        owner=acting_user,
        name=name,
        description=description,
        camera_makes=camera_makes or [],
        start=start,
        end=end,
    )
    challenge.set_area(area)
    with transaction.atomic():
        challenge.save()
        challenge.transport_types.set(transport_type_ids or [])
    return challenge


def change_challenge(
    acting_user,
    challenge_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    camera_makes: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    area=None,
    transport_type_ids: list[int] | None = None,
) -> Challenge:
    """Change the challenge; None leaves a field as it is, ``transport_type_ids`` replaces
    them all. Raises ``BadWindow`` when it would end before it starts."""
    with transaction.atomic():
        challenge = _locked_own(acting_user, challenge_id)
        if name is not None:
            challenge.name = name
        if description is not None:
            challenge.description = description
        if camera_makes is not None:
            challenge.camera_makes = camera_makes
        if start is not None:
            challenge.start = start
        if end is not None:
            challenge.end = end
        if challenge.end <= challenge.start:
            raise BadWindow("end must be after start.")
        if area is not None:
            challenge.set_area(area)
        challenge.save()
        if transport_type_ids is not None:
            challenge.transport_types.set(transport_type_ids)
    return challenge


def delete_challenge(acting_user, challenge_id: int) -> None:
    """Delete the challenge."""
    with transaction.atomic():
        _locked_own(acting_user, challenge_id).delete()
