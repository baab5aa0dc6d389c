"""The ``fake_mapillary`` pytest fixture: the stand-in on a free port, settings pointed at it."""

from collections.abc import Iterator

import pytest

from testing.fake_mapillary.server import APPLICATION_TOKEN, FakeMapillary


@pytest.fixture
def fake_mapillary(settings) -> Iterator[FakeMapillary]:
    """A running Mapillary stand-in; ``MAPILLARY_API_URL`` points at it for the test, and
    ``MAPILLARY_CLIENT_TOKEN`` is its application token.

    Retries wait only milliseconds, so fault tests stay quick (``Retry-After`` is still
    honoured: a 429 costs its one second).
    """
    with FakeMapillary() as fake:
        settings.MAPILLARY_API_URL = fake.url
        settings.MAPILLARY_CLIENT_TOKEN = APPLICATION_TOKEN
        settings.MAPILLARY_BACKOFF = 0.01
        settings.MAPILLARY_TIMEOUT = 2
        yield fake
