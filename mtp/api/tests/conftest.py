"""Sequences to read, search and edit, built the way an import leaves them."""

import pytest

from mtp.sequences.models import Sequence, clear_transport_types_cache
from mtp.sequences.tags import forget_tag_ids
from testing.builders import bearer, make_sequence


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The personas' passwords are never checked here; hashing them properly takes seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_transport_types():
    # The in-process copy must not outlive a test's database.
    clear_transport_types_cache()
    forget_tag_ids()
    yield
    clear_transport_types_cache()
    forget_tag_ids()


@pytest.fixture
def published(owner) -> Sequence:
    return make_sequence(owner, tags=("lake", "geneva"))


@pytest.fixture
def draft(owner) -> Sequence:
    return make_sequence(owner, name="Not yet imported", status="draft", route=[], images=False)


@pytest.fixture
def owner_headers(owner_token) -> dict[str, str]:
    return bearer(owner_token)


@pytest.fixture
def other_headers(other_token) -> dict[str, str]:
    return bearer(other_token)
