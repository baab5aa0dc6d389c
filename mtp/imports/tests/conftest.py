"""Fixtures for import tests: a sequence to import into, and the Mapillary user's identity."""

import pytest

from mtp.mapillary.schemas import MapillaryUser
from mtp.sequences.models import Sequence, TransportType
from testing import builders
from testing.fake_mapillary import OWNER, STRANGER


@pytest.fixture
def walk(db) -> TransportType:
    # Made again when tests that flush the database (transaction=True) lost the seeded types.
    return builders.kind("Walk")


@pytest.fixture
def draft(owner, walk) -> Sequence:
    """Olivia's draft, as the uploader creates it before handing over a Mapillary key."""
    return builders.draft(owner, "Morning walk", description="Along the river")


@pytest.fixture
def other_draft(other_user, walk) -> Sequence:
    return builders.draft(other_user, "Oscar's walk")


@pytest.fixture
def mapillary_owner() -> MapillaryUser:
    """Who Mapillary says the owner's token belongs to (``/me``)."""
    return MapillaryUser(id=OWNER.id, username=OWNER.username)


@pytest.fixture
def mapillary_stranger() -> MapillaryUser:
    return MapillaryUser(id=STRANGER.id, username=STRANGER.username)
