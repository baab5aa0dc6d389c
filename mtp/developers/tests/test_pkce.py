"""The PKCE rules (mtp/developers/pkce.py): the S256 challenge of a verifier, and the check."""

import pytest

from mtp.developers.pkce import s256_challenge, verifier_matches


def test_the_challenge_of_the_rfc_7636_example_verifier_is_the_one_the_rfc_gives():
    # RFC 7636 appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_a_verifier_matches_its_own_challenge_only():
    verifier = "a" * 43
    assert verifier_matches(verifier, s256_challenge(verifier))
    assert not verifier_matches("b" * 43, s256_challenge(verifier))
    assert not verifier_matches(verifier, verifier)  # "plain" is not taken


@pytest.mark.parametrize("verifier", ["caf\u00e9" * 11, "\ud800" * 43, ""])
def test_any_text_as_a_verifier_gets_an_answer_not_an_error(verifier):
    assert not verifier_matches(verifier, s256_challenge("x" * 43))
