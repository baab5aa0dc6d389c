"""Capture challenges: an area, a time window, ways of travel and cameras, and who captured most."""

import uuid
from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.urls import reverse
from django.utils import timezone

from mtp.challenges.areas import area_geojson
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
        """Challenges whose area's box meets the box (west > east crosses the 180th meridian);
        a box whose south is above its north holds nothing."""
        if south > north:
            return self.none()
        boxes = (
            [(west, south, east, north)]
            if west <= east
            else [(west, south, 180.0, north), (-180.0, south, east, north)]
        )
        condition = Q()
        for w, s, e, n in boxes:
            condition |= Q(bbox_west__lte=e, bbox_east__gte=w, bbox_south__lte=n, bbox_north__gte=s)
        return self.filter(condition)

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

    def set_area(self, area) -> None:
        """Set the area and the box kept beside it."""
        self.area = area
        self.bbox_west, self.bbox_south, self.bbox_east, self.bbox_north = area.extent

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.start <= at < self.end

    def criteria(self, metric: str = "images") -> Criteria:
        """What counts for this challenge's leaderboard."""
        kinds = list(self.transport_types.all())
        return Criteria(
            metric=metric,
            transport_type_ids=transport_type_ids(kinds) if kinds else None,
            camera_make_ids=camera_make_ids(self.camera_makes) if self.camera_makes else None,
            captured_from=self.start,
            captured_until=self.end,
            area=self.area,
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

    def to_feature(self) -> dict[str, Any]:
        """The challenge as a GeoJSON Feature: its area, with its JSON as properties."""
        data = self.to_dict()
        return {
            "type": "Feature",
            "id": data["unique_id"],
            "geometry": area_geojson(self.area),
            "bbox": data["bbox"],
            "properties": data,
        }


def may_create_challenges(user) -> bool:
    """Whether the instance lets ``user`` create challenges (MTP_CHALLENGE_CREATORS)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return settings.MTP_CHALLENGE_CREATORS == "everyone" or user.is_staff
