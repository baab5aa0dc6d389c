"""Mapillary Graph API v4: the few calls an import needs, over one HTTP wrapper.

The user's token travels only in the ``Authorization: OAuth <token>`` header: never in a URL,
a log line or an error message. Every request has connect and read timeouts and is retried
with exponential backoff and jitter when the failure is transient (HTTP 429 and 5xx, error
code 4 or ``is_transient``, timeouts, broken connections, truncated JSON), honouring
``Retry-After``. Failures surface as one exception type, ``MapillaryError``, whose message is
safe to show to the user.

Reference: https://www.mapillary.com/developer/api-documentation
"""

import email.utils
import json
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urlsplit

import httpx
import pydantic
from django.conf import settings

from mtp.mapillary.formats import key_problem, token_problem
from mtp.mapillary.schemas import (
    IMPORT_FIELDS,
    ImageDetails,
    ImageIdsReply,
    MapillaryUser,
    parse_images,
)

logger = logging.getLogger(__name__)

# Longest wait between two tries; a longer Retry-After ends the retries.
MAX_BACKOFF_SECONDS = 60.0
MAX_RETRY_AFTER_SECONDS = 300.0
# A reply larger than this is refused rather than buffered.
MAX_REPLY_BYTES = 32 * 1024 * 1024

SIGN_IN_AGAIN = (
    "Mapillary did not accept the token: it is invalid or has expired. "
    "Sign in to Mapillary again and retry."
)
RATE_LIMITED = "Mapillary's request limit was reached."

T = TypeVar("T")


class MapillaryError(Exception):
    """A Mapillary request that failed; ``str()`` is a message fit for the user.

    ``permanent`` says whether trying again can help; ``status`` is the HTTP status when
    there was a reply, ``code`` Mapillary's error code when the reply had one, and
    ``retry_after`` the seconds Mapillary asked to wait.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        status: int | None = None,
        code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status = status
        self.code = code
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"MapillaryError({self.message!r}, permanent={self.permanent}, "
            f"status={self.status}, code={self.code})"
        )


@dataclass(frozen=True)
class ImageBatch:
    """The details Mapillary returned for one batch of requested ids, in the requested order.

    Ids Mapillary did not return (deleted or hidden images) are missing from ``images``.
    ``next_ready`` says whether the next batch has already arrived: a caller with work to do
    can do it now, while it would otherwise wait.
    """

    requested: list[str]
    images: list[ImageDetails]
    next_ready: bool = False


# One connection pool per process, shared by every thread; timeouts are set per request so
# that settings changes apply at once.
_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _http() -> httpx.Client:
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
                headers={"Accept": "application/json", "User-Agent": "MapThePaths-server"},
                follow_redirects=False,
            )
        return _client


def check_token(token: str) -> None:
    """Refuse a token that cannot be a Mapillary token (``formats.token_problem``), without
    repeating it."""
    if problem := token_problem(token):
        raise MapillaryError(problem, permanent=True)


def check_key(key: str, what: str = "sequence key") -> None:
    """Refuse a sequence key or image id that is not letters, digits, '_' or '-'
    (``formats.key_problem``)."""
    if problem := key_problem(key, what):
        raise MapillaryError(problem, permanent=True)


def backoff_seconds(attempt: int, base: float) -> float:
    """The wait before retry number ``attempt`` (0-based): exponential, with jitter."""
    ceiling = min(MAX_BACKOFF_SECONDS, base * (2**attempt))
    # "Equal jitter": at least half the exponential wait, so retries spread out but never
    # hammer the server right away.
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _error_fields(body: bytes) -> tuple[int | None, bool, str]:
    """Mapillary's error code, its ``is_transient`` flag and trace id, from an error body."""
    try:
        reply = json.loads(body)
    except ValueError:
        return None, False, ""
    error = reply.get("error") if isinstance(reply, dict) else None
    if not isinstance(error, dict):
        return None, False, ""
    code = error.get("code")
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    trace = error.get("fbtrace_id")
    return code, error.get("is_transient") is True, trace if isinstance(trace, str) else ""


def _failure(response: httpx.Response, body: bytes, what: str) -> MapillaryError | None:
    """The error a reply stands for, or None when it is a success."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    code, transient, trace = _error_fields(body)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    # Mapillary's error code wins over the HTTP status: it has sent code 190 with a 500.
    if code == 190 or (status == 401 and code is None):
        error = MapillaryError(SIGN_IN_AGAIN, permanent=True, status=status, code=code)
    elif code == 4 or transient or status == 429:
        error = MapillaryError(
            RATE_LIMITED, permanent=False, status=status, code=code, retry_after=retry_after
        )
    elif status == 401:
        error = MapillaryError(SIGN_IN_AGAIN, permanent=True, status=status, code=code)
    elif status == 403:
        error = MapillaryError(
            f"Mapillary refused access to {what}.", permanent=True, status=status, code=code
        )
    elif status == 404 or code == 100:
        error = MapillaryError(
            f"Mapillary has no {what}, or does not show it to this token.",
            permanent=True,
            status=status,
            code=code,
        )
    elif status >= 500:
        error = MapillaryError(
            f"Mapillary had a server error (HTTP {status}).",
            permanent=False,
            status=status,
            code=code,
            retry_after=retry_after,
        )
    else:
        suffix = f", code {code}" if code is not None else ""
        error = MapillaryError(
            f"Mapillary refused the request for {what} (HTTP {status}{suffix}).",
            permanent=True,
            status=status,
            code=code,
        )
    logger.info(
        "mapillary %s: HTTP %s code=%s transient=%s trace=%s",
        response.request.url.path,
        status,
        code,
        not error.permanent,
        trace or "-",
    )
    return error


def _read(response: httpx.Response) -> bytes:
    chunks = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise MapillaryError(
                "Mapillary sent a reply too large to read.",
                permanent=True,
                status=response.status_code,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _wait(seconds: float, cancel: threading.Event | None) -> None:
    """Sleep before a retry; return early (raising) when the caller gave up."""
    if cancel is None:
        time.sleep(seconds)
    elif cancel.wait(seconds):
        raise MapillaryError("The request was cancelled.", permanent=True)


def _get(
    token: str,
    path: str,
    params: dict[str, str],
    *,
    what: str,
    parse: Callable[[bytes], T],
    cancel: threading.Event | None = None,
    retries: int | None = None,
    timeout: float | None = None,
) -> T:
    """GET ``path`` with retries; return the reply parsed by ``parse``.

    ``timeout`` (seconds) may shorten ``MAPILLARY_TIMEOUT`` for a caller that someone waits on.
    """
    check_token(token)
    url = f"{settings.MAPILLARY_API_URL}/{path}"
    headers = {"Authorization": f"OAuth {token}"}
    limit = float(settings.MAPILLARY_TIMEOUT)
    if timeout is not None:
        limit = min(limit, timeout)
    timeouts = httpx.Timeout(limit, connect=min(10.0, limit))
    tries = (settings.MAPILLARY_RETRIES if retries is None else retries) + 1
    for attempt in range(tries):
        if cancel is not None and cancel.is_set():
            raise MapillaryError("The request was cancelled.", permanent=True)
        try:
            with _http().stream(
                "GET", url, params=params, headers=headers, timeout=timeouts
            ) as reply:
                body = _read(reply)
            error = _failure(reply, body, what)
            if error is None:
                try:
                    return parse(body)
                except pydantic.ValidationError as invalid:
                    if any(e["type"] == "json_invalid" for e in invalid.errors()):
                        error = MapillaryError(
                            "Mapillary sent an incomplete reply.",
                            permanent=False,
                            status=reply.status_code,
                        )
                    else:
                        raise MapillaryError(
                            f"Mapillary sent a reply for {what} that this server cannot read.",
                            permanent=True,
                            status=reply.status_code,
                        ) from None
        except httpx.TimeoutException:
            error = MapillaryError("Mapillary did not answer in time.", permanent=False)
        except httpx.RequestError as failure:
            # The exception names the URL (never the token) and the kind of failure.
            logger.info("mapillary /%s: %s", path, type(failure).__name__)
            error = MapillaryError("The connection to Mapillary broke.", permanent=False)
        if error.permanent:
            raise error
        if attempt == tries - 1:
            break
        delay = backoff_seconds(attempt, settings.MAPILLARY_BACKOFF)
        if error.retry_after is not None:
            if error.retry_after > MAX_RETRY_AFTER_SECONDS:
                break
            delay = max(delay, error.retry_after)
        logger.warning(
            "mapillary /%s: %s retry %d of %d in %.2fs",
            path,
            error.message,
            attempt + 1,
            tries - 1,
            delay,
        )
        _wait(delay, cancel)
    assert error is not None  # each try that did not return or raise failed with an error
    raise MapillaryError(
        f"{error.message} Tried {attempt + 1} times; try again later.",
        permanent=False,
        status=error.status,
        code=error.code,
        retry_after=error.retry_after,
    )


def get_me(
    token: str, *, retries: int | None = None, timeout: float | None = None
) -> MapillaryUser:
    """The Mapillary user the token belongs to.

    ``retries`` overrides ``MAPILLARY_RETRIES`` and ``timeout`` shortens ``MAPILLARY_TIMEOUT``:
    a web request waiting on the answer may prefer to give up sooner than a background job.
    """
    return _get(
        token,
        "me",
        {"fields": "id,username"},
        what="user for this token",
        parse=MapillaryUser.model_validate_json,
        retries=retries,
        timeout=timeout,
    )


def get_image_ids(
    token: str, sequence_key: str, *, retries: int | None = None, timeout: float | None = None
) -> list[str]:
    """The ids of a sequence's images, in capture order."""
    check_key(sequence_key)
    reply = _get(
        token,
        "image_ids",
        {"sequence_id": sequence_key},
        what=f"sequence {sequence_key}",
        parse=ImageIdsReply.model_validate_json,
        retries=retries,
        timeout=timeout,
    )
    return [item.id for item in reply.data]


def get_image(
    token: str,
    image_id: str,
    fields: Sequence[str] = IMPORT_FIELDS,
    *,
    retries: int | None = None,
    timeout: float | None = None,
) -> ImageDetails:
    """One image's details: one request per image, kept for comparison and small needs."""
    check_key(image_id, "image id")
    return _get(
        token,
        image_id,
        {"fields": ",".join(fields)},
        what=f"image {image_id}",
        parse=ImageDetails.model_validate_json,
        retries=retries,
        timeout=timeout,
    )


def _fetch_batch(
    token: str,
    ids: list[str],
    fields: Sequence[str],
    cancel: threading.Event,
    retries: int | None = None,
) -> ImageBatch:
    reply = _get(
        token,
        "images",
        {"image_ids": ",".join(ids), "fields": ",".join(fields)},
        what=f"{len(ids)} images",
        parse=parse_images,
        cancel=cancel,
        retries=retries,
    )
    found = {image.id: image for image in reply.data}
    return ImageBatch(requested=ids, images=[found[i] for i in ids if i in found])


def iter_image_batches(
    token: str,
    ids: Sequence[str],
    fields: Sequence[str] = IMPORT_FIELDS,
    *,
    batch_size: int | None = None,
    concurrency: int | None = None,
    retries: int | None = None,
) -> Iterator[ImageBatch]:
    """Details of many images, fetched in batches, ``concurrency`` requests at a time.

    Batches come out in order. At most about twice ``concurrency`` batches are held at once,
    so memory stays flat however long the sequence. The first failure stops the rest.
    ``retries`` overrides ``MAPILLARY_RETRIES`` (a web request cannot wait minutes).
    """
    check_token(token)
    for image_id in ids:
        check_key(image_id, "image id")
    size = batch_size or settings.MAPILLARY_BATCH_SIZE
    workers = concurrency or settings.MAPILLARY_CONCURRENCY
    chunks = (list(ids[start : start + size]) for start in range(0, len(ids), size))
    cancel = threading.Event()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mapillary")
    pending: deque[Future[ImageBatch]] = deque()
    try:
        for chunk in chunks:
            pending.append(pool.submit(_fetch_batch, token, chunk, fields, cancel, retries))
            if len(pending) >= 2 * workers:
                break
        while pending:
            batch = pending.popleft().result()
            following = next(chunks, None)
            if following is not None:
                pending.append(pool.submit(_fetch_batch, token, following, fields, cancel, retries))
            yield replace(batch, next_ready=bool(pending) and pending[0].done())
    finally:
        # On failure, or when the caller stops early, drop what is still queued.
        cancel.set()
        pool.shutdown(wait=False, cancel_futures=True)


def get_images(
    token: str,
    ids: Sequence[str],
    fields: Sequence[str] = IMPORT_FIELDS,
    *,
    batch_size: int | None = None,
    concurrency: int | None = None,
    retries: int | None = None,
) -> list[ImageDetails]:
    """Details of many images in the order of ``ids``, without those Mapillary did not return."""
    return [
        image
        for batch in iter_image_batches(
            token, ids, fields, batch_size=batch_size, concurrency=concurrency, retries=retries
        )
        for image in batch.images
    ]


@dataclass(frozen=True)
class SequenceCheck:
    """What a quick look at a Mapillary sequence found (see ``check_sequence``).

    ``exists``: whether Mapillary lists images for it; ``creator``: who uploaded its first
    image. None for what is not known (Mapillary did not say, or did not answer in time).
    """

    exists: bool | None = None
    creator: MapillaryUser | None = None


def check_sequence(token: str, sequence_key: str, *, timeout: float) -> SequenceCheck:
    """Whether the sequence exists, and who uploaded its first image, as far as is quickly known.

    Two bounded requests, not retried (someone waits on the answer): the sequence's
    ``image_ids`` and its first image's ``creator``. A permanent failure raises
    ``MapillaryError``; a transient one leaves what it would have told unknown.
    """
    try:
        ids = get_image_ids(token, sequence_key, retries=0, timeout=timeout)
        if not ids:
            return SequenceCheck(exists=False)
        first = get_image(token, ids[0], ("id", "creator"), retries=0, timeout=timeout)
    except MapillaryError as error:
        if error.permanent:
            raise
        return SequenceCheck()
    return SequenceCheck(exists=True, creator=first.creator)


# Mapillary's signed photo links point at its CDN (scontent-<place>.xx.fbcdn.net and the like).
PHOTO_HOST_SUFFIX = ".fbcdn.net"
MAPILLARY_GRAPH_HOST = "graph.mapillary.com"
# A CDN link redirects once or twice at most.
MAX_PHOTO_REDIRECTS = 5


def is_photo_link(url: str) -> bool:
    """Whether ``url`` is on Mapillary's CDN (https, a host under fbcdn.net), or on the
    stand-in serving as Mapillary (``MAPILLARY_API_URL``'s own origin, when it is not
    Mapillary's)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host.endswith(PHOTO_HOST_SUFFIX):
        return True
    api = urlsplit(settings.MAPILLARY_API_URL)
    return api.hostname != MAPILLARY_GRAPH_HOST and (parts.scheme, parts.netloc) == (
        api.scheme,
        api.netloc,
    )


def fetch_photo(url: str, *, max_bytes: int) -> bytes | None:
    """The bytes of a photo from one of Mapillary's signed links (its CDN, which may redirect,
    within its CDN only: ``is_photo_link``), or None when it could not be had or is larger
    than ``max_bytes``; never raises."""
    limit = float(settings.MAPILLARY_TIMEOUT)
    try:
        for _ in range(MAX_PHOTO_REDIRECTS + 1):
            if not is_photo_link(url):
                # The server would fetch anything a link or a redirect names: only the CDN.
                logger.info("mapillary photo: a link off Mapillary's CDN, not followed")
                return None
            with _http().stream(
                "GET",
                url,
                headers={"Accept": "image/*"},
                timeout=httpx.Timeout(limit, connect=10.0),
                follow_redirects=False,
            ) as reply:
                if reply.is_redirect:
                    url = str(reply.url.join(reply.headers.get("Location", "")))
                    continue
                if reply.status_code != 200:
                    logger.info("mapillary photo: HTTP %s", reply.status_code)
                    return None
                data = b""
                for chunk in reply.iter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        return None
                return data
    except httpx.HTTPError as error:
        logger.info("mapillary photo: %s", type(error).__name__)
        return None
    logger.info("mapillary photo: too many redirects")
    return None
