"""Made-up tokens are limited per address (api-bad-token, mtp/api/limits.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testing.builders import API, bearer

ME = f"{API}/me"


@pytest.fixture(autouse=True)
def _three_bad_tokens(settings):
    settings.MTP_API_RATE_BAD_TOKEN = 3


def made_up(client, number: int, address: str = "203.0.113.5", path: str = ME):
    return client.get(path, REMOTE_ADDR=address, **bearer(f"made-up-token-{number}"))


def test_past_the_limit_an_address_gets_429_for_any_token(client, owner_token):
    for number in range(3):
        assert made_up(client, number).status_code == 401
    refused = made_up(client, 3)
    assert refused.status_code == 429
    assert refused.json()["detail"]["policy"] == "api-bad-token"
    assert int(refused["Retry-After"]) >= 1
    assert refused["RateLimit-Policy"].startswith('"api-bad-token"')
    # A good token from that address gets the same answer: it tells nothing about tokens.
    good = client.get(ME, REMOTE_ADDR="203.0.113.5", **bearer(owner_token))
    assert good.status_code == 429
    assert good.json()["detail"]["policy"] == "api-bad-token"


def test_a_refused_address_costs_no_query(client, db):
    for number in range(4):
        made_up(client, number)
    with CaptureQueriesContext(connection) as queries:
        assert made_up(client, 5).status_code == 429
    assert len(queries) == 0


def test_other_addresses_and_calls_without_a_token_carry_on(client, app, owner_token):
    for number in range(4):
        made_up(client, number)
    assert made_up(client, 9, address="203.0.113.6").status_code == 401
    assert client.get(ME, REMOTE_ADDR="203.0.113.6", **bearer(owner_token)).status_code == 200
    public = client.get(
        f"{API}/transport-types?client_id={app.client_id}", REMOTE_ADDR="203.0.113.5"
    )
    assert public.status_code == 200


def test_tiles_count_bad_tokens_too(client, db):
    for number in range(3):
        assert made_up(client, number, path=f"{API}/tiles/0/0/0.mvt").status_code == 401
    assert made_up(client, 3, path=f"{API}/tiles/0/0/0.mvt").status_code == 429
    assert made_up(client, 4).status_code == 429


def test_good_tokens_are_never_counted_as_bad(client, owner_token):
    for _ in range(10):
        assert client.get(ME, REMOTE_ADDR="203.0.113.5", **bearer(owner_token)).status_code == 200


def test_the_limit_may_be_turned_off(client, db, settings):
    settings.MTP_API_RATE_BAD_TOKEN = 0
    for number in range(10):
        assert made_up(client, number).status_code == 401


def test_the_refusal_ends_with_the_window(client, db, monkeypatch):
    from types import SimpleNamespace

    from mtp.api import limits
    from mtp.lib import ratelimit

    for number in range(4):
        made_up(client, number)
    assert made_up(client, 4).status_code == 429
    later = ratelimit.now() + 3600
    monkeypatch.setattr(ratelimit, "now", lambda: later)
    monkeypatch.setattr(limits, "time", SimpleNamespace(time=lambda: float(later)))
    assert made_up(client, 5).status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"{API}/no-such-route"),
        ("get", f"{API}/sequence/00000000-0000-0000-0000-000000000000/nothing"),
        ("post", f"{API}/sequences"),
        ("delete", f"{API}/me"),
        ("get", f"{API}/"),
    ],
)
def test_made_up_tokens_count_on_routes_that_answer_before_checking_them(client, db, method, path):
    """A new token on every request to a 404 or a 405 must not slip past the limit."""
    for number in range(3):
        response = getattr(client, method)(
            path, REMOTE_ADDR="203.0.113.7", **bearer(f"made-up-{number}")
        )
        assert response.status_code != 429
    refused = getattr(client, method)(path, REMOTE_ADDR="203.0.113.7", **bearer("made-up-3"))
    assert refused.status_code == 429
    assert refused.json()["detail"]["policy"] == "api-bad-token"
    assert made_up(client, 4, address="203.0.113.7").status_code == 429


def test_a_good_token_on_a_missing_route_is_not_counted_as_bad(client, owner_token):
    for _ in range(5):
        response = client.get(
            f"{API}/no-such-route", REMOTE_ADDR="203.0.113.8", **bearer(owner_token)
        )
        assert response.status_code == 404
    assert client.get(ME, REMOTE_ADDR="203.0.113.8", **bearer(owner_token)).status_code == 200
