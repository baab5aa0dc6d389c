"""Webhook signing secrets (one per application, encrypted at rest) and event signatures.

Each event is signed with HMAC-SHA256 under the application's secret, over
``<timestamp>.<body>``, and the ``MTP-Signature`` header carries ``t=<timestamp>,v1=<hex>``.
A receiver recomputes it (docs/WEBHOOKS.md has the code) and refuses an old timestamp, so a
captured request cannot be replayed later.

The secret must be readable to sign with, so it is stored as Fernet ciphertext under a key
derived from ``SECRET_KEY`` (``mtp.lib.secretbox``): a database dump alone does not reveal it.
"""

import hashlib
import hmac
import secrets

from mtp.lib.secretbox import Undecryptable, decrypt, encrypt

# Binds the derived key to this one use of the secret key.
KEY_PURPOSE = b"mtp.webhooks: application signing secrets at rest"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a label, not a secret)
SIGNATURE_HEADER = "MTP-Signature"


def new_secret() -> str:
    """A fresh signing secret: 256 random bits, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def set_new_secret(application) -> str:
    """Give ``application`` a new secret (not saved); return it."""
    secret = new_secret()
    application.webhook_secret_ciphertext = encrypt(KEY_PURPOSE, secret)
    return secret


def webhook_secret(application) -> str:
    """The application's signing secret, made and stored on first need.

    A secret that the current secret key cannot decrypt (the key was replaced without
    keeping the old one in ``SECRET_KEY_FALLBACKS``) is replaced by a new one. Concurrent
    first uses agree on one secret: only the first conditional update stores its own.
    """
    for _ in range(3):
        stored = application.webhook_secret_ciphertext
        if stored:
            try:
                return decrypt(KEY_PURPOSE, stored)
            except Undecryptable:
                pass
        secret = new_secret()
        ciphertext = encrypt(KEY_PURPOSE, secret)
        model = type(application)
        if model.objects.filter(pk=application.pk, webhook_secret_ciphertext=stored).update(
            webhook_secret_ciphertext=ciphertext
        ):
            application.webhook_secret_ciphertext = ciphertext
            return secret
        # Someone else stored one first: use theirs.
        application.webhook_secret_ciphertext = (
            model.objects.filter(pk=application.pk)
            .values_list("webhook_secret_ciphertext", flat=True)
            .first()
            or ""
        )
    raise RuntimeError("The webhook secret keeps changing; try again.")


def rotate_secret(application) -> str:
    """Replace the application's secret with a new one, at once; return it."""
    secret = set_new_secret(application)
    type(application).objects.filter(pk=application.pk).update(
        webhook_secret_ciphertext=application.webhook_secret_ciphertext
    )
    return secret


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 of ``<timestamp>.<body>`` under ``secret``, in hex."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The ``MTP-Signature`` header's value."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"
