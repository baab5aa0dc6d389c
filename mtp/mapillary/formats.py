"""What Mapillary's keys and tokens look like: the one rule for each, used by the API's bodies
and document, the website's import form, the import jobs and the client itself.

A key or token that breaks the rule is refused before Mapillary is asked anything (and a token
is never repeated back: it is a credential).
"""

import re

# Keys and ids Mapillary hands out: letters, digits, '_' and '-'.
KEY_MAX_LENGTH = 100
KEY_PATTERN = re.compile(rf"^[A-Za-z0-9_-]{{1,{KEY_MAX_LENGTH}}}$")
# A token is printable ASCII without spaces (it goes into a header).
TOKEN_MAX_LENGTH = 1000
TOKEN_PATTERN = re.compile(rf"^[\x21-\x7e]{{1,{TOKEN_MAX_LENGTH}}}$")


def is_key(value: object) -> bool:
    """Whether ``value`` can be a Mapillary key or id."""
    return isinstance(value, str) and KEY_PATTERN.match(value) is not None


def key_problem(key: object, what: str = "sequence key") -> str | None:
    """What is wrong with ``key`` as a Mapillary sequence key (or ``what``), or None."""
    if is_key(key):
        return None
    return f"The Mapillary {what} must be 1 to {KEY_MAX_LENGTH} letters, digits, '_' or '-'."


def token_problem(token: object) -> str | None:
    """What is wrong with ``token`` as a Mapillary token, or None; never repeats the token."""
    if isinstance(token, str) and TOKEN_PATTERN.match(token):
        return None
    return "The Mapillary token is malformed: it must be printable characters without spaces."
