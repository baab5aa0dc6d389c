"""Links this instance hands out: to its pages, its API and its photos.

Every image link the API and the pages give is this instance's own (``photo_url``):
``/api/v1/images/<key>/thumbnail?size=1024``, stable for as long as the photo exists
(what it resolves to is ``mtp.sequences.photos``'s business). Photos of sequences that are not
public carry an expiry and a signature (``private=True``), made with a key derived from
``SECRET_KEY`` for that one photo, so that an ``<img>`` tag on the owner's pages (which sends no
token) can show them: such a link is valid ``PRIVATE_LINK_DAYS`` to one day more, and the same
all day long, so browsers can cache the photo.

Nothing here reads the database: the models build their JSON with these.
"""

import functools
import hmac
import time
from uuid import UUID

from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils.crypto import salted_hmac

from mtp.accounts.models import public_name

SIZES = ("256", "1024", "2048", "original")
DEFAULT_SIZE = "1024"
# The image object's field for each size.
FIELDS = {size: f"thumb_{size}_url" for size in SIZES}

PRIVATE_LINK_DAYS = 7
DAY = 86_400
_SIGNATURE_SALT = "mtp.sequences.photos.private-link"


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# Pages and API resources -----------------------------------------------------------------------

_UUID_PLACEHOLDER = UUID(int=0)


@functools.lru_cache(maxsize=16)
def _object_url_template(name: str, site_url: str, prefix: str) -> str:
    return site_url + reverse(name, kwargs={"unique_id": _UUID_PLACEHOLDER})


def object_url(name: str, unique_id: UUID) -> str:
    """The absolute URL of the view ``name`` (whose one argument is ``unique_id``) for an
    object, without resolving the URL each time."""
    template = _object_url_template(name, settings.SITE_URL, get_script_prefix())
    return template.replace(str(_UUID_PLACEHOLDER), str(unique_id))


@functools.lru_cache(maxsize=4096)
def _profile_url(username: str, site_url: str, prefix: str) -> str:
    return site_url + reverse("accounts:profile", args=[username])


def profile_url(user) -> str:
    return _profile_url(user.username, settings.SITE_URL, get_script_prefix())


# What an owner's JSON does not read of the user row: a query of objects with their owners
# defers these (``defer(*OWNER_FIELDS_UNREAD)`` with ``select_related("owner")``).
USER_FIELDS_UNREAD = ("password", "last_login", "email", "first_name", "last_name", "date_joined")
OWNER_FIELDS_UNREAD = tuple(f"owner__{name}" for name in USER_FIELDS_UNREAD)


def owner_data(user) -> dict[str, str]:
    """The JSON of the person who owns an object."""
    return person_data(user.username, user.display_name)


def person_data(username: str, display_name: str) -> dict[str, str]:
    """``owner_data`` from the two columns it reads, for rows read without building models."""
    return {
        "username": username,
        "display_name": public_name(username, display_name),
        "profile_url": _profile_url(username, settings.SITE_URL, get_script_prefix()),
    }


# Photos ----------------------------------------------------------------------------------------

_KEY_PLACEHOLDER = "0"


@functools.lru_cache(maxsize=8)
def _url_template(site_url: str, prefix: str) -> tuple[str, str]:
    path = reverse("photo-thumbnail", kwargs={"key": _KEY_PLACEHOLDER})
    head, _, tail = path.rpartition(f"/{_KEY_PLACEHOLDER}/")
    return f"{site_url}{head}/", f"/{tail}"


def photo_path_prefix() -> str:
    """The start of every photo link, up to the key (for pages that build links themselves)."""
    return _url_template(settings.SITE_URL, get_script_prefix())[0]


def photo_url(
    key: str, size: str = DEFAULT_SIZE, *, private: bool = False, now: float | None = None
) -> str:
    """The stable absolute URL of an image's photo at ``size`` (one of ``SIZES``).

    ``private``: for a photo of a sequence that is not public, a link signed for its owner.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    return _photo_links(key, (size,), private=private, now=now)[0]


def photo_urls(key: str, *, private: bool = False) -> dict[str, str]:
    """The image object's four links: ``thumb_256_url`` ... ``thumb_original_url``."""
    links = _photo_links(key, SIZES, private=private, now=time.time())
    return dict(zip(FIELDS.values(), links, strict=True))


def _photo_links(
    key: str, sizes: tuple[str, ...], *, private: bool, now: float | None
) -> list[str]:
    # The prefix, the template and a private link's signature once for all sizes: an image's
    # links are built for every image of a reply.
    head, tail = _url_template(settings.SITE_URL, get_script_prefix())
    signed = ""
    if private:
        expires = private_link_expiry(now)
        signed = f"&expires={expires}&signature={link_signature(key, expires)}"
    return [f"{head}{key}{tail}?size={size}{signed}" for size in sizes]


def private_link_expiry(now: float | None = None) -> int:
    """When a private link made now expires: the end of the day ``PRIVATE_LINK_DAYS`` ahead."""
    today = int(now if now is not None else time.time()) // DAY
    return (today + PRIVATE_LINK_DAYS + 1) * DAY


def link_signature(key: str, expires: int) -> str:
    return salted_hmac(_SIGNATURE_SALT, f"{key}:{expires}", algorithm="sha256").hexdigest()[:32]


def valid_signature(key: str, expires: str, signature: str) -> bool:
    """Whether a private link's ``expires`` and ``signature`` are this server's and still valid.

    Signatures made with a key in ``SECRET_KEY_FALLBACKS`` are accepted too.
    """
    if not expires.isdigit() or len(expires) > 12 or int(expires) < time.time():
        return False
    message = f"{key}:{expires}"
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        expected = salted_hmac(_SIGNATURE_SALT, message, secret=secret, algorithm="sha256")
        if hmac.compare_digest(expected.hexdigest()[:32], signature):
            return True
    return False


def cover_data(key: str | None, *, private: bool = False) -> dict[str, str | None] | None:
    """The JSON of a sequence's cover: the photo's key and its stable links.

    ``mapillary_key`` stays for apps that read it: the same key, as only an imported photo has
    one; a photo uploaded here has none (null)."""
    if key is None:
        return None
    mapillary_key = None if _is_uuid(key) else key
    return {"key": key, "mapillary_key": mapillary_key, **photo_urls(key, private=private)}


def _is_uuid(key: str) -> bool:
    """Whether ``key`` is a hosted photo's (a UUID; Mapillary's are digits)."""
    try:
        UUID(key)
    except ValueError:
        return False
    return len(key) == 36
