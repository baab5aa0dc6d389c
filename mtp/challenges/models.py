"""Capture challenges: an area, a time window, ways of travel and cameras, and who captured most."""

import uuid
from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxLengthValidator
from django.db import router, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.urls import reverse
from django.utils import timezone

from mtp.challenges.areas import (
    area_bbox,
    area_geojson,
    area_outline,
    area_pieces,
    is_box,
    shape_digest,
)
from mtp.lib.text import validate_line, validate_lines
from mtp.sequences.leaderboard import Criteria, camera_make_ids, transport_type_ids
from mtp.sequences.links import profile_url
from mtp.sequences.models import TransportType

NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 5000
MAX_CAMERA_MAKES = 20


class ChallengeQuerySet(models.QuerySet):
    def active(self, at=None) -> "ChallengeQuerySet":
        """Challenges whose window holds ``at`` (now by default)."""
        at = at or timezone.now()
        return self.filter(start__lte=at, end__gt=at)

    def in_bbox(self, west: float, south: float, east: float, north: float) -> "ChallengeQuerySet":
        """Challenges whose area meets the box (west > east crosses the 180th meridian), as far
        as the boxes of its pieces tell; a box whose south is above its north holds nothing."""
        if south > north:
            return self.none()
        boxes = (
            [(west, south, east, north)]
            if west <= east
            else [(west, south, 180.0, north), (-180.0, south, east, north)]
        )
        # The area's own box first (an index narrows it), across the 180th meridian when its
        # west is above its east; then the pieces' boxes, which follow the area's outline.
        across = Q(bbox_west__gt=models.F("bbox_east"))
        area_box = Q()
        piece_box = Q()
        for w, s, e, n in boxes:
            lats = Q(bbox_south__lte=n, bbox_north__gte=s)
            area_box |= lats & (
                (~across & Q(bbox_west__lte=e, bbox_east__gte=w))
                | (across & (Q(bbox_west__lte=e) | Q(bbox_east__gte=w)))
            )
            piece_box |= Q(west__lte=e, east__gte=w, south__lte=n, north__gte=s)
        pieces = AreaPiece.objects.filter(piece_box, challenge=OuterRef("pk"))
        return self.filter(area_box, Exists(pieces))

    def matching_text(self, text: str) -> "ChallengeQuerySet":
        return self.filter(Q(name__icontains=text) | Q(description__icontains=text))


class Challenge(models.Model):
    """Capture as many photos as you can inside ``area`` between ``start`` and ``end``."""

    unique_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="challenges"
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH, validators=[validate_line])
    description = models.TextField(
        blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH), validate_lines]
    )
    area = models.MultiPolygonField(srid=4326, spatial_index=True)
    # The area's box, for a box search with a plain B-tree on every database.
    bbox_west = models.FloatField()
    bbox_south = models.FloatField()
    bbox_east = models.FloatField()
    bbox_north = models.FloatField()
    # Written with the area, so that a page or a leaderboard never reads the area itself: a
    # name of its exact shape (a kept ranking is the ranking of that shape), and its outline
    # simplified for a map (areas.area_outline).
    # Both may be null in the database only so that adding them did not remake the table on
    # SQLite, which drops SpatiaLite's spatial index triggers; set_area always writes them.
    area_digest = models.CharField(max_length=64, null=True, blank=True, editable=False)
    area_outline = models.JSONField(null=True, blank=True, editable=False)
    transport_types = models.ManyToManyField(
        TransportType,
        blank=True,
        related_name="+",
        help_text="Ways of travel that count (a group counts all its kinds); none: any.",
    )
    camera_makes = models.JSONField(
        default=list, blank=True, help_text="Camera makes that count (names); none: any."
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ChallengeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["end", "start"], name="challenge_window"),
            models.Index(
                fields=["bbox_west", "bbox_east", "bbox_south", "bbox_north"],
                name="challenge_bbox",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="challenge_ends_after_start"
            ),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("name"), 1)
                & LessThanOrEqual(Length("name"), NAME_MAX_LENGTH),
                name="challenge_name_length",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX_LENGTH),
                name="challenge_description_length",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("web:challenge", args=[self.unique_id])

    @classmethod
    def from_db(cls, db, field_names, values):
        challenge = super().from_db(db, field_names, values)
        # The area as stored: a save cuts the area in pieces again only when it has changed.
        challenge._stored_area = challenge.__dict__.get("area")
        return challenge

    def set_area(self, area) -> None:
        """Set the area and what is kept beside it: its box, its name and its outline."""
        self.area = area
        self.bbox_west, self.bbox_south, self.bbox_east, self.bbox_north = area_bbox(area)
        self.area_digest = shape_digest(area)
        self.area_outline = area_outline(area)

    def save(self, *args, **kwargs) -> None:
        """Save, with the area's box and its pieces (AreaPiece) when the area has changed,
        however it was changed (the API, the pages, the admin)."""
        fields = kwargs.get("update_fields")
        if (fields is not None and "area" not in fields) or "area" in self.get_deferred_fields():
            # The area is not written (a challenge read without it saves the fields it has).
            super().save(*args, **kwargs)
            return
        stored = getattr(self, "_stored_area", None)
        reshaped = stored is None or not self.area.equals_exact(stored, 0)
        if reshaped:
            self.set_area(self.area)
        with transaction.atomic(using=kwargs.get("using") or router.db_for_write(Challenge)):
            super().save(*args, **kwargs)
            if reshaped:
                self.pieces.all().delete()
                AreaPiece.objects.bulk_create(
                    AreaPiece(
                        challenge=self,
                        shape=piece,
                        west=piece.extent[0],
                        south=piece.extent[1],
                        east=piece.extent[2],
                        north=piece.extent[3],
                        is_box=is_box(piece),
                    )
                    for piece in area_pieces(self.area)
                )
        self._stored_area = self.area.clone()

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.start <= at < self.end

    def criteria(self, metric: str = "images") -> Criteria:
        """What counts for this challenge's leaderboard: its area through its pieces, named by
        its digest, so that the area itself is not read (a challenge may be read without it)."""
        kinds = list(self.transport_types.all())
        west, south, east, north = self.bbox_west, self.bbox_south, self.bbox_east, self.bbox_north
        if west > east:
            # Across the 180th meridian: the parts either side of it.
            west, east = -180.0, 180.0
        return Criteria(
            metric=metric,
            transport_type_ids=transport_type_ids(kinds) if kinds else None,
            camera_make_ids=camera_make_ids(self.camera_makes) if self.camera_makes else None,
            captured_from=self.start,
            captured_until=self.end,
            area_box=(west, south, east, north),
            area_digest=self.area_digest or "",
            area_pieces=AreaPiece.objects.filter(challenge=self),
        )

    def to_dict(self) -> dict[str, Any]:
        """The challenge's JSON, for the API and the pages."""
        site = settings.SITE_URL
        return {
            "unique_id": str(self.unique_id),
            "name": self.name,
            "description": self.description,
            "owner": {
                "username": self.owner.username,
                "name": self.owner.public_name,
                "profile_url": profile_url(self.owner),
            },
            "transport_types": sorted(kind.name for kind in self.transport_types.all()),
            "camera_makes": list(self.camera_makes),
            "start": self.start,
            "end": self.end,
            "is_active": self.is_active(),
            "bbox": [self.bbox_west, self.bbox_south, self.bbox_east, self.bbox_north],
            "url": site + self.get_absolute_url(),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def to_feature(self, *, outline: bool = False) -> dict[str, Any]:
        """The challenge as a GeoJSON Feature: its area, with its JSON as properties. With
        ``outline``, the area's outline simplified for a map (kept, not made from the area)."""
        data = self.to_dict()
        if outline and self.area_outline is not None:
            geometry = self.area_outline
        else:
            geometry = area_geojson(self.area)
        return {
            "type": "Feature",
            "id": data["unique_id"],
            "geometry": geometry,
            "bbox": data["bbox"],
            "properties": data,
        }


class AreaPiece(models.Model):
    """A piece of a challenge's area, of at most areas.PIECE_CORNERS corners, with its box: the
    pieces together are the area (areas.area_pieces), kept when the area is saved so that
    photos and routes are tested against the few small pieces near them."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="pieces")
    shape = models.PolygonField(srid=4326, spatial_index=True)
    west = models.FloatField()
    south = models.FloatField()
    east = models.FloatField()
    north = models.FloatField()
    # The piece is its box (areas.is_box): what lies inside the box lies inside the piece,
    # with no test of its shape. Null (not a box) only so that adding it did not remake the
    # table on SQLite (see Challenge.area_digest); saving a challenge's area writes it.
    is_box = models.BooleanField(null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["challenge", "west", "east", "south", "north"], name="area_piece_box"
            )
        ]


def may_create_challenges(user) -> bool:
    """Whether the instance lets ``user`` create challenges (MTP_CHALLENGE_CREATORS)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return settings.MTP_CHALLENGE_CREATORS == "everyone" or user.is_staff
