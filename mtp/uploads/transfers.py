"""The run of a transfer (``Transfer``, queue ``uploads``): copy a collection of another
instance here, reading it as any STAC client does.

1. Read the collection (its title and description name the draft) and count its photos
   (``stats:items``).
2. Read its items a page at a time (``items`` link, then each page's ``next``); take each
   photo's original (the ``hd`` asset) into the transfer's upload set through the same action
   as an upload (``actions.add_file``), its place and time as the item says.
3. Complete the set: its processing job makes the sequence, which publishes the draft.

Every address read (the collection, its pages, its photos, each redirect) is checked as
webhooks are (``mtp.lib.outbound``). A run that stops part way is run again from the start;
the photos the set holds already (by item id) are not read twice.
"""

import json
import logging
from datetime import datetime
from typing import Any

import httpx
from django.conf import settings
from django.utils import timezone

from mtp.lib import outbound
from mtp.lib.jobs import LeaseLost
from mtp.uploads import actions
from mtp.uploads.actions import UploadRefused
from mtp.uploads.exif import Overrides
from mtp.uploads.models import Transfer, UploadFile

logger = logging.getLogger(__name__)

# A page of STAC JSON (a collection, a page of items) is read up to this size.
MAX_PAGE_BYTES = 20 * 1024 * 1024
PAGE_LIMIT = 100
TIMEOUT_SECONDS = 60.0


class TransferFailed(Exception):
    """The collection cannot be copied, whatever is tried again (not a STAC collection, an
    address this server will not read, too many photos)."""


def run(job: Transfer) -> str:
    """Copy the job's collection; what it came to ("succeeded", "retrying", "failed")."""
    try:
        refused = copy(job)
    except LeaseLost:
        raise
    except TransferFailed as failed:
        logger.info("transfer %s: %s", job.unique_id, failed)
        job.give_up(str(failed)[:300])
        return "failed"
    except (httpx.HTTPError, outbound.TooLarge) as error:
        logger.info("transfer %s: %s", job.unique_id, error)
        return job.retry(f"Reading {job.source_url} failed: {type(error).__name__}: {error}"[:300])
    except Exception as error:  # noqa: BLE001 - recorded on the job, tried again later
        logger.exception("transfer %s failed", job.unique_id)
        return job.retry(f"{type(error).__name__}: {error}"[:300])
    note = f"{len(refused)} photos were refused: {refused[0]}" if refused else ""
    job.finish(finished_at=timezone.now(), last_error=note[:300])
    return "succeeded"


def copy(job: Transfer) -> list[str]:
    """Take every photo of the job's collection into its upload set, then complete the set;
    why each refused photo was refused."""
    collection = _json(job.source_url)
    if collection.get("type") != "Collection":
        raise TransferFailed(f"{job.source_url} is not a STAC collection.")
    actions.name_transferred_draft(
        job, str(collection.get("title") or ""), str(collection.get("description") or "")
    )
    count = _stated_count(collection)
    if count is not None and count > settings.TRANSFER_MAX_PHOTOS:
        raise TransferFailed(
            f"The collection has {count} photos; a transfer takes at most"
            f" {settings.TRANSFER_MAX_PHOTOS}."
        )
    held = set(UploadFile.objects.filter(upload_set=job.upload_set).values_list("name", flat=True))
    job.renew(nb_items_to_transfer=count or 0, nb_transferred=len(held))
    refused: list[str] = []
    seen = 0
    url: str | None = _items_url(job.source_url, collection)
    while url is not None:
        page = _json(url)
        features = page.get("features")
        if not isinstance(features, list):
            raise TransferFailed(f"{url} is not a page of STAC items.")
        for item in features:
            seen += 1
            if seen > settings.TRANSFER_MAX_PHOTOS:
                raise TransferFailed(
                    f"The collection has over {settings.TRANSFER_MAX_PHOTOS} photos, the most"
                    " a transfer takes."
                )
            name = _file_name(item)
            if name is None or name in held:
                continue
            why = _take(job, item, name)
            if why is None:
                held.add(name)
            else:
                refused.append(why)
            job.renew(nb_transferred=len(held), nb_items_to_transfer=max(count or 0, seen))
        url = _next_url(page)
    job.renew(nb_transferred=len(held), nb_items_to_transfer=seen)
    actions.complete(job.upload_set)
    return refused


def _take(job: Transfer, item: dict[str, Any], name: str) -> str | None:
    """Take the item's photo into the set; None, or why it was refused."""
    href = _photo_url(item)
    if href is None:
        return f"{name}: the item has no hd asset"
    try:
        reply = outbound.get(
            href,
            actions.transfer_policy(),
            max_bytes=settings.MTP_MAX_PHOTO_BYTES,
            timeout=TIMEOUT_SECONDS,
            accept="image/jpeg",
        )
    except outbound.TooLarge:
        return f"{name}: over the limit of {settings.MTP_MAX_PHOTO_BYTES} bytes"
    except outbound.UnsafeTarget as unsafe:
        return f"{name}: {unsafe.message}"
    if reply.status_code != 200:
        if reply.status_code >= 500:
            raise httpx.HTTPStatusError(
                f"HTTP {reply.status_code} for {href}", request=reply.request, response=reply
            )
        return f"{name}: HTTP {reply.status_code}"
    try:
        actions.add_file(job.upload_set, name, reply.content, overrides=_overrides(item))
    except UploadRefused as refusal:
        if refusal.status == 409 and "holds this file" in refusal.message:
            return None  # the same photo twice in the collection: kept once
        return f"{name}: {refusal.message}"
    return None


def _json(url: str) -> dict[str, Any]:
    try:
        reply = outbound.get(
            url,
            actions.transfer_policy(),
            max_bytes=MAX_PAGE_BYTES,
            timeout=TIMEOUT_SECONDS,
            accept="application/json, application/geo+json",
        )
    except outbound.UnsafeTarget as unsafe:
        raise TransferFailed(unsafe.message) from None
    if reply.status_code in (404, 410):
        raise TransferFailed(f"{url} answers {reply.status_code}: there is no such collection.")
    if reply.status_code != 200:
        raise httpx.HTTPStatusError(
            f"HTTP {reply.status_code} for {url}", request=reply.request, response=reply
        )
    try:
        body = json.loads(reply.content)
    except ValueError:
        raise TransferFailed(f"{url} does not answer JSON.") from None
    if not isinstance(body, dict):
        raise TransferFailed(f"{url} does not answer a JSON object.")
    return body


def _stated_count(collection: dict[str, Any]) -> int | None:
    stats = collection.get("stats:items")
    count = stats.get("count") if isinstance(stats, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _link(body: dict[str, Any], rel: str) -> str | None:
    for link in body.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == rel and isinstance(link.get("href"), str):
            if str(link.get("method", "GET")).upper() == "GET":
                return link["href"]
    return None


def _items_url(collection_url: str, collection: dict[str, Any]) -> str:
    url = httpx.URL(_link(collection, "items") or collection_url.rstrip("/") + "/items")
    return str(url.copy_merge_params({"limit": PAGE_LIMIT}))


def _next_url(page: dict[str, Any]) -> str | None:
    return _link(page, "next")


def _file_name(item: Any) -> str | None:
    """The name of the item's photo in the set: its id, which a second run finds there."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
        return None
    return f"{item['id'][:200]}.jpg"


def _photo_url(item: dict[str, Any]) -> str | None:
    assets = item.get("assets")
    hd = assets.get("hd") if isinstance(assets, dict) else None
    href = hd.get("href") if isinstance(hd, dict) else None
    return href if isinstance(href, str) else None


def _overrides(item: dict[str, Any]) -> Overrides:
    """The item's place and time, which the origin may know better than the photo's tags."""
    values: dict[str, Any] = {}
    geometry = item.get("geometry")
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if (
        isinstance(coordinates, list)
        and len(coordinates) >= 2
        and all(isinstance(value, int | float) for value in coordinates[:2])
        and -180 <= coordinates[0] <= 180
        and -90 <= coordinates[1] <= 90
    ):
        values["lon"], values["lat"] = float(coordinates[0]), float(coordinates[1])
    properties = item.get("properties")
    moment = properties.get("datetime") if isinstance(properties, dict) else None
    if isinstance(moment, str):
        try:
            parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            values["captured_at"] = parsed
    return Overrides(**values)
