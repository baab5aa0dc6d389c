"""Sequences of street-level images, their images, and the vocabularies that describe them."""

import re
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import LineString
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    URLValidator,
)
from django.db.models import Q
from django.db.models.functions import Length, Lower
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.urls import reverse

from mtp.lib.geodesy import path_length_m
from mtp.sequences.links import cover_data, object_url, owner_data, photo_urls
from mtp.sequences.queries import SequenceQuerySet, transport_types_by_name

# Google's hosts that serve Google Maps (a Street View share link is a Google Maps link).
GOOGLE_HOST = re.compile(r"(?:www\.|maps\.)?google\.(?:com|[a-z]{2}|com?\.[a-z]{2})")


def google_street_view_problem(url: str) -> str | None:
    """Why ``url`` is not a Google Maps link (https://maps.app.goo.gl/...,
    https://www.google.com/maps/..., https://maps.google.com/...), or None."""
    try:
        URLValidator(schemes=["https"])(url)
    except ValidationError:
        return "Give the Google Street View link as an https URL."
    parts = urlsplit(url)
    host, path = parts.hostname or "", parts.path
    if not parts.username and not parts.password and parts.port is None:
        if host == "maps.app.goo.gl" or (host == "goo.gl" and path.startswith("/maps/")):
            return None
        if GOOGLE_HOST.fullmatch(host) and (host.startswith("maps.") or path.startswith("/maps")):
            return None
    return (
        "A Google Street View link is a Google Maps link, such as https://maps.app.goo.gl/... "
        "or https://www.google.com/maps/..."
    )


# The limits on what a person types, here only: the API and the website both use them.
# Generous enough for what apps let people type (the MTP Desktop Uploader sets none).
NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 50_000
TAG_MAX_LENGTH = 100
MAX_TAGS = 100
TAG_REGEX = rf"^[a-z0-9-]{{1,{TAG_MAX_LENGTH}}}$"
TAG_PATTERN = re.compile(TAG_REGEX)
TAG_RULE = f"a tag is 1 to {TAG_MAX_LENGTH} letters, digits and hyphens"


class TransportType(models.Model):
    """A way of travel. Two levels: parents (Earth, Water...) and their children (Walk, Kayak...).

    Sequences always take a child type; filtering by a parent includes its children.
    """

    name = models.CharField(max_length=50)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["parent_id", "name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="transporttype_name_unique_ci"),
            models.CheckConstraint(condition=~Q(name=""), name="transporttype_name_not_empty"),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="transporttype_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.parent_id is not None and self.parent.parent_id is not None:
            raise ValidationError(
                {"parent": "Transport types have two levels: pick a top-level parent."}
            )

    @property
    def is_parent(self) -> bool:
        return self.parent_id is None


def validate_tag_name(value: str) -> None:
    if not TAG_PATTERN.match(value):
        raise ValidationError(
            f"A tag is 1 to {TAG_MAX_LENGTH} lowercase letters, digits and hyphens.",
            code="invalid_tag",
        )


class Tag(models.Model):
    """A free label on sequences: lowercase ``[a-z0-9-]``, 1 to ``TAG_MAX_LENGTH`` characters."""

    name = models.CharField(max_length=TAG_MAX_LENGTH, unique=True, validators=[validate_tag_name])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(name__regex=TAG_REGEX), name="tag_name_format")
        ]

    def __str__(self) -> str:
        return self.name


class CameraMake(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="cameramake_name_not_empty")
        ]

    def __str__(self) -> str:
        return self.name


class CameraModel(models.Model):
    make = models.ForeignKey(CameraMake, on_delete=models.CASCADE, related_name="models")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["make__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["make", "name"], name="cameramodel_unique_per_make"),
            models.CheckConstraint(condition=~Q(name=""), name="cameramodel_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.make.name} {self.name}"


def _transport_types_by_id() -> dict[int, TransportType]:
    return {item.pk: item for item in transport_types_by_name().values()}


class Sequence(models.Model):
    """A run of GPS-tagged photos shared by one person: a draft until an import publishes it."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        IMPORTING = "importing"
        PUBLISHED = "published"
        FAILED = "failed"

    unique_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sequences"
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    # The database CHECK in Meta backs up the validator.
    description = models.TextField(
        blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)]
    )
    transport_type = models.ForeignKey(TransportType, on_delete=models.PROTECT, related_name="+")
    tags = models.ManyToManyField(Tag, blank=True, related_name="sequences")
    source = models.CharField(max_length=50, blank=True, help_text="The client that created it.")
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sequences",
        help_text="The OAuth application that created it.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)

    mapillary_sequence_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    google_street_view = models.URLField(max_length=500, blank=True)
    strava = models.CharField(max_length=100, blank=True)

    captured_at_start = models.DateTimeField(null=True, blank=True)
    captured_at_end = models.DateTimeField(null=True, blank=True)
    geometry = models.LineStringField(srid=4326, null=True, blank=True, spatial_index=True)
    # The route's bounding box, kept beside the geometry so that a box search uses a plain
    # B-tree index on every database (SpatiaLite's R*Tree needs hand-written queries).
    bbox_west = models.FloatField(null=True, blank=True)
    bbox_south = models.FloatField(null=True, blank=True)
    bbox_east = models.FloatField(null=True, blank=True)
    bbox_north = models.FloatField(null=True, blank=True)
    distance_m = models.FloatField(default=0)
    image_count = models.PositiveIntegerField(default=0)
    is_pano = models.BooleanField(default=False)
    camera_make = models.ForeignKey(
        CameraMake, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    camera_model = models.ForeignKey(
        CameraModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The photo shown for the sequence, picked by its owner; none: the first photo.
    cover = models.ForeignKey(
        "Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # When the owner last changed the name, description, transport type or tags after
    # creating it (an edit, not what the app sent): decides whose fields a merge keeps.
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SequenceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["status", "-published_at", "-id"], name="sequence_status_published"
            ),
            models.Index(fields=["owner", "-created_at"], name="sequence_owner_created"),
            models.Index(fields=["status", "captured_at_start"], name="sequence_status_captured"),
            # Leaderboards add up each person's published sequences, and a challenge's joins its
            # photos to them: on PostgreSQL, from this index alone (a few megabytes), never the
            # table's rows with their routes.
            models.Index(
                fields=["owner"],
                include=[
                    "id",
                    "image_count",
                    "distance_m",
                    "captured_at_start",
                    "transport_type",
                    "camera_make",
                ],
                condition=Q(status="published"),
                name="sequence_published_totals",
            ),
            models.Index(
                fields=["bbox_west", "bbox_east", "bbox_south", "bbox_north"], name="sequence_bbox"
            ),
            # Sequences of a single image have a box but no line: a box search finds them here.
            models.Index(
                fields=["bbox_west", "bbox_east", "bbox_south", "bbox_north"],
                condition=Q(geometry__isnull=True, bbox_west__isnull=False),
                name="sequence_point_bbox",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("name"), 1)
                & LessThanOrEqual(Length("name"), NAME_MAX_LENGTH),
                name="sequence_name_length",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX_LENGTH),
                name="sequence_description_length",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "importing", "published", "failed"]),
                name="sequence_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="sequence_published_has_date",
            ),
            models.CheckConstraint(
                condition=Q(distance_m__gte=0), name="sequence_distance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(captured_at_start__isnull=True)
                | Q(captured_at_end__isnull=True)
                | Q(captured_at_end__gte=models.F("captured_at_start")),
                name="sequence_capture_times_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(mapillary_sequence_key=""), name="sequence_mapillary_key_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("web:sequence", args=[self.unique_id])

    def clean(self) -> None:
        self.name = (self.name or "").strip()
        if not self.name:
            raise ValidationError({"name": "A sequence needs a name."})
        if self.transport_type_id is not None and self.transport_type.parent_id is None:
            raise ValidationError(
                {"transport_type": "Pick a specific way of travel (such as Walk), not a group."}
            )
        if self.google_street_view:
            if problem := google_street_view_problem(self.google_street_view):
                raise ValidationError({"google_street_view": problem})

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def to_dict(
        self, *, tags: list[str], latest_import=None, cover_key: str | None = None
    ) -> dict[str, Any]:
        """The JSON of the sequence, as the API, the pages and webhooks give it.

        What lives in other tables comes in, fetched for many sequences at once: ``tags``
        (``tag_names_by_sequence``), ``latest_import`` (its most recent ImportJob, or None) and
        ``cover_key`` (its cover photo's, ``mtp.sequences.photos.cover_keys``).
        """
        transport_type = _transport_types_by_id().get(self.transport_type_id)
        has_box = self.bbox_west is not None
        return {
            "unique_id": str(self.unique_id),
            "name": self.name,
            "description": self.description,
            "transport_type": transport_type.name if transport_type else "",
            "tags": tags,
            "status": self.status,
            "image_count": self.image_count,
            "distance_m": round(self.distance_m, 1),
            "captured_at_start": self.captured_at_start,
            "captured_at_end": self.captured_at_end,
            "is_pano": self.is_pano,
            "bbox": [self.bbox_west, self.bbox_south, self.bbox_east, self.bbox_north]
            if has_box
            else None,
            "mapillary_sequence_key": self.mapillary_sequence_key,
            "google_street_view": self.google_street_view or None,
            "strava": self.strava or None,
            "source": self.source,
            "owner": owner_data(self.owner),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "published_at": self.published_at,
            "url": object_url("web:sequence", self.unique_id),
            "cover": cover_data(cover_key, private=not self.is_public),
            "import": latest_import.to_dict() if latest_import is not None else None,
        }

    def set_route(
        self,
        points: list[tuple[float, float]],
        times: list[datetime],
        distance_m: float | None = None,
    ) -> None:
        """Set geometry, bounding box, distance and capture times from ordered (lon, lat) points.

        ``distance_m``: the path's length when the caller has already measured it.
        """
        if len(points) >= 2:
            self.geometry = LineString(points, srid=4326)
        else:
            self.geometry = None
        if points:
            lons = [p[0] for p in points]
            lats = [p[1] for p in points]
            self.bbox_west, self.bbox_east = min(lons), max(lons)
            self.bbox_south, self.bbox_north = min(lats), max(lats)
        else:
            self.bbox_west = self.bbox_east = self.bbox_south = self.bbox_north = None
        self.distance_m = path_length_m(points) if distance_m is None else distance_m
        known = [t for t in times if t is not None]
        self.captured_at_start = min(known) if known else None
        self.captured_at_end = max(known) if known else None


class Image(models.Model):
    """One photo of a sequence, keyed by its Mapillary image id."""

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="images")
    mapillary_key = models.CharField(max_length=100, unique=True)
    position = models.PositiveIntegerField(help_text="0-based place in capture order.")
    point = models.PointField(srid=4326, spatial_index=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    compass_angle = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(360)]
    )
    camera_make = models.ForeignKey(
        CameraMake, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    camera_model = models.ForeignKey(
        CameraModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_pano = models.BooleanField(default=False)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    altitude = models.FloatField(null=True, blank=True)
    # Mapillary's links, signed and expiring: as the import got them, then as last resolved.
    # Never given out in JSON: the API and the pages give mtp.sequences.photos's stable links,
    # which redirect to these while they are usable.
    thumb_256_url = models.URLField(max_length=2000, blank=True)
    thumb_1024_url = models.URLField(max_length=2000, blank=True)
    thumb_2048_url = models.URLField(max_length=2000, blank=True)
    thumb_original_url = models.URLField(max_length=2000, blank=True)
    # Until when (Unix time) the links above may be handed to a browser: shortly before the
    # first expires. None: not known, ask Mapillary (mtp.sequences.photos).
    links_until = models.FloatField(null=True, blank=True)
    # A small copy (256 px) in the default storage, kept after publication
    # (mtp.sequences.keeper): served when Mapillary cannot give the photo.
    kept_copy = models.FileField(max_length=200, blank=True, db_default="")

    class Meta:
        ordering = ["sequence_id", "position"]
        indexes = [models.Index(fields=["sequence", "position"], name="image_sequence_position")]
        constraints = [
            models.CheckConstraint(
                condition=Q(compass_angle__isnull=True)
                | Q(compass_angle__gte=0, compass_angle__lte=360),
                name="image_compass_angle_range",
            ),
            models.CheckConstraint(
                condition=~Q(mapillary_key=""), name="image_mapillary_key_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.mapillary_key

    def to_dict(self, *, private: bool = False) -> dict[str, Any]:
        """The JSON of the image. Its photo links are this server's own, stable ones
        (``mtp.sequences.links``); ``private``: of a sequence that is not public, signed for its
        owner."""
        return {
            "mapillary_key": self.mapillary_key,
            "position": self.position,
            "lon": self.point.x,
            "lat": self.point.y,
            "captured_at": self.captured_at,
            "compass_angle": self.compass_angle,
            "altitude": self.altitude,
            "is_pano": self.is_pano,
            "width": self.width,
            "height": self.height,
            "camera_make": self.camera_make.name if self.camera_make else None,
            "camera_model": self.camera_model.name if self.camera_model else None,
            **photo_urls(self.mapillary_key, private=private),
        }


class SequenceAlias(models.Model):
    """The id of a sequence merged into another (two drafts of one Mapillary sequence):
    requests for it are sent to ``sequence``."""

    unique_id = models.UUIDField(unique=True, editable=False)
    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="aliases")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.unique_id} -> {self.sequence_id}"


def merge_into(duplicate: Sequence, survivor: Sequence) -> None:
    """Fold ``duplicate`` (a draft of the same owner) into ``survivor``, which keeps its id,
    images and imports; ``duplicate``'s id becomes an alias of it.

    The person's fields (name, description, transport type, tags) come from the one they
    edited last; one never edited after creation holds only what the app sent, so an edited
    one wins over it, and between two unedited ones the later sent wins. What the winner
    lacks (description, tags, links) is taken from the other, so nothing typed is lost.
    Call it in a transaction, with both rows locked.
    """
    from mtp.sequences.queries import set_sequence_tags, tag_names_by_sequence

    def rank(sequence: Sequence) -> tuple:
        return (sequence.edited_at is not None, sequence.edited_at or sequence.created_at)

    winner, other = (
        (duplicate, survivor) if rank(duplicate) > rank(survivor) else (survivor, duplicate)
    )
    tags = tag_names_by_sequence([winner.pk, other.pk])
    survivor.name = winner.name
    survivor.transport_type_id = winner.transport_type_id
    survivor.description = winner.description or other.description
    survivor.google_street_view = winner.google_street_view or other.google_street_view
    survivor.strava = winner.strava or other.strava
    edits = [moment for moment in (duplicate.edited_at, survivor.edited_at) if moment]
    survivor.edited_at = max(edits) if edits else None
    survivor.save(
        update_fields=[
            "name",
            "transport_type",
            "description",
            "google_street_view",
            "strava",
            "edited_at",
            "updated_at",
        ]
    )
    set_sequence_tags(survivor.pk, tags[winner.pk] or tags[other.pk])
    SequenceAlias.objects.filter(sequence=duplicate).update(sequence=survivor)
    SequenceAlias.objects.create(unique_id=duplicate.unique_id, sequence=survivor)
    duplicate.delete()


class KeepPhotosJob(models.Model):
    """Keeping a small copy of every photo of a published sequence (mtp.sequences.keeper).

    One row per sequence, queued again whenever the sequence is published again. A worker
    holds a lease (``lock``, ``locked_until``) while it copies; a worker that dies leaves a
    lease that runs out, and the job is queued again. Photos already kept are not fetched again.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"

    sequence = models.OneToOneField(Sequence, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    kept = models.PositiveIntegerField(default=0, help_text="Photos kept so far.")
    missing = models.PositiveIntegerField(
        default=0, help_text="Photos Mapillary did not give in the last run."
    )
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lock = models.CharField(max_length=32, blank=True, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    # The queued task (django-tasks-db), to tell a live task from a lost one.
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="keepphotos_status_next")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "done", "failed"]),
                name="keepphotosjob_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"keep photos of {self.sequence_id} ({self.status})"
