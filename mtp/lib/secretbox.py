"""Secrets at rest: text encrypted with a key derived from the instance's secret key.

Fernet (AES-128-CBC with HMAC-SHA256) under a key that HKDF derives from ``SECRET_KEY`` and
a *purpose*, so that each use of the secret key gets a key of its own and a database dump
alone reveals nothing. ``SECRET_KEY_FALLBACKS`` still decrypt what was stored before a key
rotation; ``reencrypt`` brings such ciphertext to the current key.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class Undecryptable(Exception):
    """The ciphertext cannot be decrypted with the secret key or its fallbacks."""


def _fernet_for(secret: str, purpose: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _fernet(purpose: bytes) -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(secret, purpose) for secret in secrets])


def encrypt(purpose: bytes, text: str) -> str:
    """``text`` as ASCII ciphertext to store, under the key for ``purpose``."""
    return _fernet(purpose).encrypt(text.encode()).decode("ascii")


def decrypt(purpose: bytes, ciphertext: str) -> str:
    """The text back from ``encrypt(purpose, ...)``; ``Undecryptable`` when it cannot be."""
    try:
        return _fernet(purpose).decrypt(ciphertext.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise Undecryptable("the secret key that encrypted it is gone") from None


def reencrypt(purpose: bytes, ciphertext: str) -> str:
    """The same text encrypted under the current secret key (after a rotation)."""
    try:
        return _fernet(purpose).rotate(ciphertext.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError):
        raise Undecryptable("the secret key that encrypted it is gone") from None
