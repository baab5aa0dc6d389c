"""Fixed-window rate limits, counted in the cache, told to clients with the RateLimit fields.

One counter per policy, client and window: the window is the current multiple of the policy's
length (``now // window``), so it ends at the same moment for every client. A client can thus
make up to twice its limit in a short burst across the end of a window.

Where counts live, by the kind of Django's default cache:

- The database cache (the default: the ``mtp_cache`` table that ``createcachetable`` makes):
  each count is one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on that table, atomic
  and exact on SQLite and PostgreSQL alike. Django's own ``add``/``incr`` would take six
  statements and could lose counts between processes (its ``incr`` reads, then writes).
  Counter rows hold the count as plain text, read only by this module; expired rows are
  deleted by each process at most once a minute.
- Redis, when ``REDIS_URL`` is set: ``INCR`` and ``EXPIRE`` in one MULTI/EXEC transaction,
  exact however many processes and machines count.
- Any other cache (tests may use the local-memory one): ``add``, then read and write back.

A policy may count in batches (``Policy.batch``): each process adds up a client's requests
itself and writes them to the shared counter every ``batch`` requests, and on every request once
the client nears its limit. Far from the limit that is one write per ``batch`` requests instead
of one per request; the price is that a client may go over by up to ``batch - 1`` requests per
process, and that up to as many are never counted when a window ends. Vector tiles use it: a map
view fetches dozens at once.

A counter that cannot be reached (Redis down, the database locked or gone) is replaced by a
count in the process's memory until it answers again, and a warning is logged: the limit
keeps applying per process (so a client may make up to the limit on each process), never
lapses, and the request is not refused for the counter's sake. Limits matter most exactly
when the server is under pressure.

Clients are told with the fields of draft-ietf-httpapi-ratelimit-headers-10:
``RateLimit-Policy: "api-token";q=600;w=60`` (the policy: ``q`` requests per ``w`` seconds) and
``RateLimit: "api-token";r=598;t=17`` (``r`` requests left, the window ends in ``t`` seconds).
A refusal also has ``Retry-After`` in seconds.
"""

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import connections, router

logger = logging.getLogger(__name__)


def now() -> int:
    """The current time in whole seconds (tests pin it so a window cannot end mid-test)."""
    return int(time.time())


@dataclass(frozen=True)
class Policy:
    """``limit`` requests per ``window`` seconds; a limit of 0 means no limit.

    ``batch`` > 1 counts in batches (see the module docstring).
    """

    name: str
    limit: int
    window: int
    batch: int = 1

    @property
    def enabled(self) -> bool:
        return self.limit > 0


@dataclass(frozen=True)
class Usage:
    """How much of a policy's window one client has used, this request included."""

    policy: Policy
    count: int
    reset: int

    @property
    def exceeded(self) -> bool:
        return self.policy.enabled and self.count > self.policy.limit

    @property
    def remaining(self) -> int:
        return max(0, self.policy.limit - self.count)

    def headers(self) -> dict[str, str]:
        """The RateLimit fields for a reply, and Retry-After when the limit is exceeded."""
        if not self.policy.enabled:
            return {}
        name = self.policy.name
        fields = {
            "RateLimit-Policy": f'"{name}";q={self.policy.limit};w={self.policy.window}',
            "RateLimit": f'"{name}";r={self.remaining};t={self.reset}',
        }
        if self.exceeded:
            fields["Retry-After"] = str(self.reset)
        return fields


def _key(policy: Policy, ident: str, window_index: int) -> str:
    # Hashed: identities are addresses, token values and user names, none of which belong in
    # cache keys (the database cache's keys are readable by anyone with the database).
    digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"rate:{policy.name}:{digest}:{window_index}"


def _where(policy: Policy) -> tuple[int, int]:
    """The current window's index and the seconds left in it."""
    current = now()
    return current // policy.window, policy.window - current % policy.window


# Seconds between two sweeps of expired rows from the database cache, per process.
SWEEP_INTERVAL = 60
_last_sweep = 0.0


def _expiry(timeout: int) -> datetime:
    return datetime.fromtimestamp(now() + timeout, tz=UTC).replace(microsecond=0)


def _database_count(cache: DatabaseCache, key: str, timeout: int, amount: int) -> int:
    global _last_sweep
    connection = connections[router.db_for_write(cache.cache_model_class)]
    table = connection.ops.quote_name(cache._table)  # type: ignore[attr-defined]
    adapt = connection.ops.adapt_datetimefield_value
    rows = "VALUES (%s, %s, %s)"
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # A count need not outlive a crash: this statement's commit does not wait for the
        # write-ahead log to reach the disk (the setting lasts for this statement's own
        # transaction only). A write on every request: about a third cheaper (bench/ratelimit).
        rows = (
            "SELECT %s, %s, %s"
            " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed"
        )
    with connection.cursor() as cursor:
        # Only the table name, from settings, is interpolated; values are parameters.
        cursor.execute(
            f"INSERT INTO {table} (cache_key, value, expires) {rows}"  # noqa: S608
            f" ON CONFLICT (cache_key) DO UPDATE"
            f" SET value = CAST(CAST({table}.value AS INTEGER) + %s AS TEXT)"
            f" RETURNING value",
            [cache.make_and_validate_key(key), str(amount), adapt(_expiry(timeout)), amount],
        )
        count = int(cursor.fetchone()[0])
        if time.monotonic() - _last_sweep > SWEEP_INTERVAL:
            _last_sweep = time.monotonic()
            cursor.execute(
                f"DELETE FROM {table} WHERE expires < %s",  # noqa: S608
                [adapt(_expiry(0))],
            )
    return count


def _database_peek(cache: DatabaseCache, key: str) -> int:
    connection = connections[router.db_for_read(cache.cache_model_class)]
    table = connection.ops.quote_name(cache._table)  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT value FROM {table} WHERE cache_key = %s AND expires >= %s",  # noqa: S608
            [
                cache.make_and_validate_key(key),
                connection.ops.adapt_datetimefield_value(_expiry(0)),
            ],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _increment(key: str, timeout: int, amount: int = 1) -> int:
    cache = caches["default"]
    if isinstance(cache, DatabaseCache):
        return _database_count(cache, key, timeout, amount)
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        # Django's Redis cache has no atomic "increment, or start at 1 with this expiry": use
        # its client (the same connection pool) directly.
        client = cache._cache.get_client(full_key, write=True)
        pipeline = client.pipeline(transaction=True)
        pipeline.incr(full_key, amount)
        pipeline.expire(full_key, timeout)
        count, _ = pipeline.execute()
        return int(count)
    if cache.add(key, amount, timeout=timeout):
        return amount
    count = int(cache.get(key) or 0) + amount
    cache.set(key, count, timeout=timeout)
    return count


def _current(key: str) -> int:
    cache = caches["default"]
    if isinstance(cache, DatabaseCache):
        return _database_peek(cache, key)
    return int(cache.get(key) or 0)


# Batched counts of this process: key -> [requests not yet written, the shared count last read].
_batches: dict[str, list[int]] = {}
_batches_lock = threading.Lock()
_BATCHES_MAX = 10_000


def _batched_increment(policy: Policy, key: str, timeout: int) -> int:
    with _batches_lock:
        if key not in _batches and len(_batches) >= _BATCHES_MAX:
            _batches.clear()  # old windows' keys; a few unwritten requests are forgiven
        batch = _batches.setdefault(key, [0, 0])
        batch[0] += 1
        estimate = batch[1] + batch[0]
        if batch[0] < policy.batch and policy.limit - estimate > policy.batch:
            return estimate
        amount, batch[0] = batch[0], 0
    total = _increment(key, timeout, amount)
    with _batches_lock:
        batch = _batches.setdefault(key, [0, 0])
        batch[1] = max(batch[1], total)
        return batch[1] + batch[0]


# Counts of this process while the shared counter does not answer: key -> [count, expiry].
_local: dict[str, list[int]] = {}
_local_lock = threading.Lock()
_LOCAL_MAX = 10_000


def _local_increment(key: str, timeout: int) -> int:
    current = now()
    with _local_lock:
        if key not in _local and len(_local) >= _LOCAL_MAX:
            for old in [old for old, (_, expiry) in _local.items() if expiry <= current]:
                del _local[old]
            if len(_local) >= _LOCAL_MAX:
                _local.clear()
        entry = _local.setdefault(key, [0, current + timeout])
        entry[0] += 1
        return entry[0]


def _local_current(key: str) -> int:
    with _local_lock:
        entry = _local.get(key)
        return entry[0] if entry and entry[1] > now() else 0


def _unavailable(policy: Policy) -> None:
    logger.warning(
        "rate limit %s: the counter is unavailable; counting in this process",
        policy.name,
        exc_info=True,
    )


def hit(policy: Policy, ident: str) -> Usage:
    """Count one request by ``ident`` under ``policy``; the usage says whether it is over."""
    index, reset = _where(policy)
    if not policy.enabled:
        return Usage(policy, 0, reset)
    key = _key(policy, ident, index)
    try:
        if policy.batch > 1:
            count = _batched_increment(policy, key, reset + 1)
        else:
            count = _increment(key, reset + 1)
    except Exception:  # noqa: BLE001 - an unreachable counter must not refuse service
        _unavailable(policy)
        count = _local_increment(key, reset + 1)
    else:
        # What this process counted while the shared counter did not answer still counts.
        count += _local_current(key)
    return Usage(policy, count, reset)


def peek(policy: Policy, ident: str) -> Usage:
    """The usage this request would have if it were counted, without counting it.

    For limits on failures (log-in): the attempt is refused when it would be one too many.
    """
    index, reset = _where(policy)
    if not policy.enabled:
        return Usage(policy, 0, reset)
    key = _key(policy, ident, index)
    try:
        # What this process counted while the shared counter did not answer still counts.
        count = _current(key) + _local_current(key)
    except Exception:  # noqa: BLE001
        _unavailable(policy)
        count = _local_current(key)
    return Usage(policy, count + 1, reset)


def clear(policy: Policy, ident: str) -> None:
    """Forget ``ident``'s count in the current window."""
    index, _ = _where(policy)
    key = _key(policy, ident, index)
    with _local_lock:
        _local.pop(key, None)
    try:
        caches["default"].delete(key)
    except Exception:  # noqa: BLE001
        logger.exception("rate limit %s: the counter is unavailable", policy.name)


def apply_headers(response, usage: Usage | None):
    """Add ``usage``'s RateLimit fields to ``response`` (left alone when it has its own)."""
    if usage is not None:
        for name, value in usage.headers().items():
            if name not in response:
                response[name] = value
    return response
