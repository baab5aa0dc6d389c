"""Mapillary tokens at rest: encrypted with a key derived from the instance's secret key.

An import job keeps the user's token only while it is queued or running, and only as
Fernet ciphertext (see ``mtp.lib.secretbox``), so a database dump alone does not reveal
tokens; ``SECRET_KEY_FALLBACKS`` still decrypt jobs queued before a key rotation.
"""

from mtp.lib.secretbox import Undecryptable, decrypt, encrypt

# Binds the derived key to this one use of the secret key.
KEY_PURPOSE = b"mtp.imports: Mapillary user tokens at rest"


class TokenUnavailable(Exception):
    """The stored token cannot be decrypted (the secret key changed, or it was wiped)."""


def encrypt_token(token: str) -> str:
    """The token as ciphertext to store."""
    return encrypt(KEY_PURPOSE, token)


def decrypt_token(ciphertext: str) -> str:
    """The token back from ``encrypt_token``'s ciphertext."""
    if not ciphertext:
        raise TokenUnavailable("The Mapillary token is no longer stored.")
    try:
        return decrypt(KEY_PURPOSE, ciphertext)
    except Undecryptable:
        raise TokenUnavailable(
            "The stored Mapillary token cannot be decrypted (the secret key changed)."
        ) from None
