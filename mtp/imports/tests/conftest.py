"""Fixtures for import tests: a sequence to import into, and the Mapillary user's identity."""

import pytest

from mtp.mapillary.schemas import MapillaryUser
from mtp.sequences.models import Sequence, TransportType
from testing.fake_mapillary import OWNER, STRANGER


@pytest.fixture
def walk(db) -> TransportType:
    # get_or_create: tests that flush the database (transaction=True) lose the seeded types.
    earth, _ = TransportType.objects.get_or_create(name="Earth", parent=None)
    return TransportType.objects.get_or_create(name="Walk", defaults={"parent": earth})[0]


@pytest.fixture
def draft(owner, walk) -> Sequence:
    """Olivia's draft, as the uploader creates it before handing over a Mapillary key."""
    return Sequence.objects.create(
        owner=owner, name="Morning walk", description="Along the river", transport_type=walk
    )


@pytest.fixture
def other_draft(other_user, walk) -> Sequence:
    return Sequence.objects.create(owner=other_user, name="Oscar's walk", transport_type=walk)


@pytest.fixture
def mapillary_owner() -> MapillaryUser:
    """Who Mapillary says the owner's token belongs to (``/me``)."""
    return MapillaryUser(id=OWNER.id, username=OWNER.username)


@pytest.fixture
def mapillary_stranger() -> MapillaryUser:
    return MapillaryUser(id=STRANGER.id, username=STRANGER.username)
