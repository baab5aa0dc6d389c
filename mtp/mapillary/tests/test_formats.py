"""The one rule for Mapillary keys and tokens (mtp/mapillary/formats.py), and the client's
checks built on it."""

import pytest

from mtp.mapillary.client import MapillaryError, check_key, check_token
from mtp.mapillary.formats import (
    KEY_MAX_LENGTH,
    TOKEN_MAX_LENGTH,
    is_key,
    key_problem,
    token_problem,
)


@pytest.mark.parametrize("key", ["7nfcwfvjdtphz7yj6zat6a", "104214208486349", "a_b-C", "k" * 100])
def test_keys_of_letters_digits_underscores_and_hyphens_are_taken(key):
    assert is_key(key)
    assert key_problem(key) is None
    check_key(key)


@pytest.mark.parametrize("key", ["", "a key", "../me", "k" * 101, "١٢٣", "caf\u00e9", None, 12])
def test_anything_else_is_refused_saying_what_a_key_is(key):
    assert not is_key(key)
    assert key_problem(key) == (
        f"The Mapillary sequence key must be 1 to {KEY_MAX_LENGTH} letters, digits, '_' or '-'."
    )
    with pytest.raises(MapillaryError) as caught:
        check_key(key)
    assert caught.value.permanent and caught.value.message == key_problem(key)


def test_an_image_id_is_named_as_such():
    assert "Mapillary image id must be" in key_problem("no!", "image id")


@pytest.mark.parametrize("token", ["MLY|4142433049200173|72206abe5035850d6743b23a49c41333", "x"])
def test_printable_tokens_without_spaces_are_taken(token):
    assert token_problem(token) is None
    check_token(token)


@pytest.mark.parametrize(
    "token", ["", "two words", "line\nbreak", "t" * (TOKEN_MAX_LENGTH + 1), "caf\u00e9", None]
)
def test_a_malformed_token_is_refused_without_repeating_it(token):
    problem = token_problem(token)
    assert problem is not None
    if token:
        assert token not in problem
    with pytest.raises(MapillaryError):
        check_token(token)


def test_the_longest_token_taken_is_the_limit():
    assert token_problem("t" * TOKEN_MAX_LENGTH) is None
