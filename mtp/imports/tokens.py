"""Mapillary tokens at rest: encrypted with a key derived from the instance's secret key.

An import job keeps the user's token only while it is queued or running, and only as
Fernet ciphertext (AES-128-CBC with HMAC-SHA256). The key comes from ``SECRET_KEY`` through
HKDF, so a database dump alone does not reveal tokens; ``SECRET_KEY_FALLBACKS`` still
decrypt jobs queued before a key rotation.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# Binds the derived key to this one use of the secret key.
KEY_PURPOSE = b"mtp.imports: Mapillary user tokens at rest"


class TokenUnavailable(Exception):
    """The stored token cannot be decrypted (the secret key changed, or it was wiped)."""


def _fernet_for(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_PURPOSE).derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _fernet() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(secret) for secret in secrets])


def encrypt_token(token: str) -> str:
    """The token as ciphertext to store."""
    return _fernet().encrypt(token.encode()).decode("ascii")


def decrypt_token(ciphertext: str) -> str:
    """The token back from ``encrypt_token``'s ciphertext."""
    if not ciphertext:
        raise TokenUnavailable("The Mapillary token is no longer stored.")
    try:
        return _fernet().decrypt(ciphertext.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise TokenUnavailable(
            "The stored Mapillary token cannot be decrypted (the secret key changed)."
        ) from None
