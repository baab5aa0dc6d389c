"""Shared test personas: the owner, another user, the app acting for them, and their tokens
(built with testing.builders)."""

import importlib

import pytest
from django.test import Client

from mtp.accounts.models import User
from mtp.api.auth import forget_applications
from mtp.api.limits import forget_refused
from mtp.developers.models import Application
from mtp.lib import ratelimit
from mtp.sequences import leaderboard
from mtp.tiles import cache as tile_cache
from testing import builders

pytest_plugins = ["testing.fake_mapillary.fixtures", "testing.redis"]


# What makes a test slow without its saying so: it commits for real (the database is emptied
# after it, and a live server or a browser usually comes with it). Subprocess and fuzz tests
# carry ``pytest.mark.slow`` themselves. ``make test-fast`` leaves all of them out.
TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = marker is not None and (
            marker.kwargs.get("transaction") or (marker.args and marker.args[0])
        )
        if transactional or TRANSACTIONAL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _static_files_without_collectstatic(settings):
    """Tests serve static files from the apps; production uses the hashed manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Each test starts with no remembered client_ids (rows come and go between tests).
    forget_applications()
    ratelimit._batches.clear()
    forget_refused()
    # Nor tiles kept from another test's data.
    tile_cache.tiles.forget()
    # Nor leaderboards kept from another test's data.
    leaderboard.kept.forget()
    # Same algorithm and "pbkdf2_sha256$" prefix as production, fewer iterations.
    settings.PASSWORD_HASHERS = ["testing.hashers.QuickPBKDF2PasswordHasher"]


@pytest.fixture
def seeded(transactional_db) -> None:
    """What the migrations put in the database, for tests that commit for real.

    Such tests (``transaction=True``) run after all others, and each one empties the database
    when it ends: the next finds neither the website's own application (``mtp-web``) nor the
    transport types. This puts them back, with the migrations' own functions.
    """
    from django.apps import apps
    from django.core.cache import cache

    # Nor do they empty the cache table, where rate-limit counts from earlier ones stay.
    cache.clear()
    for module, function in [
        ("mtp.developers.migrations.0003_first_party_application", "create_web_application"),
        ("mtp.sequences.migrations.0002_seed_transport_types", "seed"),
        ("mtp.guidebooks.migrations.0002_seed_categories", "seed"),
    ]:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture
def owner(db) -> User:
    return builders.persona("olivia")


@pytest.fixture
def other_user(db) -> User:
    return builders.persona("oscar")


@pytest.fixture
def developer(db) -> User:
    return builders.persona("dana")


@pytest.fixture
def developer_client(developer) -> Client:
    """A browser signed in as the developer."""
    client = Client()
    client.force_login(developer)
    return client


@pytest.fixture
def app(developer) -> Application:
    """The MTP Desktop Uploader as registered: a public client using the implicit flow."""
    return builders.uploader_app(developer)


@pytest.fixture
def other_app(developer) -> Application:
    return builders.implicit_app(developer)


@pytest.fixture
def owner_token(owner, app) -> str:
    return builders.issue_token(owner, app)


@pytest.fixture
def other_token(other_user, app) -> str:
    return builders.issue_token(other_user, app)
