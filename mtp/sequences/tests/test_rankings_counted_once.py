"""A challenge's ranking not kept yet is counted once, however many ask for it at once: the
other threads of the process wait for it, and other processes take it from the shared cache.
Counts of counting, never times."""

import threading
import time

import pytest
from django.core.cache import caches

from mtp.challenges.models import AreaPiece
from mtp.sequences import leaderboard
from mtp.sequences.leaderboard import Criteria, KeptRankings

ROWS = [(7, 12, 1), (8, 5, 2)]
THREADS = 6


@pytest.fixture
def shared_cache(settings):
    """A cache of its own that every thread sees, as Redis is to every process."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "x"}
    }
    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()


@pytest.fixture
def process(monkeypatch, shared_cache) -> KeptRankings:
    """This process's kept rankings, new (no other test's)."""
    kept = KeptRankings()
    monkeypatch.setattr(leaderboard, "kept", kept)
    # One read of the generation for the whole test.
    monkeypatch.setattr(leaderboard, "GENERATION_CHECK", 3600.0)
    kept.generation()
    return kept


@pytest.fixture
def counted(monkeypatch) -> list[Criteria]:
    """The rankings counted (each the same rows)."""
    calls: list[Criteria] = []

    def count(criteria: Criteria) -> list[tuple]:
        calls.append(criteria)
        return list(ROWS)

    monkeypatch.setattr(leaderboard, "_count", count)
    return calls


def criteria(metric: str = "images") -> Criteria:
    return Criteria(
        metric=metric,
        area_pieces=AreaPiece.objects.filter(challenge_id=12345),
        area_box=(6.1, 46.1, 6.2, 46.3),
        area_digest="a-shape",
    )


@pytest.mark.parametrize("shared", [True, False], ids=["shared cache", "SQLite's cache table"])
def test_threads_asking_at_once_for_a_ranking_not_kept_count_it_once(process, monkeypatch, shared):
    # Without a cache to share rankings through (SQLite's own table), the threads of a process
    # still count once.
    monkeypatch.setattr(leaderboard, "_cache_takes_write_lock", lambda cache: not shared)
    # Counting lasts until every thread has looked for the ranking among those kept.
    looked: set[int] = set()
    everyone_looked = threading.Event()
    kept_get = process.get

    def get(key: str) -> list[tuple] | None:
        looked.add(threading.get_ident())
        if len(looked) == THREADS:
            everyone_looked.set()
        return kept_get(key)

    calls: list[Criteria] = []

    def count(criteria: Criteria) -> list[tuple]:
        calls.append(criteria)
        everyone_looked.wait(timeout=10)
        return list(ROWS)

    monkeypatch.setattr(process, "get", get)
    monkeypatch.setattr(leaderboard, "_count", count)
    wanted = criteria()
    answers: list[list[tuple]] = []
    start = threading.Barrier(THREADS)

    def ask() -> None:
        start.wait(timeout=10)
        answers.append(leaderboard._ranking(wanted))

    workers = [threading.Thread(target=ask) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert everyone_looked.is_set()
    assert answers == [ROWS] * THREADS
    assert len(calls) == 1


def test_another_process_takes_the_ranking_the_first_counted(process, counted, monkeypatch):
    wanted = criteria()
    assert leaderboard._ranking(wanted) == ROWS
    assert len(counted) == 1
    # Another process: nothing kept of its own, the same shared cache and generation.
    monkeypatch.setattr(leaderboard, "kept", KeptRankings())
    assert leaderboard._ranking(wanted) == ROWS
    assert len(counted) == 1
    # Another ranking is counted.
    assert leaderboard._ranking(criteria("sequences")) == ROWS
    assert len(counted) == 2


def test_a_process_waits_for_the_one_counting_rather_than_count_too(process, counted, shared_cache):
    wanted = criteria()
    generation = process.generation()
    key = leaderboard._criteria_key(wanted)
    # Another process has claimed it and is counting.
    shared_cache.add(f"{leaderboard.COUNTING_KEY}:{generation}:{key}", 1)
    theirs = [(9, 99, 1)]

    def finish() -> None:
        shared = {"counted_at": time.time(), "rows": theirs}
        shared_cache.set(f"{leaderboard.SHARED_KEY}:{generation}:{key}", shared)
        shared_cache.delete(f"{leaderboard.COUNTING_KEY}:{generation}:{key}")

    timer = threading.Timer(0.3, finish)
    timer.start()
    try:
        assert leaderboard._ranking(wanted) == theirs
    finally:
        timer.join()
    assert counted == []


def test_a_process_that_changed_the_data_counts_again_rather_than_take_a_shared_ranking(
    process, counted
):
    wanted = criteria()
    leaderboard._ranking(wanted)
    # A sequence published here: until the change is committed and the generation is new,
    # what the shared cache holds was counted before it.
    process.forget()
    assert leaderboard._ranking(wanted) == ROWS
    assert len(counted) == 2


def test_without_an_answer_from_the_shared_cache_each_asks_counts(process, counted, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(caches["default"], "get", broken)
    monkeypatch.setattr(caches["default"], "add", broken)
    wanted = criteria()
    assert leaderboard._ranking(wanted) == ROWS
    assert len(counted) == 1


def test_a_ranking_shared_is_kept_from_when_it_was_counted_not_from_when_it_was_taken(
    process, counted, shared_cache, monkeypatch
):
    wanted = criteria()
    key = leaderboard._criteria_key(wanted)
    shared = f"{leaderboard.SHARED_KEY}:{process.generation()}:{key}"
    theirs = [(9, 99, 1)]
    # Counted by another process longer ago than a ranking is kept: counted again here.
    old = {"counted_at": time.time() - leaderboard.KEPT_MAX_AGE - 1, "rows": theirs}
    shared_cache.set(shared, old, timeout=None)
    assert leaderboard._ranking(wanted) == ROWS
    assert len(counted) == 1
    # Counted a while ago: another process keeps it only for what is left of its time.
    other = KeptRankings()
    monkeypatch.setattr(leaderboard, "kept", other)
    other.generation()
    recent = {"counted_at": time.time() - leaderboard.KEPT_MAX_AGE + 5, "rows": theirs}
    shared_cache.set(shared, recent, timeout=None)
    assert leaderboard._ranking(wanted) == theirs
    assert len(counted) == 1
    kept_since, _ = other._rankings[key]
    assert time.monotonic() - kept_since > leaderboard.KEPT_MAX_AGE - 10
