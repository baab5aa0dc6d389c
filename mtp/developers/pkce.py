"""PKCE (RFC 7636) as this server takes it: ``S256`` only, a challenge of 43 to 128 unreserved
characters, and a verifier that hashes to it.

oauthlib drives the protocol; these are the rules it is given (``oauth2.Server``), and the one
place that turns a verifier into its challenge.
"""

import base64
import hashlib
import hmac
import re

from oauthlib.oauth2.rfc6749 import errors

# The only method taken: "plain" sends the verifier itself (RFC 9700 section 2.1.1).
S256 = "S256"
# RFC 7636 section 4.2: a code challenge is 43 to 128 unreserved characters (S256 gives 43).
CODE_CHALLENGE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def s256_challenge(verifier: str) -> str:
    """The S256 code challenge of ``verifier``: BASE64URL(SHA256(verifier)), without padding."""
    digest = hashlib.sha256(verifier.encode("utf-8", "surrogatepass")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def verifier_matches(verifier: str, challenge: str) -> bool:
    """Whether ``verifier`` is the one ``challenge`` was made from (S256), compared in
    constant time."""
    expected = s256_challenge(verifier).encode("ascii")
    return hmac.compare_digest(expected, challenge.encode("utf-8", "surrogatepass"))


def refuse_bad_pkce(request) -> dict:
    """Authorization-request check: PKCE ``plain`` is refused (RFC 9700 section 2.1.1), and so
    is a code challenge that no S256 verifier could produce."""
    if request.code_challenge is None:
        return {}
    if request.code_challenge_method != S256:
        raise errors.InvalidRequestError(
            description="code_challenge_method must be S256.", request=request
        )
    if not CODE_CHALLENGE.fullmatch(request.code_challenge):
        raise errors.InvalidRequestError(
            description="code_challenge must be 43 to 128 characters: A-Z, a-z, 0-9, -._~.",
            request=request,
        )
    return {}
