"""Shared test personas: the owner, another user, the app acting for them, and their tokens."""

import importlib
import secrets
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model, set_token_value

from mtp.accounts.models import User
from mtp.api.auth import forget_applications
from mtp.api.limits import forget_refused
from mtp.lib import ratelimit
from mtp.tiles import cache as tile_cache

pytest_plugins = ["testing.fake_mapillary.fixtures", "testing.redis"]

AccessToken = get_access_token_model()
Application = get_application_model()

UPLOADER_REDIRECT_URI = "app.mtp.desktop://app"


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
    return User.objects.create_user("olivia", "olivia@example.org", "correct horse battery")


@pytest.fixture
def other_user(db) -> User:
    return User.objects.create_user("oscar", "oscar@example.org", "another horse battery")


@pytest.fixture
def developer(db) -> User:
    return User.objects.create_user("dana", "dana@example.org", "developer horse battery")


@pytest.fixture
def developer_client(developer) -> Client:
    """A browser signed in as the developer."""
    client = Client()
    client.force_login(developer)
    return client


@pytest.fixture
def app(developer) -> Application:
    """The MTP Desktop Uploader as registered: a public client using the implicit flow."""
    return Application.objects.create(
        name="MTP Desktop Uploader",
        user=developer,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_IMPLICIT,
        redirect_uris=UPLOADER_REDIRECT_URI,
        skip_authorization=False,
    )


@pytest.fixture
def other_app(developer) -> Application:
    return Application.objects.create(
        name="Another app",
        user=developer,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_IMPLICIT,
        redirect_uris="https://other.example.org/cb",
    )


def issue_token(user: User, application: Application, *, lifetime: timedelta | None = None) -> str:
    """Store an access token for ``user`` through ``application``; return its raw value."""
    raw = secrets.token_urlsafe(32)
    token = AccessToken(
        user=user,
        application=application,
        expires=timezone.now() + (lifetime or timedelta(days=365)),
        scope="read write",
    )
    set_token_value(token, raw)
    token.save()
    return raw


@pytest.fixture
def owner_token(owner, app) -> str:
    return issue_token(owner, app)


@pytest.fixture
def other_token(other_user, app) -> str:
    return issue_token(other_user, app)


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
