"""Tile addresses and query strings from a fuzzer: a clear answer, never a 5xx."""

import os
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtp.lib import ratelimit

# Hypothesis: hundreds of tile requests.
pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("MTP_FUZZ_EXAMPLES", "150"))
STATUSES = {200, 204, 304, 400, 401, 404, 405, 429}
# Path parts: digits mostly, and anything else now and then.
PART = st.one_of(
    st.integers(min_value=0, max_value=2**40).map(str),
    st.text(min_size=1, max_size=30).filter(lambda text: "/" not in text),
)


@pytest.mark.django_db
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    z=PART,
    x=PART,
    y=PART,
    query=st.dictionaries(st.sampled_from(["client_id", "v", "x"]), st.text(max_size=40)),
    etag=st.one_of(st.none(), st.text(max_size=40)),
    method=st.sampled_from(["get", "head", "post"]),
)
def test_any_tile_address_gets_a_clear_answer(app, settings_fixture, z, x, y, query, etag, method):
    query = {**query, "client_id": query.get("client_id", app.client_id)}
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag is not None else {}
    path = "/api/v1/tiles/" + "/".join(quote(part, safe="") for part in (z, x, y)) + ".mvt"
    response = getattr(Client(), method)(path, query, **headers)
    assert response.status_code in STATUSES, (path, query, response.status_code)
    if response.status_code >= 400 and method != "head":
        assert "error" in response.json()


@pytest.fixture
def settings_fixture(settings, monkeypatch):
    settings.MTP_API_RATE_TILES = 0
    monkeypatch.setattr(ratelimit, "now", lambda: 1_000_000_040)
    return settings
