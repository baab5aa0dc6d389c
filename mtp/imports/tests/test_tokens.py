"""Mapillary tokens at rest: encrypted with a key derived from the secret key."""

import pytest

from mtp.imports.tokens import TokenUnavailable, decrypt_token, encrypt_token

TOKEN = "MLY|4242|a-users-secret-token"


def test_a_token_comes_back_from_its_ciphertext():
    assert decrypt_token(encrypt_token(TOKEN)) == TOKEN


def test_the_ciphertext_does_not_contain_the_token_and_differs_each_time():
    first, second = encrypt_token(TOKEN), encrypt_token(TOKEN)
    assert TOKEN not in first and "a-users-secret-token" not in first
    assert first != second


def test_another_secret_key_cannot_decrypt_it(settings):
    ciphertext = encrypt_token(TOKEN)
    settings.SECRET_KEY = "a completely different secret key for this instance"
    with pytest.raises(TokenUnavailable) as caught:
        decrypt_token(ciphertext)
    assert TOKEN not in str(caught.value)


def test_a_rotated_secret_key_still_decrypts_through_the_fallbacks(settings):
    ciphertext = encrypt_token(TOKEN)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the new secret key after rotation, long enough to be real"
    assert decrypt_token(ciphertext) == TOKEN


def test_a_wiped_token_is_unavailable():
    with pytest.raises(TokenUnavailable):
        decrypt_token("")
