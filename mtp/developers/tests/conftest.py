"""Personas for the OAuth tests: apps for each flow (the consent dance is in testing.pages)."""

import pytest
from django.core.cache import cache
from django.test import Client

from mtp.developers.models import Application
from testing import builders


@pytest.fixture(autouse=True)
def fresh_rate_limits(db):
    """Rate-limit counters live in the cache table, which outlives a test's transaction."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def code_app(developer) -> Application:
    """A public client (say, a single-page app) using the authorization code flow with PKCE."""
    return builders.code_app(developer)


@pytest.fixture
def confidential_app(developer) -> tuple[Application, str]:
    """A server-side client with a secret; returns the application and its cleartext secret."""
    return builders.confidential_app(developer)


@pytest.fixture
def device_app(developer) -> Application:
    return builders.device_app(developer)


@pytest.fixture
def owner_client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client
