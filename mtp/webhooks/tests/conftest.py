"""Webhook test fixtures: a real receiver on 127.0.0.1 (testing.webhooks), an app with a
webhook, its sequences."""

from collections.abc import Iterator

import pytest

from mtp.developers.models import Application
from mtp.developers.webhook_secrets import webhook_secret
from mtp.sequences.models import Sequence, TransportType
from testing import builders
from testing.webhooks import Receiver


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    """Plain http to 127.0.0.1 (the receiver), quick retries, few attempts."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE = False
    settings.WEBHOOK_BACKOFF = 0
    settings.WEBHOOK_TIMEOUT = 2
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    settings.WEBHOOK_CA_FILE = ""
    settings.SITE_URL = "https://mtp.example.org"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def walk(db) -> TransportType:
    return builders.kind("Walk")


@pytest.fixture
def hook_app(app, receiver) -> Application:
    """The uploader, with a webhook pointing at the receiver, which knows its secret."""
    Application.objects.filter(pk=app.pk).update(webhook_url=receiver.url())
    app.refresh_from_db()
    receiver.secret = webhook_secret(app)
    return app


@pytest.fixture
def secret(hook_app) -> str:
    return webhook_secret(hook_app)


@pytest.fixture
def app_draft(owner, walk, hook_app) -> Sequence:
    """Olivia's draft, created through the app that has the webhook."""
    return builders.draft(owner, "Morning walk", application=hook_app)
