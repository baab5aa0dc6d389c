"""Sequences of street-level images, their images, and the vocabularies that describe them."""

import difflib
import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import GeometryCollection, GEOSGeometry, LineString, Point, Polygon
from django.contrib.gis.measure import D
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import connections
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Length, Lower
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import timezone

from mtp.lib.geodesy import bbox_around, path_length_m
from mtp.lib.jobs import Job
from mtp.lib.text import validate_line, validate_lines
from mtp.sequences.external_links import (
    GOOGLE_STREET_VIEW_MAX_LENGTH,
    parse_google_street_view,
    parse_strava,
    strava_url,
)
from mtp.sequences.links import cover_data, object_url, person_data, photo_urls

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
        if self.parent is not None and self.parent.parent_id is not None:
            raise ValidationError(
                {"parent": "Transport types have two levels: pick a top-level parent."}
            )

    @property
    def is_parent(self) -> bool:
        return self.parent_id is None


# Transport types change only through the admin, so each process keeps them in memory: a create
# resolves "Walk" without a query. A change in this process clears the copy at once; other
# processes see it within TRANSPORT_TYPES_TTL seconds.
TRANSPORT_TYPES_TTL = 60.0
_transport_types_lock = threading.Lock()
_transport_types_cache: tuple[float, dict[str, TransportType]] | None = None


def transport_types_by_name() -> dict[str, TransportType]:
    """Every transport type keyed by its lowercased name, parents loaded."""
    global _transport_types_cache
    cached = _transport_types_cache
    now = time.monotonic()
    if cached is not None and now - cached[0] < TRANSPORT_TYPES_TTL:
        return cached[1]
    types = list(TransportType.objects.select_related("parent"))
    by_name = {transport_type.name.lower(): transport_type for transport_type in types}
    with _transport_types_lock:
        _transport_types_cache = (now, by_name)
    return by_name


def clear_transport_types_cache(**kwargs) -> None:
    global _transport_types_cache
    with _transport_types_lock:
        _transport_types_cache = None


# The same types by id, made once for each dict transport_types_by_name gives (a tour's JSON
# looks one up for each of its routes).
_transport_types_by_id: tuple[dict[str, TransportType], dict[int, TransportType]] | None = None


def transport_types_by_id() -> dict[int, TransportType]:
    global _transport_types_by_id
    by_name = transport_types_by_name()
    cached = _transport_types_by_id
    if cached is None or cached[0] is not by_name:
        cached = (by_name, {item.pk: item for item in by_name.values()})
        _transport_types_by_id = cached
    return cached[1]


# Words people write for a way of travel that is not its name here ("Bike" for Bicycle).
TRANSPORT_TYPE_WORDS = {
    "bike": "Bicycle",
    "cycle": "Bicycle",
    "cycling": "Bicycle",
    "ebike": "Electric Bicycle",
    "e-bike": "Electric Bicycle",
    "escooter": "Electric Scooter",
    "e-scooter": "Electric Scooter",
    "hike": "Walk",
    "hiking": "Walk",
    "walking": "Walk",
    "run": "Walk",
    "running": "Walk",
    "foot": "Walk",
    "skiing": "Ski",
    "snowboarding": "Snowboard",
    "swimming": "Swim",
    "kayaking": "Kayak",
    "canoeing": "Canoe",
    "rowing": "Row",
    "sailing": "Sail",
    "surfing": "Surf",
    "diving": "Scuba Dive",
    "climbing": "Rock Climbing",
    "paragliding": "Paraglide",
    "driving": "Car",
    "auto": "Car",
}


def closest_transport_type(name: str, valid: list[str]) -> str | None:
    """The valid transport type ``name`` most likely means, or None when nothing is close."""
    word = " ".join(name.strip().lower().split())
    meant = TRANSPORT_TYPE_WORDS.get(word) or TRANSPORT_TYPE_WORDS.get(word.replace(" ", ""))
    if meant in valid:
        return meant
    by_lower = {item.lower(): item for item in valid}
    close = difflib.get_close_matches(word, list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def find_transport_type(name: str, *, child_only: bool) -> TransportType:
    """The transport type called ``name`` (any case), or ValidationError listing valid names."""
    found = transport_types_by_name().get(name.strip().lower())
    if found is not None and (found.parent_id is not None or not child_only):
        return found
    valid = sorted(
        transport_type.name
        for transport_type in transport_types_by_name().values()
        if transport_type.parent_id is not None or not child_only
    )
    if found is not None:
        message = (
            f"'{found.name}' is a group: pick one of its kinds. Valid names: {', '.join(valid)}."
        )
    else:
        guess = closest_transport_type(name, valid)
        hint = f" Did you mean '{guess}'?" if guess else ""
        message = f"Unknown transport type '{name}'.{hint} Valid names: {', '.join(valid)}."
    # No params: Django would format the message, which holds the user's text, with %.
    raise ValidationError(message, code="invalid_transport_type")


post_save.connect(clear_transport_types_cache, sender=TransportType)
post_delete.connect(clear_transport_types_cache, sender=TransportType)


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


def camera_ids(
    cache: dict[tuple[str, str], tuple[int | None, int | None]], make: str, model: str
) -> tuple[int | None, int | None]:
    """The ids of the camera make and model a photo names (created on first sight; none
    without a make), remembered in ``cache`` for the photos of one write."""
    make, model = make.strip()[:100], model.strip()[:100]
    if (make, model) not in cache:
        if not make:
            cache[(make, model)] = (None, None)
        else:
            camera_make, _ = CameraMake.objects.get_or_create(name=make)
            camera_model = (
                CameraModel.objects.get_or_create(make=camera_make, name=model)[0]
                if model
                else None
            )
            cache[(make, model)] = (camera_make.pk, camera_model.pk if camera_model else None)
    return cache[(make, model)]


# The longest search radius around a point, in metres.
MAX_RADIUS_M = 100_000


def _box_shape(west: float, south: float, east: float, north: float) -> GEOSGeometry:
    """The box as a polygon; as a line or a point when it has no width or height."""
    if west == east and south == north:
        return Point(west, south)
    if west == east or south == north:
        return LineString((west, south), (east, north))
    return Polygon.from_bbox((west, south, east, north))


class SequenceQuerySet(models.QuerySet):
    """Filters used by the API and the site. Each returns a new queryset."""

    def published(self) -> "SequenceQuerySet":
        return self.filter(status="published")

    def visible_to(self, user) -> "SequenceQuerySet":
        """Published sequences, and every sequence of ``user`` (drafts are their owner's only)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.published()
        return self.filter(Q(status="published") | Q(owner=user))

    def in_bbox(self, west: float, south: float, east: float, north: float) -> "SequenceQuerySet":
        """Sequences whose route crosses the box (west > east means the box crosses 180°).

        A route that crosses the box with no vertex inside it still matches. A sequence of one
        image has no line, only its point's box. A box whose south is above its north holds
        nothing.
        """
        if south > north:
            # Not none(): the leaderboards compile this queryset's SQL, which none() has not.
            return self.filter(pk__isnull=True)
        if west <= east:
            boxes = [(west, south, east, north)]
        else:
            boxes = [(west, south, 180.0, north), (-180.0, south, east, north)]
        box_q = Q()
        for w, s, e, n in boxes:
            box_q |= Q(bbox_west__lte=e, bbox_east__gte=w, bbox_south__lte=n, bbox_north__gte=s)
        shapes = [_box_shape(*box) for box in boxes]
        shape = shapes[0] if len(shapes) == 1 else GeometryCollection(*shapes)
        shape.srid = 4326
        if connections[self.db].vendor == "postgresql":
            # PostGIS: ST_Intersects uses the GiST index on geometry; single points (no line)
            # are found through the partial index on the box columns.
            return self.filter(Q(geometry__intersects=shape) | (Q(geometry__isnull=True) & box_q))
        # SpatiaLite: the B-tree on the box columns narrows, the exact test runs on the rest.
        return self.filter(box_q).filter(Q(geometry__isnull=True) | Q(geometry__intersects=shape))

    def near(self, lon: float, lat: float, radius_m: float) -> "SequenceQuerySet":
        """Sequences whose route passes within ``radius_m`` metres of (lon, lat).

        A sequence of one image (no line) matches when its point lies in the square around.
        """
        west, south, east, north = bbox_around(lon, lat, radius_m)
        point = Point(lon, lat, srid=4326)
        return self.in_bbox(west, south, east, north).filter(
            Q(geometry__isnull=True) | Q(geometry__distance_lte=(point, D(m=radius_m)))
        )

    def of_transport_type(self, transport_type) -> "SequenceQuerySet":
        """Sequences of this type; a parent type (Water) includes its children (Kayak...)."""
        if transport_type.parent_id is None:
            return self.filter(transport_type__parent_id=transport_type.pk)
        return self.filter(transport_type_id=transport_type.pk)

    def with_all_tags(self, names: Iterable[str]) -> "SequenceQuerySet":
        """Sequences carrying every one of the tags ``names``."""
        through = self.model.tags.through  # type: ignore[attr-defined]
        queryset = self
        for name in set(names):
            queryset = queryset.filter(
                Exists(through.objects.filter(sequence_id=OuterRef("pk"), tag__name=name))
            )
        return queryset

    def of_username(self, username: str) -> "SequenceQuerySet":
        """Sequences of the user named ``username`` (any case)."""
        return self.alias(owner_username_lower=Lower("owner__username")).filter(
            owner_username_lower=username.lower()
        )

    def matching_text(self, text: str) -> "SequenceQuerySet":
        """Sequences whose name or description contains ``text`` (any case)."""
        return self.filter(Q(name__icontains=text) | Q(description__icontains=text))


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
    name = models.CharField(max_length=NAME_MAX_LENGTH, validators=[validate_line])
    # The database CHECK in Meta backs up the validator.
    description = models.TextField(
        blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH), validate_lines]
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

    class PhotoSource(models.TextChoices):
        MAPILLARY = "mapillary"
        UPLOAD = "upload"

    # Where its photos live: imported from Mapillary, or uploaded to this server (mtp.uploads),
    # which keeps them and serves every size itself (mtp.sequences.hosted).
    photo_source = models.CharField(
        max_length=20,
        choices=PhotoSource.choices,
        default=PhotoSource.MAPILLARY,
        db_default=PhotoSource.MAPILLARY,
    )

    mapillary_sequence_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    google_street_view = models.URLField(max_length=GOOGLE_STREET_VIEW_MAX_LENGTH, blank=True)
    # The Strava activity's id, digits only (mtp.sequences.links.parse_strava); "" for none.
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
    # How many people like it: kept in step with SequenceLike rows (mtp.sequences.likes), so that
    # sort=likes pages through an index rather than counting every sequence's likes.
    like_count = models.PositiveIntegerField(default=0, editable=False)
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
            models.Index(fields=["status", "-like_count", "-id"], name="sequence_status_likes"),
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
            models.CheckConstraint(
                condition=Q(photo_source__in=["mapillary", "upload"]),
                name="sequence_photo_source_valid",
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
        # Links are kept in one form, whoever wrote them (mtp.sequences.links).
        errors = {}
        for field, parse in (
            ("google_street_view", parse_google_street_view),
            ("strava", parse_strava),
        ):
            try:
                setattr(self, field, parse(getattr(self, field) or ""))
            except ValidationError as error:
                errors[field] = error.messages
        if errors:
            raise ValidationError(errors)

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
        values = {name: getattr(self, name) for name in SEQUENCE_COLUMNS}
        values["owner__username"] = self.owner.username
        values["owner__display_name"] = self.owner.display_name
        return sequence_data(values, tags=tags, latest_import=latest_import, cover_key=cover_key)

    @property
    def strava_url(self) -> str:
        """The page of the sequence's Strava activity; "" for none."""
        return strava_url(self.strava)

    def set_route(
        self,
        points: list[tuple[float, float]],
        times: Iterable[datetime | None],
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


# What a sequence's JSON reads of its row (its line is GeoJSON's business, not the JSON's).
SEQUENCE_COLUMNS = (
    *("unique_id", "name", "description", "transport_type_id", "status", "source", "photo_source"),
    *("image_count", "distance_m", "captured_at_start", "captured_at_end", "is_pano"),
    *("like_count", "bbox_west", "bbox_south", "bbox_east", "bbox_north"),
    *("mapillary_sequence_key", "google_street_view", "strava"),
    *("created_at", "updated_at", "published_at"),
)
# ... and of its owner's: ``values(*SEQUENCE_VALUES)`` reads many without building models.
SEQUENCE_VALUES = (*SEQUENCE_COLUMNS, "owner__username", "owner__display_name")


def sequence_data(
    values: Mapping[str, Any],
    *,
    tags: list[str],
    latest_import=None,
    cover_key: str | None = None,
) -> dict[str, Any]:
    """The JSON of a sequence from its values (``SEQUENCE_VALUES``: a model's, in
    ``Sequence.to_dict``, or a row read without one); the rest as ``Sequence.to_dict`` takes it."""
    transport_type = transport_types_by_id().get(values["transport_type_id"])
    unique_id = values["unique_id"]
    box = [values["bbox_west"], values["bbox_south"], values["bbox_east"], values["bbox_north"]]
    return {
        "unique_id": str(unique_id),
        "name": values["name"],
        "description": values["description"],
        "transport_type": transport_type.name if transport_type else "",
        "tags": tags,
        "status": values["status"],
        "image_count": values["image_count"],
        "distance_m": round(values["distance_m"], 1),
        "captured_at_start": values["captured_at_start"],
        "captured_at_end": values["captured_at_end"],
        "is_pano": values["is_pano"],
        "like_count": values["like_count"],
        "bbox": box if box[0] is not None else None,
        "mapillary_sequence_key": values["mapillary_sequence_key"],
        "google_street_view": values["google_street_view"] or None,
        "strava": values["strava"] or None,
        "source": values["source"],
        "photo_source": values["photo_source"],
        "owner": person_data(values["owner__username"], values["owner__display_name"]),
        "created_at": values["created_at"],
        "updated_at": values["updated_at"],
        "published_at": values["published_at"],
        "url": object_url("web:sequence", unique_id),
        "cover": cover_data(cover_key, private=values["status"] != Sequence.Status.PUBLISHED),
        "import": latest_import.to_dict() if latest_import is not None else None,
    }


class Image(models.Model):
    """One photo of a sequence, named by its ``key``: the Mapillary image id of an imported
    photo, the picture's own UUID for one uploaded here (``mapillary_key`` null)."""

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="images")
    key = models.CharField(max_length=100, unique=True)
    mapillary_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
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
    # How many people like the photo: kept in step with ImageLike rows (mtp.sequences.likes) in
    # the same transaction, so that the most liked photos are read from an index.
    # A database default too: an import writes photos in SQL of its own (mtp.imports).
    like_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        ordering = ["sequence_id", "position"]
        indexes = [
            models.Index(fields=["sequence", "position"], name="image_sequence_position"),
            # Most liked first: only the photos someone likes, a small part of them all.
            models.Index(
                fields=["-like_count", "-id"],
                name="image_likes",
                condition=Q(like_count__gt=0),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(compass_angle__isnull=True)
                | Q(compass_angle__gte=0, compass_angle__lte=360),
                name="image_compass_angle_range",
            ),
            models.CheckConstraint(
                condition=~Q(mapillary_key=""), name="image_mapillary_key_not_empty"
            ),
            models.CheckConstraint(condition=~Q(key=""), name="image_key_not_empty"),
        ]

    def __str__(self) -> str:
        return self.key

    def save(self, *args, **kwargs) -> None:
        # An imported photo is named by its Mapillary key.
        if not self.key and self.mapillary_key:
            self.key = self.mapillary_key
        super().save(*args, **kwargs)

    def to_dict(self, *, private: bool = False, liked: bool = False) -> dict[str, Any]:
        """The JSON of the image. Its photo links are this server's own, stable ones
        (``mtp.sequences.links``); ``private``: of a sequence that is not public, signed for its
        owner; ``liked``: whether the person reading it likes it
        (``mtp.sequences.likes.liked_ids``)."""
        return image_data(
            self.key,
            self.mapillary_key,
            self.position,
            self.point.x,
            self.point.y,
            self.captured_at,
            self.compass_angle,
            self.altitude,
            self.is_pano,
            self.width,
            self.height,
            self.camera_make.name if self.camera_make else None,
            self.camera_model.name if self.camera_model else None,
            self.like_count,
            private=private,
            liked=liked,
        )


def image_columns(prefix: str = "") -> tuple[dict[str, Any], list[str]]:
    """What ``image_data`` reads of an image, for many images at once without building models
    or GEOS points: annotations (its point's longitude and latitude) and the names to give
    ``values_list`` after them, in ``image_data``'s order. ``prefix``: the way to the image
    from the model queried (``"image__"`` from a model with an ``image`` field)."""
    name = prefix.replace("__", "_")
    lon, lat = f"{name}lon", f"{name}lat"
    annotations = {
        lon: models.Func(f"{prefix}point", function="ST_X", output_field=models.FloatField()),
        lat: models.Func(f"{prefix}point", function="ST_Y", output_field=models.FloatField()),
    }
    names = [
        f"{prefix}key",
        f"{prefix}mapillary_key",
        f"{prefix}position",
        lon,
        lat,
        *(
            f"{prefix}{field}"
            for field in ("captured_at", "compass_angle", "altitude", "is_pano", "width", "height")
        ),
        f"{prefix}camera_make__name",
        f"{prefix}camera_model__name",
        f"{prefix}like_count",
    ]
    return annotations, names


def image_data(
    key: str,
    mapillary_key: str | None,
    position: int,
    lon: float,
    lat: float,
    captured_at: datetime | None,
    compass_angle: float | None,
    altitude: float | None,
    is_pano: bool,
    width: int | None,
    height: int | None,
    camera_make: str | None,
    camera_model: str | None,
    like_count: int = 0,
    *,
    private: bool = False,
    liked: bool = False,
) -> dict[str, Any]:
    """The JSON of an image from its values (``Image.to_dict``'s, or ``image_columns``'s read
    without a model). Its photo links are this server's own, stable ones
    (``mtp.sequences.links``); ``private``: of a sequence that is not public, signed for its
    owner; ``liked``: whether the person reading it likes it."""
    return {
        "key": key,
        "mapillary_key": mapillary_key,
        "position": position,
        "lon": lon,
        "lat": lat,
        "captured_at": captured_at,
        "compass_angle": compass_angle,
        "altitude": altitude,
        "is_pano": is_pano,
        "width": width,
        "height": height,
        "camera_make": camera_make,
        "camera_model": camera_model,
        "like_count": like_count,
        "liked": liked,
        **photo_urls(key, private=private),
    }


class SequenceLike(models.Model):
    """Someone likes a sequence: at most once; ``Sequence.like_count`` counts these rows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sequence_likes"
    )
    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sequence", "user"], name="sequencelike_once"),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="sequencelike_user")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.sequence_id}"


class ImageLike(models.Model):
    """Someone likes a photo: at most once; ``Image.like_count`` counts these rows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="image_likes"
    )
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image", "user"], name="imagelike_once"),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="imagelike_user")]

    def __str__(self) -> str:
        return f"{self.user_id} likes photo {self.image_id}"


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

    def rank(sequence: Sequence) -> tuple:
        return (sequence.edited_at is not None, sequence.edited_at or sequence.created_at)

    winner, other = (
        (duplicate, survivor) if rank(duplicate) > rank(survivor) else (survivor, duplicate)
    )
    tag_ids: dict[int, list[int]] = {winner.pk: [], other.pk: []}
    links = Sequence.tags.through.objects.filter(sequence_id__in=tag_ids)
    for sequence_id, tag_id in links.values_list("sequence_id", "tag_id"):
        tag_ids[sequence_id].append(tag_id)
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
    # Tags of a sequence exist already: linking them is all there is to do.
    survivor.tags.set(tag_ids[winner.pk] or tag_ids[other.pk])
    SequenceAlias.objects.filter(sequence=duplicate).update(sequence=survivor)
    SequenceAlias.objects.create(unique_id=duplicate.unique_id, sequence=survivor)
    duplicate.delete()


class KeepPhotosJob(Job):
    """Keeping a small copy of every photo of a published sequence (mtp.sequences.keeper).

    One row per sequence, queued again whenever the sequence is published again
    (``mtp.lib.jobs``). A worker that dies leaves a lease that runs out, and the job runs
    again; photos already kept are not fetched again.
    """

    queue = "photos"
    priority = 2

    sequence = models.OneToOneField(Sequence, on_delete=models.CASCADE, related_name="+")
    kept = models.PositiveIntegerField(default=0, help_text="Photos kept so far.")
    missing = models.PositiveIntegerField(
        default=0, help_text="Photos Mapillary did not give in the last run."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(Job.Meta):
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="keepphotos_status_next")
        ]

    @classmethod
    def max_attempts(cls) -> int:
        return 10

    @classmethod
    def enabled(cls) -> bool:
        """``MTP_KEEP_PHOTOS=false`` turns keeping off."""
        return settings.MTP_KEEP_PHOTOS

    @classmethod
    def claimed_rows(cls) -> models.QuerySet["KeepPhotosJob"]:
        return cls.objects.select_related("sequence")

    def finish(self, **changes: Any) -> None:
        super().finish(finished_at=timezone.now(), **changes)

    def give_up(self, error: str, **changes: Any) -> None:
        super().give_up(error, finished_at=timezone.now(), **changes)

    def __str__(self) -> str:
        return f"keep photos of {self.sequence_id} ({self.status})"
