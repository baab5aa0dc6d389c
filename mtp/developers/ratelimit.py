"""Fixed-window request counting per client address, in the cache."""

import hashlib
import time

from django.core.cache import cache


def now() -> int:
    """The current time in whole seconds (tests pin it so a window cannot end mid-test)."""
    return int(time.time())


def hit(scope: str, ident: str, limit: int, window: int) -> int | None:
    """Count one request by ``ident``; over ``limit`` in this window, return seconds to wait."""
    current = now()
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    key = f"rate:{scope}:{digest}:{current // window}"
    # add() starts the window's counter; incr() keeps its expiry.
    if cache.add(key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=window + 1)
            count = 1
    if count > limit:
        return max(1, window - current % window)
    return None
