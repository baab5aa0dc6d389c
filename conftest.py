"""Shared test personas: the owner, another user, the app acting for them, and their tokens
(built with testing.builders)."""

import importlib
import os
import shutil
from collections.abc import Iterator

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


def _transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    transactional = marker is not None and (
        marker.kwargs.get("transaction") or (marker.args and marker.args[0])
    )
    return bool(transactional or TRANSACTIONAL_FIXTURES & set(getattr(item, "fixturenames", ())))


def _order(item: pytest.Item) -> tuple[int, bool]:
    """Tests without the database first: they may run anywhere, and among them are some of the
    longest (``mtp serve`` and ``mtp migrate`` on new instances). Then those in a transaction
    rolled back, then those that commit (each empties the database: none may run before a test
    that expects what the migrations put there). Within each kind, the ``long`` ones first, so
    that a parallel run does not end waiting for one of them."""
    if _transactional(item):
        kind = 2
    elif item.get_closest_marker("django_db") or "db" in getattr(item, "fixturenames", ()):
        kind = 1
    else:
        kind = 0
    return kind, item.get_closest_marker("long") is None


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> Iterator[None]:
    for item in items:
        if _transactional(item):
            item.add_marker(pytest.mark.slow)
    # Then pytest-django's order, and the selection by -m and -k.
    yield
    items.sort(key=_order)


def pytest_sessionstart(session: pytest.Session) -> None:
    """The browser tests' screenshots of an earlier run go, once per run: here, not in the
    worker processes, which each take some of a module's tests (``pytest -n``)."""
    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(session.config.rootpath / "test-output" / "browser", ignore_errors=True)


# Run in parallel (``pytest -n N``, pytest-xdist), each worker process has a data folder of its
# own (kept photos, mail, the secret key), and a test database copied from one that the
# controlling process migrated once before starting them.
TEMPLATE_DATABASE = "MTP_TEST_TEMPLATE_DATABASE"
_template_databases = pytest.StashKey[list]()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config: pytest.Config, specs: list) -> None:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases
    from pytest_django.plugin import blocking_manager_key

    with config.stash[blocking_manager_key].unblock():
        databases = setup_databases(verbosity=0, interactive=False)
        # Copied while nothing is connected: PostgreSQL copies no database in use, and SQLite
        # writes its log back into the file when the last connection closes.
        connection.close()
    config.stash[_template_databases] = databases
    for spec in specs:
        spec.env["MTP_DATA_DIR"] = str(settings.DATA_DIR / "workers" / spec.id)
        spec.env[TEMPLATE_DATABASE] = connection.settings_dict["NAME"]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _template_databases not in config.stash:
        return
    from django.test.utils import teardown_databases
    from pytest_django.plugin import blocking_manager_key

    databases: list = config.stash[_template_databases]
    with config.stash[blocking_manager_key].unblock():
        teardown_databases(databases, verbosity=0)


if os.environ.get(TEMPLATE_DATABASE):

    @pytest.fixture(scope="session")
    def django_db_setup(django_test_environment, django_db_blocker) -> Iterator[None]:
        """This worker's copy of the migrated test database, dropped at the end."""
        from django.conf import settings
        from django.db import connection

        worker = os.environ["PYTEST_XDIST_WORKER"]
        with django_db_blocker.unblock():
            own_name = connection.settings_dict["NAME"]
            connection.settings_dict["NAME"] = os.environ[TEMPLATE_DATABASE]
            copy = connection.creation.get_test_db_clone_settings(worker)["NAME"]
            if connection.vendor == "sqlite":
                # A log left by an earlier run that stopped half-way would be read as this
                # copy's.
                for leftover in [f"{copy}-wal", f"{copy}-shm"]:
                    if os.path.exists(leftover):
                        os.remove(leftover)
            connection.creation.clone_test_db(suffix=worker, verbosity=0)
            settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = copy
        yield
        with django_db_blocker.unblock():
            connection.creation.destroy_test_db(own_name, verbosity=0)


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
