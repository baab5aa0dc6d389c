"""Counting failed log-ins, per client address and per account, sign-ups per address, and
password reset requests per address and per e-mail address (mtp.lib.ratelimit)."""

import unicodedata

from django.conf import settings

from mtp.accounts.models import User
from mtp.lib import ratelimit
from mtp.lib.ratelimit import Policy, Usage


def account_key(username: str) -> str:
    """Whose failures a log-in with ``username`` counts as, however the name is spelt.

    The log-in form normalises the name before checking the password (surrounding spaces,
    NFKC: the full-width ｄａｖｅ is dave), so every spelling that reaches an account counts
    against that account: the user found, case aside, else the normalised name.
    """
    name = unicodedata.normalize("NFKC", username.strip()).strip()
    if name and "\x00" not in name:
        user = User.objects.filter(username__iexact=name).only("pk").first()
        if user is not None:
            return f"user:{user.pk}"
    return f"name:{name.casefold()}"


def _counters(ip: str, username: str) -> list[tuple[Policy, str]]:
    window = settings.LOGIN_FAILURE_WINDOW
    counters = [(Policy("login-address", settings.LOGIN_FAILURE_LIMIT, window), f"ip:{ip}")]
    if username.strip():
        counters.append(
            (
                Policy("login-account", settings.LOGIN_FAILURE_LIMIT, window),
                account_key(username),
            )
        )
    return counters


def blocked(ip: str, username: str) -> Usage | None:
    """What pauses this log-in, if the address or the account failed too often in this window."""
    for policy, ident in _counters(ip, username):
        usage = ratelimit.peek(policy, ident)
        if usage.exceeded:
            return usage
    return None


def record_failure(ip: str, username: str) -> None:
    for policy, ident in _counters(ip, username):
        ratelimit.hit(policy, ident)


def clear_account(username: str) -> None:
    """Forget an account's failures after a successful log-in (the address keeps its count)."""
    for policy, ident in _counters("", username)[1:]:
        ratelimit.clear(policy, ident)


def signup_usage(ip: str) -> Usage:
    """Count an attempt to create an account from ``ip``: accounts are cheap to make in bulk."""
    policy = Policy("signup-address", settings.SIGNUP_RATE_LIMIT, settings.SIGNUP_RATE_WINDOW)
    return ratelimit.hit(policy, f"ip:{ip}")


def password_reset_usage(ip: str, email: str) -> Usage | None:
    """Count a request for a reset e-mail; the usage that refuses it, if one does.

    Per address, and per e-mail address so that nobody can flood someone's mailbox from many
    addresses.
    """
    limit = settings.PASSWORD_RESET_RATE_LIMIT
    counters = [(Policy("password-reset-address", limit, 3600), f"ip:{ip}")]
    if email:
        counters.append((Policy("password-reset-email", limit, 3600), f"email:{email.lower()}"))
    refused = None
    for policy, ident in counters:
        usage = ratelimit.hit(policy, ident)
        if usage.exceeded and refused is None:
            refused = usage
    return refused
