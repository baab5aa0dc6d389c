"""Fixtures for upload tests: the storage in a folder of the test's own, an upload set."""

import pytest

from mtp.uploads import actions
from mtp.uploads.actions import SetParameters
from mtp.uploads.models import UploadSet
from testing import builders


@pytest.fixture(autouse=True)
def _storage(settings, tmp_path):
    """Photos go to a folder of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def walk(db):
    return builders.kind("Walk")


@pytest.fixture
def upload_set(owner, app, walk) -> UploadSet:
    return actions.create_upload_set(owner, app, SetParameters(title="Lakeside"))
