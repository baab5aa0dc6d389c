"""The rate limiter: fixed windows, the RateLimit fields, exact counts in the database and Redis."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.db import OperationalError, connections

from mtp.lib import ratelimit
from mtp.lib.ratelimit import Policy

# 1_000_000_020 is 20 seconds into a 60-second window.
MOMENT = 1_000_000_020 + 20


@pytest.fixture
def fixed_time(monkeypatch):
    moment = {"now": MOMENT}
    monkeypatch.setattr(ratelimit, "now", lambda: moment["now"])
    return moment


def fresh_policy(limit: int = 3, window: int = 60) -> Policy:
    # A name of its own per test: counters in the cache table outlive transactional tests.
    return Policy(f"test-{uuid.uuid4().hex[:8]}", limit, window)


def test_requests_over_the_limit_in_one_window_are_exceeded(db, fixed_time):
    policy = fresh_policy(limit=3)
    usages = [ratelimit.hit(policy, "ip:192.0.2.1") for _ in range(4)]
    assert [usage.count for usage in usages] == [1, 2, 3, 4]
    assert [usage.exceeded for usage in usages] == [False, False, False, True]
    assert [usage.remaining for usage in usages] == [2, 1, 0, 0]


def test_each_client_has_its_own_count(db, fixed_time):
    policy = fresh_policy(limit=1)
    assert not ratelimit.hit(policy, "ip:192.0.2.1").exceeded
    assert not ratelimit.hit(policy, "ip:192.0.2.2").exceeded
    assert ratelimit.hit(policy, "ip:192.0.2.1").exceeded


def test_the_count_starts_again_in_the_next_window(db, fixed_time):
    policy = fresh_policy(limit=1)
    ratelimit.hit(policy, "me")
    assert ratelimit.hit(policy, "me").exceeded
    fixed_time["now"] += 40  # the next window starts
    assert ratelimit.hit(policy, "me").count == 1


def test_the_fields_follow_the_ietf_draft_and_a_refusal_says_when_to_retry(db, fixed_time):
    policy = Policy("api-token", 2, 60)
    first = ratelimit.hit(policy, "token:a")
    assert first.headers() == {
        "RateLimit-Policy": '"api-token";q=2;w=60',
        "RateLimit": '"api-token";r=1;t=40',
    }
    ratelimit.hit(policy, "token:a")
    refused = ratelimit.hit(policy, "token:a")
    assert refused.headers() == {
        "RateLimit-Policy": '"api-token";q=2;w=60',
        "RateLimit": '"api-token";r=0;t=40',
        "Retry-After": "40",
    }


def test_a_limit_of_zero_counts_nothing_and_refuses_nothing(db, django_assert_num_queries):
    policy = Policy("off", 0, 60)
    with django_assert_num_queries(0):
        usage = ratelimit.hit(policy, "me")
    assert not usage.exceeded
    assert usage.headers() == {}


def test_peek_tells_whether_one_more_would_be_over_without_counting(db, fixed_time):
    policy = fresh_policy(limit=2)
    assert not ratelimit.peek(policy, "me").exceeded
    ratelimit.hit(policy, "me")
    ratelimit.hit(policy, "me")
    assert ratelimit.peek(policy, "me").exceeded
    assert ratelimit.peek(policy, "me").exceeded
    ratelimit.clear(policy, "me")
    assert not ratelimit.peek(policy, "me").exceeded


def test_identities_are_not_stored_in_plain_text(db, fixed_time):
    policy = fresh_policy()
    ratelimit.hit(policy, "token:secret-token-value")
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT cache_key FROM mtp_cache")
        keys = [row[0] for row in cursor.fetchall()]
    assert keys
    assert not any("secret" in key for key in keys)


def test_a_count_in_the_database_is_one_statement(db, fixed_time, django_assert_num_queries):
    policy = fresh_policy()
    ratelimit.hit(policy, "me")  # a first request may also sweep expired counters
    with django_assert_num_queries(1):
        ratelimit.hit(policy, "me")


def test_expired_counters_are_swept_from_the_database(db, monkeypatch, fixed_time):
    policy = fresh_policy(window=10)
    ratelimit.hit(policy, "old")
    fixed_time["now"] += 3600
    monkeypatch.setattr(ratelimit, "_last_sweep", 0.0)
    ratelimit.hit(policy, "new")
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM mtp_cache WHERE cache_key LIKE %s", [f"%rate:{policy.name}:%"]
        )
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_requests_in_the_database_are_each_counted_once():
    policy = fresh_policy(limit=1000, window=3600)

    def hit_many(_: int) -> list[int]:
        try:
            return [ratelimit.hit(policy, "busy client").count for _ in range(20)]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=6) as pool:
        counts = [count for batch in pool.map(hit_many, range(6)) for count in batch]
    # Every request got its own number: none was lost or counted twice.
    assert sorted(counts) == list(range(1, 121))
    ratelimit.clear(policy, "busy client")


def test_an_unreachable_counter_still_limits_counting_in_the_process(settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    policy = fresh_policy(limit=2)
    usages = [ratelimit.hit(policy, "me") for _ in range(3)]
    assert [usage.count for usage in usages] == [1, 2, 3]
    assert [usage.exceeded for usage in usages] == [False, False, True]
    assert usages[-1].headers()["Retry-After"]
    assert not ratelimit.hit(policy, "someone else").exceeded
    assert ratelimit.peek(policy, "me").count == 4
    assert "the counter is unavailable; counting in this process" in caplog.text
    ratelimit.clear(policy, "me")
    assert not ratelimit.hit(policy, "me").exceeded


def test_a_locked_database_counter_still_limits(db, monkeypatch, fixed_time):
    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(ratelimit, "_database_count", locked)
    policy = fresh_policy(limit=1)
    assert not ratelimit.hit(policy, "me").exceeded
    assert ratelimit.hit(policy, "me").exceeded
    # The next window starts again.
    fixed_time["now"] += 60
    assert not ratelimit.hit(policy, "me").exceeded


def test_failures_counted_while_the_counter_was_locked_still_count_once_it_answers(
    db, monkeypatch, fixed_time
):
    """Log-in failures: three counted in the process while the database was locked, then the
    fourth attempt checked when it answers again: it is still refused."""
    real = ratelimit._database_count

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    policy = fresh_policy(limit=3)
    monkeypatch.setattr(ratelimit, "_database_count", locked)
    for _ in range(3):
        ratelimit.hit(policy, "account")
    monkeypatch.setattr(ratelimit, "_database_count", real)
    assert ratelimit.peek(policy, "account").exceeded
    assert ratelimit.hit(policy, "account").count == 4
    ratelimit.clear(policy, "account")


def test_counts_in_redis_are_exact_and_expire_with_their_window(redis_cache, fixed_time):
    policy = Policy("api-token", 2, 60)
    usages = [ratelimit.hit(policy, "token:a") for _ in range(3)]
    assert [usage.exceeded for usage in usages] == [False, False, True]
    assert ratelimit.peek(policy, "token:a").count == 4
    cache = caches["default"]
    key = cache.make_and_validate_key(ratelimit._key(policy, "token:a", MOMENT // 60))
    client = cache._cache.get_client(key)
    assert int(client.get(key)) == 3
    assert 0 < client.ttl(key) <= 41
    ratelimit.clear(policy, "token:a")
    assert ratelimit.peek(policy, "token:a").count == 1


def test_parallel_requests_in_redis_are_each_counted_once(redis_cache):
    policy = Policy("busy", 1000, 3600)
    with ThreadPoolExecutor(max_workers=6) as pool:
        counts = list(pool.map(lambda _: ratelimit.hit(policy, "busy client").count, range(120)))
    assert sorted(counts) == list(range(1, 121))


def test_other_caches_count_too(settings, fixed_time):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    policy = fresh_policy(limit=1)
    assert not ratelimit.hit(policy, "me").exceeded
    assert ratelimit.hit(policy, "me").exceeded


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_only_the_count_itself_skips_waiting_for_the_disk():
    connection = connections["default"]
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    policy = fresh_policy()
    assert [ratelimit.hit(policy, "me").count for _ in range(2)] == [1, 2]
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    ratelimit.clear(policy, "me")


def batched_policy(limit: int, batch: int) -> Policy:
    return Policy(f"test-{uuid.uuid4().hex[:8]}", limit, 60, batch=batch)


def stored_count(policy: Policy, ident: str) -> int:
    return ratelimit._current(ratelimit._key(policy, ident, MOMENT // 60))


def test_a_batched_policy_writes_once_per_batch_far_from_the_limit(
    db, fixed_time, django_assert_num_queries, monkeypatch
):
    policy = batched_policy(limit=1000, batch=10)
    ratelimit.hit(policy, "map")
    # The once-a-minute sweep of expired counters goes by the real clock: none in the count.
    monkeypatch.setattr(ratelimit, "_last_sweep", float("inf"))
    with django_assert_num_queries(2):
        counts = [ratelimit.hit(policy, "map").count for _ in range(24)]
    assert counts == list(range(2, 26))
    assert stored_count(policy, "map") == 20


def test_a_batched_policy_counts_every_request_near_the_limit(db, fixed_time):
    policy = batched_policy(limit=30, batch=10)
    usages = [ratelimit.hit(policy, "map") for _ in range(31)]
    assert [usage.exceeded for usage in usages] == [False] * 30 + [True]
    assert stored_count(policy, "map") == 31


def test_batched_counts_add_up_across_processes(db, fixed_time):
    policy = batched_policy(limit=10_000, batch=10)
    for _ in range(10):
        ratelimit.hit(policy, "map")
    # Another process has written 500 requests for the same client meanwhile.
    ratelimit._increment(ratelimit._key(policy, "map", MOMENT // 60), 60, 500)
    for _ in range(9):
        ratelimit.hit(policy, "map")
    assert ratelimit.hit(policy, "map").count == 520
