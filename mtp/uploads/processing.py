"""A completed upload set becomes sequences: what the worker does (``jobs.run`` calls
``process``).

1. Each photo's smaller files are made (``derivatives``), one photo at a time, so a set of any
   size holds one photo in memory; photos already done by an earlier run are skipped. A photo
   libvips cannot decode is marked broken, with the reason.
2. The photos are planned into sequences with geopic-tag-reader's own dispatch (Panoramax's
   rules, as its command-line client checks them locally): sorted by the set's method, split
   where the time or distance between two photos is over the set's limits (unless
   ``no_split``), and within each part a photo too close in place and heading to the one kept
   before it is dropped as a duplicate (unless ``no_deduplication``).
3. In one transaction each part becomes a sequence with its photos, route, capture times,
   camera and ``is_pano``, published (visibility "anyone") or kept to its owner
   ("owner-only"); the first part fills the draft the metadata names (``mtp_sequence``).
   The application whose token made the set hears ``sequence.published``.

Run again after a crash at any point, it ends in the same state: the sequences are written in
the transaction that marks the set dispatched, and derivatives are made again only where
missing.
"""

import logging
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pyvips
from django.contrib.gis.geos import Point
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from geopic_tag_reader.reader import GeoPicTags, TimeBySource
from geopic_tag_reader.sequence import MergeParams, SortMethod, SplitParams, dispatch_pictures
from geopic_tag_reader.sequence import Picture as DispatchPicture

from mtp.sequences import hosted
from mtp.sequences.models import (
    NAME_MAX_LENGTH,
    TAG_MAX_LENGTH,
    Image,
    Sequence,
    TransportType,
    camera_ids,
    find_transport_type,
)
from mtp.sequences.tags import set_sequence_tags
from mtp.uploads import derivatives
from mtp.uploads.models import UploadFile, UploadSet
from mtp.webhooks.events import sequence_published

logger = logging.getLogger(__name__)

# The way of travel of a sequence when neither the set's metadata nor its owner's sequences
# say one.
DEFAULT_TRANSPORT_TYPE = "Walk"


# Planning -------------------------------------------------------------------------------------


@dataclass
class Plan:
    """The set's photos as sequences (``parts``, each in order) and those left out."""

    parts: list[list[UploadFile]] = field(default_factory=list)
    duplicates: dict[int, str] = field(default_factory=dict)  # file id -> why


def plan(upload_set: UploadSet, files: list[UploadFile]) -> Plan:
    """Sort, split and deduplicate ``files`` by the set's parameters (Panoramax's rules)."""
    pictures = []
    by_picture: dict[int, UploadFile] = {}
    for upload_file in files:
        picture = DispatchPicture(upload_file.name, _tags(upload_file))
        pictures.append(picture)
        by_picture[id(picture)] = upload_file
    split = (
        None
        if upload_set.no_split
        else SplitParams(maxDistance=upload_set.split_distance, maxTime=upload_set.split_time)
    )
    merge = (
        None
        if upload_set.no_deduplication
        else MergeParams(
            maxDistance=upload_set.duplicate_distance,
            maxRotationAngle=upload_set.duplicate_rotation,
        )
    )
    report = dispatch_pictures(pictures, SortMethod(upload_set.sort_method), merge, split)
    result = Plan()
    for part in report.sequences:
        if part.pictures:
            result.parts.append([by_picture[id(picture)] for picture in part.pictures])
    for duplicate in report.duplicate_pictures:
        kept = by_picture[id(duplicate.duplicate_of)]
        result.duplicates[by_picture[id(duplicate.picture)].pk] = (
            f"A duplicate of {kept.name}: {duplicate.distance} m from it"
            + (f", {duplicate.angle}° apart." if duplicate.angle is not None else ".")
        )
    return result


def _tags(upload_file: UploadFile) -> GeoPicTags:
    """What the dispatch reads of a photo, from what was read of it on arrival."""
    heading = round(upload_file.heading) if upload_file.heading is not None else None
    return GeoPicTags(
        lat=upload_file.lat,
        lon=upload_file.lon,
        ts=upload_file.captured_at,
        heading=heading,
        type="equirectangular" if upload_file.is_pano else "flat",
        make=upload_file.camera_make or None,
        model=upload_file.camera_model or None,
        focal_length=None,
        crop=None,
        ts_by_source=TimeBySource(camera=upload_file.captured_at),
        field_of_view=upload_file.field_of_view,
    )


# Running --------------------------------------------------------------------------------------


def process(upload_set: UploadSet, renew: Callable[[], None]) -> list[Sequence]:
    """Make the set's sequences (see the module); ``renew`` keeps the job's lease, raising
    ``mtp.lib.jobs.LeaseLost`` when it is no longer held. Returns the sequences made."""
    files = list(
        UploadFile.objects.filter(upload_set=upload_set)
        .exclude(status=UploadFile.Status.BROKEN)
        .order_by("id")
    )
    for upload_file in files:
        _make_derivatives(upload_file)
        renew()
    usable = [item for item in files if item.status != UploadFile.Status.BROKEN]
    return _write(upload_set, plan(upload_set, usable) if usable else Plan())


def _make_derivatives(upload_file: UploadFile) -> None:
    """Make the photo's smaller files unless an earlier run did; mark it broken if libvips
    cannot decode it."""
    key = str(upload_file.picture_id)
    if all(default_storage.exists(hosted.file_name(key, name)) for name in ("sd", "thumb")):
        return
    with default_storage.open(hosted.file_name(key, "hd"), "rb") as original:
        data = original.read()
    try:
        derivatives.store(key, data)
    except pyvips.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
        upload_file.status = UploadFile.Status.BROKEN
        upload_file.why = f"The photo cannot be decoded: {reason}"[:300]
        upload_file.save(update_fields=["status", "why"])


def _write(upload_set: UploadSet, planned: Plan) -> list[Sequence]:
    """The sequences of the plan, the files' outcomes and the set's, in one transaction."""
    made: list[Sequence] = []
    with transaction.atomic():
        locked = UploadSet.objects.select_for_update().get(pk=upload_set.pk)
        if locked.status == UploadSet.Status.DISPATCHED:
            return list(locked.sequences.all())
        transport_type = transport_type_for(locked)
        tags = semantic_tags(locked.semantics)
        cameras: dict[tuple[str, str], tuple[int | None, int | None]] = {}
        for number, part in enumerate(planned.parts, start=1):
            draft = locked.mtp_sequence if number == 1 else None
            name = part_name(locked.title, number, len(planned.parts))
            sequence = _sequence(locked, draft, name, transport_type, tags)
            _add_images(sequence, part, locked, cameras)
            made.append(sequence)
        for file_id, why in planned.duplicates.items():
            UploadFile.objects.filter(pk=file_id).update(
                status=UploadFile.Status.DUPLICATE, why=why[:300]
            )
        locked.sequences.add(*made)
        locked.status = UploadSet.Status.DISPATCHED
        locked.dispatched_at = timezone.now()
        locked.save(update_fields=["status", "dispatched_at", "updated_at"])
        for sequence in made:
            if sequence.status == Sequence.Status.PUBLISHED:
                sequence_published(sequence)
    for sequence in made:
        logger.info(
            "upload set %s: sequence %s of %d photos",
            upload_set.pk,
            sequence.pk,
            sequence.image_count,
        )
    return made


def transport_type_for(upload_set: UploadSet) -> TransportType:
    return default_transport_type(upload_set.owner_id, upload_set.metadata, log_as=upload_set.pk)


def part_name(title: str, number: int, parts: int) -> str:
    """A sequence's name: the set's title, and which part it is when there are several."""
    suffix = f" Part {number}" if parts > 1 else ""
    return (title.strip() or "Upload")[: NAME_MAX_LENGTH - len(suffix)].rstrip() + suffix


def semantic_tags(semantics: list) -> list[str]:
    """Tags from Panoramax's semantics: each ``key=value`` as one tag, lowercase letters,
    digits and hyphens (``surface=gravel``: ``surface-gravel``)."""
    names: list[str] = []
    for item in semantics or []:
        if not isinstance(item, dict):
            continue
        text = f"{item.get('key', '')}-{item.get('value', '')}".lower()
        name = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:TAG_MAX_LENGTH].strip("-")
        if name and name not in names:
            names.append(name)
    return names


def default_transport_type(
    owner_id: int, metadata: dict | None, *, log_as: object = None
) -> TransportType:
    """The metadata's ``transport_type`` if it names a valid one, else the kind of the owner's
    latest sequence, else Walk (or any kind, on an instance without Walk)."""
    named = metadata.get("transport_type") if metadata else None
    if isinstance(named, str) and named.strip():
        try:
            return find_transport_type(named, child_only=True)
        except Exception:  # noqa: BLE001 - an unknown name falls back to the usual kind
            logger.info("upload set %s: unknown transport type %r", log_as, named)
    latest = (
        Sequence.objects.filter(owner_id=owner_id, transport_type__parent__isnull=False)
        .order_by("-created_at")
        .values_list("transport_type_id", flat=True)
        .first()
    )
    if latest is not None:
        return TransportType.objects.get(pk=latest)
    walk = TransportType.objects.filter(
        name__iexact=DEFAULT_TRANSPORT_TYPE, parent__isnull=False
    ).first()
    return walk or TransportType.objects.filter(parent__isnull=False).order_by("id")[0]


def _sequence(
    upload_set: UploadSet,
    draft: Sequence | None,
    name: str,
    transport_type: TransportType,
    tags: list[str],
) -> Sequence:
    """The sequence a part fills: the named draft if it is still one, else a new sequence."""
    if draft is not None:
        draft = Sequence.objects.select_for_update().filter(pk=draft.pk).first()
    if draft is not None and draft.status != Sequence.Status.PUBLISHED:
        # The draft keeps what its app and owner gave it (name, kind, tags).
        draft.photo_source = Sequence.PhotoSource.UPLOAD
        return draft
    sequence = Sequence.objects.create(
        owner_id=upload_set.owner_id,
        name=name,
        transport_type=transport_type,
        source="upload",
        application_id=upload_set.application_id,
        photo_source=Sequence.PhotoSource.UPLOAD,
    )
    set_sequence_tags(sequence.pk, tags, created=True)
    return sequence


def _add_images(
    sequence: Sequence,
    part: list[UploadFile],
    upload_set: UploadSet,
    cameras: dict[tuple[str, str], tuple[int | None, int | None]],
) -> None:
    """Store the part's photos as the sequence's images, and set the sequence from them."""
    points = [(item.lon, item.lat) for item in part]
    headings = _headings(part, upload_set.relative_heading)
    images = []
    for position, (item, heading) in enumerate(zip(part, headings, strict=True)):
        make_id, model_id = camera_ids(cameras, item.camera_make, item.camera_model)
        images.append(
            Image(
                sequence=sequence,
                key=str(item.picture_id),
                mapillary_key=None,
                position=position,
                point=Point(item.lon, item.lat, srid=4326),
                captured_at=item.captured_at,
                compass_angle=heading,
                camera_make_id=make_id,
                camera_model_id=model_id,
                is_pano=item.is_pano,
                width=item.width or None,
                height=item.height or None,
                altitude=item.altitude,
            )
        )
    Image.objects.bulk_create(images, batch_size=500)
    stored = dict(Image.objects.filter(sequence=sequence).values_list("key", "pk"))
    for item in part:
        item.status = UploadFile.Status.PREPARED
        item.image_id = stored[str(item.picture_id)]
    UploadFile.objects.bulk_update(part, ["status", "image"], batch_size=500)
    sequence.set_route(points, [item.captured_at for item in part])
    sequence.image_count = len(part)
    sequence.is_pano = sum(item.is_pano for item in part) * 2 > len(part)
    camera = Counter(camera_ids(cameras, item.camera_make, item.camera_model) for item in part)
    sequence.camera_make_id, sequence.camera_model_id = camera.most_common(1)[0][0]
    if upload_set.visibility == UploadSet.Visibility.ANYONE:
        sequence.status = Sequence.Status.PUBLISHED
        sequence.published_at = sequence.published_at or timezone.now()
    sequence.save()


def _headings(part: list[UploadFile], relative_heading: int | None) -> list[float | None]:
    """Each photo's heading: its own, else the direction of travel turned by the set's
    ``relative_heading`` (its own is kept whenever it has one)."""
    headings: list[float | None] = []
    for index, item in enumerate(part):
        if item.heading is not None:
            headings.append(item.heading)
            continue
        if len(part) < 2:
            headings.append(None)
            continue
        after = part[index + 1] if index + 1 < len(part) else item
        before = item if index + 1 < len(part) else part[index - 1]
        travel = bearing((before.lon, before.lat), (after.lon, after.lat))
        headings.append((travel + (relative_heading or 0)) % 360 if travel is not None else None)
    return headings


def bearing(a: tuple[float, float], b: tuple[float, float]) -> float | None:
    """The initial bearing from ``a`` to ``b`` (lon, lat), degrees clockwise from north;
    None when they are the same place."""
    if a == b:
        return None
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    x = math.sin(lon2 - lon1) * math.cos(lat2)
    y = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(lon2 - lon1)
    return math.degrees(math.atan2(x, y)) % 360
