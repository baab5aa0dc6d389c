"""Counting failed log-ins, per client address and per account, in the cache."""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.lower().encode()).hexdigest()[:32]
    return f"login-failures:{kind}:{digest}"


def _keys(ip: str, username: str) -> list[str]:
    keys = [_key("ip", ip)]
    if username:
        keys.append(_key("user", username))
    return keys


def is_blocked(ip: str, username: str) -> bool:
    """True when the address or the account has failed too often in the current window."""
    counts = cache.get_many(_keys(ip, username))
    return any(count >= settings.LOGIN_FAILURE_LIMIT for count in counts.values())


def record_failure(ip: str, username: str) -> None:
    for key in _keys(ip, username):
        # add() starts the window; incr() keeps its expiry.
        if not cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW)


def clear_account(username: str) -> None:
    """Forget an account's failures after a successful log-in (the address keeps its count)."""
    cache.delete(_key("user", username))
