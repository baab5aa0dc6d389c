"""Secrets at rest: encrypted under a key derived from the secret key and a purpose."""

import pytest

from mtp.lib.secretbox import Undecryptable, decrypt, encrypt, reencrypt

PURPOSE = b"tests: a secret at rest"


def test_text_comes_back_from_its_ciphertext():
    assert decrypt(PURPOSE, encrypt(PURPOSE, "s3cret")) == "s3cret"


def test_another_purpose_cannot_decrypt_it():
    with pytest.raises(Undecryptable):
        decrypt(b"tests: something else", encrypt(PURPOSE, "s3cret"))


def test_another_secret_key_cannot_decrypt_it(settings):
    ciphertext = encrypt(PURPOSE, "s3cret")
    settings.SECRET_KEY = "a completely different secret key for this instance"
    with pytest.raises(Undecryptable):
        decrypt(PURPOSE, ciphertext)


def test_after_a_key_rotation_the_fallback_decrypts_and_reencrypt_moves_it_to_the_new_key(
    settings,
):
    ciphertext = encrypt(PURPOSE, "s3cret")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the new secret key after rotation, long enough to be real"
    moved = reencrypt(PURPOSE, ciphertext)
    settings.SECRET_KEY_FALLBACKS = []
    assert decrypt(PURPOSE, moved) == "s3cret"
    with pytest.raises(Undecryptable):
        decrypt(PURPOSE, ciphertext)


def test_garbage_is_undecryptable():
    with pytest.raises(Undecryptable):
        decrypt(PURPOSE, "not a ciphertext")
