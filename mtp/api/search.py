"""What the searches of API v1 share: whose list is asked for, the tags they name, and the
order of one's own list."""

from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest

from mtp.api.errors import invalid_parameter
from mtp.api.pagination import Ordering
from mtp.sequences.tags import parse_tags

NEWEST = Ordering("newest", "published_at", kind=datetime)
# One's own list, newest first: drafts have no publication date, so they come after the
# published ones.
OWN_NEWEST = Ordering("newest", "published_at", nullable=True, kind=datetime)


def lists_own(request: HttpRequest, username: str | None) -> bool:
    """Whether a search by ``username`` asks for the caller's own list (in any spelling of
    the name), which holds their drafts too."""
    viewer = request.auth.user  # type: ignore[attr-defined]
    return bool(viewer is not None and username and username.lower() == viewer.username.lower())


def searched_tags(values: list[str]) -> list[str]:
    """The tag names of a search's ``tag`` parameter (repeated, or separated by commas); a
    422 naming the parameter for one that is not a tag."""
    try:
        return parse_tags(values)
    except DjangoValidationError as error:
        raise invalid_parameter("tag", error.messages[0]) from None
