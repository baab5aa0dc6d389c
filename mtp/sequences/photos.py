"""Photos: what this instance's stable photo links (``mtp.sequences.links``) resolve to.

Mapillary's CDN links are signed and expire (``oe=``, a hexadecimal Unix time; afterwards the
CDN answers 403), so they are never handed out. The photo endpoint answers a stable link with
a redirect to a freshly signed Mapillary link, or with the photo's kept copy
(``mtp.sequences.keeper``).

Fresh links are resolved in batches (``resolve``): one Graph API call ``/images?image_ids=``
for up to ``MAPILLARY_BATCH_SIZE`` photos, with the instance's own application token
(``MAPILLARY_CLIENT_TOKEN``), all four sizes at once. They are kept on the Image rows
(``thumb_*_url``, and ``links_until``: ``EXPIRY_MARGIN`` seconds before the first expires), so
the endpoint finds a photo's row and its link in one query, on every process and machine.
"""

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from mtp.mapillary.client import MapillaryError, get_images
from mtp.mapillary.formats import is_key
from mtp.sequences.links import DAY, FIELDS
from mtp.sequences.models import Image

logger = logging.getLogger(__name__)

THUMB_FIELDS = ("id", *FIELDS.values())

# A signed link is used until this many seconds before it expires, so it never runs out
# between the redirect and the browser's request.
EXPIRY_MARGIN = 600
# How long a link without a readable ``oe=`` is kept.
UNKNOWN_EXPIRY_SECONDS = 3600
# How long to remember that Mapillary did not return a photo (deleted or hidden).
MISSING_SECONDS = 300
# Keys looked up or written in one query.
STORED_CHUNK = 500

# The cache entry that tells operators (``mtp check --deploy``) Mapillary refused the token.
TOKEN_REFUSED_KEY = "photos:token-refused"  # noqa: S105 (a cache key)
TOKEN_REFUSED_SECONDS = 7 * DAY

NOT_CONFIGURED = (
    "Photos are not available: this server has no Mapillary client token (MAPILLARY_CLIENT_TOKEN)."
)


def photos_available() -> bool:
    """Whether this instance can resolve photos at all (it has a Mapillary client token)."""
    return bool(settings.MAPILLARY_CLIENT_TOKEN)


# Resolving fresh links -------------------------------------------------------------------------


class PhotoUnavailable(Exception):
    """Mapillary could not be asked for a photo's link; ``str()`` is fit for the user.

    ``retry_after``: seconds after which asking again may help, when it may.
    """

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class Links:
    """A photo's signed Mapillary links by size, usable until ``usable_until`` (Unix time).

    Empty ``urls``: Mapillary did not return the photo (deleted or hidden).
    """

    urls: dict[str, str]
    usable_until: float

    @property
    def missing(self) -> bool:
        return not self.urls


def link_expiry(url: str) -> float | None:
    """The Unix time a signed Mapillary link expires (its ``oe=``, hexadecimal), or None."""
    values = parse_qs(urlsplit(url).query).get("oe")
    if not values:
        return None
    try:
        return float(int(values[-1], 16))
    except ValueError:
        return None


def links_from(details: dict[str, str | None], now: float) -> Links:
    """The links of one image of a Graph API reply, usable until the first expires."""
    urls = {size: url for size, field in FIELDS.items() if (url := details.get(field))}
    expiries = [link_expiry(url) for url in urls.values()]
    known = [moment for moment in expiries if moment is not None]
    expires = min(known) if known else now + UNKNOWN_EXPIRY_SECONDS + EXPIRY_MARGIN
    return Links(urls=urls, usable_until=expires - EXPIRY_MARGIN)


def stored_links(row: dict[str, Any], now: float | None = None) -> Links | None:
    """The links kept on an Image row (its ``thumb_*_url`` and ``links_until``), if usable."""
    until = row.get("links_until")
    if until is None or until <= (time.time() if now is None else now):
        return None
    urls = {size: row[field] for size, field in FIELDS.items() if row.get(field)}
    return Links(urls=urls, usable_until=until)


def _stored(keys: list[str], now: float) -> dict[str, Links]:
    rows = Image.objects.filter(key__in=keys, links_until__gt=now).values(
        "key", "links_until", *FIELDS.values()
    )
    # Every row is usable at ``now`` (the filter): none is left out.
    return {row["key"]: links for row in rows if (links := stored_links(row, now)) is not None}


def _remember(resolved: dict[str, Links]) -> None:
    """Keep fresh links on their Image rows, for every process and machine to use."""
    rows = list(Image.objects.filter(key__in=list(resolved)).only("pk", "key"))
    for row in rows:
        links = resolved[row.key]
        for size, field in FIELDS.items():
            setattr(row, field, links.urls.get(size, ""))
        row.links_until = links.usable_until
    Image.objects.bulk_update(rows, ["links_until", *FIELDS.values()], batch_size=500)


def resolve(keys: Iterable[str], *, retries: int | None = 1) -> dict[str, Links]:
    """Usable links of many photos, asking Mapillary only for those not known yet.

    Asks in batches of ``MAPILLARY_BATCH_SIZE`` ids (``ceil(n / batch size)`` calls for ``n``
    unknown photos). Fresh links are kept on the Image rows until shortly before they expire.
    Raises ``PhotoUnavailable`` when Mapillary cannot be asked (no client token, the token
    refused, Mapillary unreachable): callers fall back to kept copies.
    ``retries``: of each Graph API call (None: ``MAPILLARY_RETRIES``, for background work).
    """
    now = time.time()
    wanted = list(dict.fromkeys(key for key in keys if is_key(key)))
    result: dict[str, Links] = {}
    for start in range(0, len(wanted), STORED_CHUNK):
        result.update(_stored(wanted[start : start + STORED_CHUNK], now))
    unknown = [key for key in wanted if key not in result]
    if unknown:
        result.update(_ask_mapillary(unknown, now, retries=retries))
    return result


def _ask_mapillary(keys: Sequence[str], now: float, *, retries: int | None) -> dict[str, Links]:
    token = settings.MAPILLARY_CLIENT_TOKEN
    if not token:
        raise PhotoUnavailable(NOT_CONFIGURED)
    try:
        images = get_images(token, keys, THUMB_FIELDS, retries=retries)
    except MapillaryError as error:
        if error.permanent and (error.status in (401, 403) or error.code in (190, 200)):
            token_refused(error)
            raise PhotoUnavailable("Photos are not available right now.") from None
        logger.warning("photos: Mapillary did not give links for %d photos: %s", len(keys), error)
        wait = int(error.retry_after) if error.retry_after else 60
        raise PhotoUnavailable(
            "Mapillary did not answer; photos are not available right now.", retry_after=wait
        ) from None
    # Mapillary accepts the token (again): the deploy check no longer warns.
    forget_token_refusal()
    resolved = {}
    for image in images:
        details = {field: getattr(image, field) for field in FIELDS.values()}
        resolved[image.id] = links_from(details, now)
    for key in keys:
        if key not in resolved:
            resolved[key] = Links(urls={}, usable_until=now + MISSING_SECONDS)
    for start in range(0, len(keys), STORED_CHUNK):
        _remember({key: resolved[key] for key in keys[start : start + STORED_CHUNK]})
    return resolved


def token_refused(error: MapillaryError) -> None:
    """Tell operators, in the log and in ``mtp check --deploy``, that the token was refused."""
    logger.error(
        "MAPILLARY_CLIENT_TOKEN was refused by Mapillary (HTTP %s, code %s): photo links "
        "cannot be resolved, pages fall back to kept copies. Check the client token of the "
        "instance's Mapillary application (MLY|<app id>|<client secret>).",
        error.status,
        error.code,
    )
    cache.set(
        TOKEN_REFUSED_KEY,
        {"at": time.time(), "status": error.status, "code": error.code},
        timeout=TOKEN_REFUSED_SECONDS,
    )


def token_refusal() -> dict | None:
    """When and how Mapillary last refused the client token (within a week), or None."""
    value = cache.get(TOKEN_REFUSED_KEY)
    return value if isinstance(value, dict) else None


def forget_token_refusal() -> None:
    cache.delete(TOKEN_REFUSED_KEY)


# Covers ----------------------------------------------------------------------------------------


def cover_keys(sequences: Iterable) -> dict[int, str]:
    """The key of each sequence's cover photo, in one query: the photo its owner
    picked, else its first. Sequences without photos are left out."""
    return cover_keys_by_id({sequence.pk: sequence.cover_id for sequence in sequences})


def cover_keys_by_id(cover_ids: dict[int, int | None]) -> dict[int, str]:
    """``cover_keys`` from each sequence's id and its ``cover_id`` (None: none picked)."""
    picked = {pk: cover_id for pk, cover_id in cover_ids.items() if cover_id is not None}
    first = [pk for pk, cover_id in cover_ids.items() if cover_id is None]
    condition = Q(pk__in=picked.values()) | Q(sequence_id__in=first, position=0)
    if not picked and not first:
        return {}
    keys: dict[int, str] = {}
    rows = Image.objects.filter(condition).values_list("sequence_id", "pk", "key")
    for sequence_id, image_id, key in rows:
        if picked.get(sequence_id, image_id) == image_id:
            keys[sequence_id] = key
    return keys
