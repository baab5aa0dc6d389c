"""Tours: an ordered trip made of several published sequences, by anyone, liked by others."""

import uuid
from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxLengthValidator
from django.db import connections
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, Length, Lower
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.urls import reverse
from django.utils import timezone

from mtp.lib.text import validate_line, validate_lines
from mtp.sequences.links import object_url, owner_data
from mtp.sequences.models import SEQUENCE_VALUES, Sequence, Tag, sequence_data
from mtp.sequences.photos import cover_keys_by_id
from mtp.sequences.tags import tag_names_by_sequence, tags_named

NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 50_000
# The most routes one tour may hold.
MAX_SEQUENCES = 500


# A tour's box as PostgreSQL's box type, as its GiST index (migration 0001) has it.
TOUR_BOX = (
    'box(point("tours_tour"."bbox_west", "tours_tour"."bbox_south"),'
    ' point("tours_tour"."bbox_east", "tours_tour"."bbox_north"))'
)
# Square degrees: a box larger than this holds many tours, which the page's ordered index
# finds soonest; a smaller one, few, which the GiST index finds at once.
GIST_BOX_MAX_AREA = 25.0


class TourQuerySet(models.QuerySet):
    def published(self) -> "TourQuerySet":
        return self.filter(status=Tour.Status.PUBLISHED)

    def visible_to(self, user) -> "TourQuerySet":
        """Published tours, and every tour of ``user`` (drafts are their owner's only)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.published()
        return self.filter(Q(status=Tour.Status.PUBLISHED) | Q(owner=user))

    def in_bbox(self, west: float, south: float, east: float, north: float) -> "TourQuerySet":
        """Tours whose routes' box meets the box (west > east crosses the 180th meridian);
        a box whose south is above its north holds nothing."""
        if south > north:
            return self.none()
        boxes = (
            [(west, south, east, north)]
            if west <= east
            else [(west, south, 180.0, north), (-180.0, south, east, north)]
        )
        area = sum((e - w) * (n - s) for w, s, e, n in boxes)
        if connections[self.db].vendor == "postgresql" and area <= GIST_BOX_MAX_AREA:
            # A small box: the GiST index of the tours' boxes finds the few inside (a plain
            # condition on four columns looks common to the planner, which then reads every
            # tour in the page's order until it has a page: 144 ms against 1 ms, for 100,000).
            sql = " OR ".join([f"({TOUR_BOX} && box(point(%s, %s), point(%s, %s)))"] * len(boxes))
            params = [value for box in boxes for value in box]
            # The numbers are parameters; the rest is this module's own text.
            return self.extra(where=[sql], params=params)  # type: ignore[return-value]  # noqa: S610
        condition = Q()
        for w, s, e, n in boxes:
            condition |= Q(bbox_west__lte=e, bbox_east__gte=w, bbox_south__lte=n, bbox_north__gte=s)
        return self.filter(condition)

    def of_username(self, username: str) -> "TourQuerySet":
        return self.alias(owner_username_lower=Lower("owner__username")).filter(
            owner_username_lower=username.lower()
        )

    def with_all_tags(self, names) -> "TourQuerySet":
        through = Tour.tags.through
        queryset = self
        for name in set(names):
            queryset = queryset.filter(
                Exists(through.objects.filter(tour_id=OuterRef("pk"), tag__name=name))
            )
        return queryset

    def with_sequence(self, sequence_id: int) -> "TourQuerySet":
        return self.filter(
            Exists(TourSequence.objects.filter(tour_id=OuterRef("pk"), sequence_id=sequence_id))
        )

    def matching_text(self, text: str) -> "TourQuerySet":
        return self.filter(Q(name__icontains=text) | Q(description__icontains=text))


class Tour(models.Model):
    """Several published sequences in the order of a trip; a draft is its owner's only."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"

    unique_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tours"
    )
    # The OAuth application that created it: told (webhook) when the tour is published.
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tours",
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH, validators=[validate_line])
    description = models.TextField(
        blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH), validate_lines]
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tours")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PUBLISHED)
    sequences = models.ManyToManyField(
        Sequence, through="TourSequence", related_name="tours", blank=True
    )
    # Totals of its routes, kept in step with them (refresh_totals) for search and lists.
    sequence_count = models.PositiveIntegerField(default=0, editable=False)
    image_count = models.PositiveIntegerField(default=0, editable=False)
    distance_m = models.FloatField(default=0, editable=False)
    bbox_west = models.FloatField(null=True, blank=True, editable=False)
    bbox_south = models.FloatField(null=True, blank=True, editable=False)
    bbox_east = models.FloatField(null=True, blank=True, editable=False)
    bbox_north = models.FloatField(null=True, blank=True, editable=False)
    # Kept in step with TourLike rows (mtp.sequences.likes): sort=likes reads an index.
    like_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = TourQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-published_at", "-id"], name="tour_status_published"),
            models.Index(fields=["status", "-like_count", "-id"], name="tour_status_likes"),
            models.Index(fields=["status", "-distance_m", "-id"], name="tour_status_distance"),
            models.Index(fields=["owner", "-created_at"], name="tour_owner_created"),
            models.Index(
                fields=["bbox_west", "bbox_east", "bbox_south", "bbox_north"], name="tour_bbox"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("name"), 1)
                & LessThanOrEqual(Length("name"), NAME_MAX_LENGTH),
                name="tour_name_length",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX_LENGTH),
                name="tour_description_length",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]), name="tour_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="tour_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("web:tour", args=[self.unique_id])

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def save(self, *args, **kwargs) -> None:
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            # First published now (a draft's date is when it is published, not made).
            self.published_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "published_at"}
        super().save(*args, **kwargs)

    def set_tags(self, names: list[str]) -> None:
        """Make ``names`` its tags, creating tags that do not exist yet (in a transaction)."""
        self.tags.set(tags_named(names))

    def refresh_totals(self) -> None:
        """Count, photos, length and box of its published routes, stored on the tour."""
        totals = Sequence.objects.filter(
            tour_entries__tour=self, status=Sequence.Status.PUBLISHED
        ).aggregate(
            sequence_count=Count("pk"),
            image_count=Coalesce(Sum("image_count"), 0),
            distance_m=Coalesce(Sum("distance_m"), 0.0),
            bbox_west=Min("bbox_west"),
            bbox_south=Min("bbox_south"),
            bbox_east=Max("bbox_east"),
            bbox_north=Max("bbox_north"),
        )
        for name, value in totals.items():
            setattr(self, name, value)
        Tour.objects.filter(pk=self.pk).update(**totals)

    def to_dict(
        self, *, tags: list[str], sequences: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The tour's JSON: ``tags`` its tag names; ``sequences`` the JSON of its routes in
        order (``tour_data``: a tour read alone), or None (a tour in a list, which gives only
        their count)."""
        has_box = self.bbox_west is not None
        data: dict[str, Any] = {
            "unique_id": str(self.unique_id),
            "name": self.name,
            "description": self.description,
            "tags": tags,
            "status": self.status,
            "sequence_count": self.sequence_count,
            "image_count": self.image_count,
            "distance_m": round(self.distance_m, 1),
            "bbox": [self.bbox_west, self.bbox_south, self.bbox_east, self.bbox_north]
            if has_box
            else None,
            "like_count": self.like_count,
            "owner": owner_data(self.owner),
            "url": object_url("web:tour", self.unique_id),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "published_at": self.published_at,
        }
        if sequences is not None:
            data["sequences"] = sequences
            # What is shown: the routes still published (a route leaving shows at once).
            data["sequence_count"] = len(sequences)
            data["image_count"] = sum(item["image_count"] for item in sequences)
            data["distance_m"] = round(sum(item["distance_m"] for item in sequences), 1)
        return data


class TourSequence(models.Model):
    """A route of a tour, at its place in the tour's order."""

    tour = models.ForeignKey(Tour, on_delete=models.CASCADE, related_name="entries")
    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="tour_entries")
    position = models.PositiveIntegerField(help_text="0-based place in the tour.")

    class Meta:
        ordering = ["tour_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["tour", "sequence"], name="toursequence_once"),
            models.UniqueConstraint(fields=["tour", "position"], name="toursequence_position"),
        ]

    def __str__(self) -> str:
        return f"{self.tour_id}[{self.position}] = {self.sequence_id}"


class TourLike(models.Model):
    """Someone likes a tour: at most once; ``Tour.like_count`` counts these rows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tour_likes"
    )
    tour = models.ForeignKey(Tour, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tour", "user"], name="tourlike_once")]
        indexes = [models.Index(fields=["user", "-created_at"], name="tourlike_user")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.tour_id}"


def routes_of(tour: Tour, *, geometry: bool = False) -> list[dict[str, Any]]:
    """The tour's published routes in order, in one query, as values (``SEQUENCE_VALUES``,
    with ``id`` and ``cover_id``): a tour's reply reads 20 routes and more, and builds no
    models for them. With ``geometry``, each has its line too."""
    columns = ["id", "cover_id", *SEQUENCE_VALUES, *(["geometry"] if geometry else [])]
    return list(
        Sequence.objects.published()
        .filter(tour_entries__tour=tour)
        .order_by("tour_entries__position")
        .values(*columns)
    )


def tour_data(tour: Tour, routes: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON of a tour read alone, with the JSON of its routes (``routes_of``) in order:
    three queries more, for the tour's tags, its routes' tags and their covers."""
    route_tags = tag_names_by_sequence([route["id"] for route in routes])
    covers = cover_keys_by_id({route["id"]: route["cover_id"] for route in routes})
    sequences = [
        sequence_data(route, tags=route_tags[route["id"]], cover_key=covers.get(route["id"]))
        for route in routes
    ]
    return tour.to_dict(tags=tag_names_by_tour([tour.pk])[tour.pk], sequences=sequences)


def tag_names_by_tour(tour_ids: list[int]) -> dict[int, list[str]]:
    """The tag names of each tour, alphabetically, in one query."""
    names: dict[int, list[str]] = {pk: [] for pk in tour_ids}
    if not tour_ids:
        return names
    rows = (
        Tour.tags.through.objects.filter(tour_id__in=tour_ids)
        .order_by("tag__name")
        .values_list("tour_id", "tag__name")
    )
    for tour_id, name in rows:
        names[tour_id].append(name)
    return names


def set_tour_sequences(tour: Tour, sequence_ids: list[int]) -> None:
    """Make ``sequence_ids`` the tour's routes, in this order (call it in a transaction)."""
    TourSequence.objects.filter(tour=tour).delete()
    TourSequence.objects.bulk_create(
        TourSequence(tour=tour, sequence_id=sequence_id, position=position)
        for position, sequence_id in enumerate(sequence_ids)
    )
    tour.refresh_totals()


# Routes that stop being public leave every tour --------------------------------------------

# The fields of a sequence that a tour's totals are made of.
TOTALS_FIELDS = {"status", "image_count", "distance_m", "geometry", "bbox_west", "bbox_south"}
TOTALS_FIELDS |= {"bbox_east", "bbox_north"}


def sequence_saved(sender, instance: Sequence, created: bool, update_fields=None, **kwargs) -> None:
    """A sequence no longer published leaves every tour, in the transaction of its change;
    a published one whose route changed updates the totals of its tours."""
    if created:
        return
    if update_fields is not None and not TOTALS_FIELDS & set(update_fields):
        return
    tour_ids = list(
        TourSequence.objects.filter(sequence_id=instance.pk).values_list("tour_id", flat=True)
    )
    if not tour_ids:
        return
    if instance.status != Sequence.Status.PUBLISHED:
        TourSequence.objects.filter(sequence_id=instance.pk).delete()
    for tour in Tour.objects.filter(pk__in=tour_ids).only("pk"):
        tour.refresh_totals()


def sequence_deleting(sender, instance: Sequence, **kwargs) -> None:
    instance._tour_ids = list(  # type: ignore[attr-defined]
        TourSequence.objects.filter(sequence_id=instance.pk).values_list("tour_id", flat=True)
    )


def sequence_deleted(sender, instance: Sequence, **kwargs) -> None:
    """The rows went with the sequence (CASCADE): its tours' totals follow."""
    for tour in Tour.objects.filter(pk__in=getattr(instance, "_tour_ids", [])).only("pk"):
        tour.refresh_totals()
