"""Public reads remember which client_ids are active, briefly, per process."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mtp.api.auth import active_application

pytestmark = pytest.mark.django_db


def test_a_known_client_id_is_looked_up_once_then_remembered(app):
    with CaptureQueriesContext(connection) as first:
        assert active_application(app.client_id) == app
    with CaptureQueriesContext(connection) as second:
        assert active_application(app.client_id) == app
    assert len(first) == 1
    assert len(second) == 0


def test_deactivating_an_application_is_seen_at_once_in_this_process(app):
    assert active_application(app.client_id) == app
    app.is_active = False
    app.save()
    assert active_application(app.client_id) is None


def test_a_change_made_elsewhere_is_seen_once_the_memory_expires(app, settings):
    assert active_application(app.client_id) == app
    type(app).objects.filter(pk=app.pk).update(is_active=False)  # as another process would
    assert active_application(app.client_id) == app
    settings.API_CLIENT_CACHE_SECONDS = 0
    assert active_application(app.client_id) is None


def test_unknown_client_ids_are_remembered_too_without_growing_forever(db):
    for index in range(1200):
        assert active_application(f"unknown-{index}") is None
    from mtp.api import auth

    assert len(auth._applications) <= auth._APPLICATIONS_MAX
