"""Leaderboards: people ranked by what they captured in published sequences.

Three measures (``METRICS``): photos, distance and sequences. Ties share a rank (1, 1, 3).
The database does the counting and the ranking (``RANK()`` over the totals), so a page costs
one query however many people there are; nothing is kept in advance, so a sequence counts
from the moment it is published.

Two ways to count:
- everywhere, or in a box (``bbox``): whole sequences, from the totals each sequence keeps
  (``image_count``, ``distance_m``), the box matching routes that cross it as in a search;
- in an area (``area``, a challenge's polygon): each photo inside it, and the length of each
  route inside it.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.gis.db.models.functions import Intersection, Length
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, F, FloatField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse

from mtp.sequences.models import CameraMake, Image, Sequence
from mtp.sequences.queries import transport_types_by_name

METRICS = ("images", "distance", "sequences")
# A period is the last so many days, up to now.
PERIOD_DAYS = {"all": None, "year": 365, "month": 30, "week": 7}


@dataclass(frozen=True)
class Criteria:
    """What to count and which photos count. ``None`` in a filter means any."""

    metric: str = "images"
    transport_type_ids: frozenset[int] | None = None
    camera_make_ids: frozenset[int] | None = None
    captured_from: datetime | None = None
    captured_until: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    area: GEOSGeometry | None = None


@dataclass(frozen=True)
class Standing:
    """One person's place on a leaderboard."""

    rank: int
    user: Any
    value: float

    def to_dict(self) -> dict[str, Any]:
        value = round(self.value, 1) if isinstance(self.value, float) else self.value
        return {
            "rank": self.rank,
            "user": {
                "username": self.user.username,
                "name": self.user.public_name,
                "profile_url": settings.SITE_URL
                + reverse("accounts:profile", args=[self.user.username]),
            },
            "value": value,
        }


def transport_type_ids(kinds: Iterable) -> frozenset[int]:
    """The ids of these transport types, a group (Water) standing for all its kinds."""
    every = transport_types_by_name().values()
    ids: set[int] = set()
    for kind in kinds:
        if kind.parent_id is None:
            ids.update(child.pk for child in every if child.parent_id == kind.pk)
        else:
            ids.add(kind.pk)
    return frozenset(ids)


def camera_make_ids(names: Iterable[str]) -> frozenset[int]:
    """The ids of the camera makes named (any case); unknown names match nothing."""
    wanted = {name.strip().lower() for name in names if name.strip()}
    if not wanted:
        return frozenset()
    found = CameraMake.objects.alias(lower=Lower("name")).filter(lower__in=wanted)
    return frozenset(found.values_list("pk", flat=True))


def _sequence_filters(queryset: QuerySet, criteria: Criteria, prefix: str = "") -> QuerySet:
    """Published sequences of the ways of travel and cameras asked for (``prefix``: the path)."""
    queryset = queryset.filter(**{f"{prefix}status": Sequence.Status.PUBLISHED})
    if criteria.transport_type_ids is not None:
        queryset = queryset.filter(
            **{f"{prefix}transport_type_id__in": criteria.transport_type_ids}
        )
    if criteria.camera_make_ids is not None:
        queryset = queryset.filter(**{f"{prefix}camera_make_id__in": criteria.camera_make_ids})
    return queryset


def _window(queryset: QuerySet, field: str, criteria: Criteria) -> QuerySet:
    if criteria.captured_from is not None:
        queryset = queryset.filter(**{f"{field}__gte": criteria.captured_from})
    if criteria.captured_until is not None:
        queryset = queryset.filter(**{f"{field}__lt": criteria.captured_until})
    return queryset


def totals(criteria: Criteria) -> QuerySet:
    """Rows of ``user_id`` and ``value``: each person's total, unordered, zeros included."""
    if criteria.metric not in METRICS:
        raise ValueError(f"unknown metric {criteria.metric!r}")
    if criteria.area is None:
        sequences = _sequence_filters(Sequence.objects.all(), criteria)
        sequences = _window(sequences, "captured_at_start", criteria)
        if criteria.bbox is not None:
            sequences = sequences.in_bbox(*criteria.bbox)
        value = {
            "images": Sum("image_count"),
            "distance": Sum("distance_m"),
            "sequences": Count("id"),
        }[criteria.metric]
        return sequences.order_by().values(user_id=F("owner_id")).annotate(value=value)
    area = criteria.area
    if criteria.metric == "distance":
        # The length of each route inside the area, on the ellipsoid, for the routes whose
        # capture started within the window.
        sequences = _sequence_filters(Sequence.objects.all(), criteria)
        sequences = _window(sequences, "captured_at_start", criteria)
        sequences = sequences.filter(geometry__intersects=area)
        inside = Length(Intersection("geometry", Value(area)))
        return (
            sequences.order_by()
            .values(user_id=F("owner_id"))
            .annotate(value=Coalesce(Sum(inside), Value(0.0), output_field=FloatField()))
        )
    images = _sequence_filters(Image.objects.all(), criteria, prefix="sequence__")
    images = _window(images, "captured_at", criteria)
    images = images.filter(point__intersects=area)
    value = Count("id") if criteria.metric == "images" else Count("sequence_id", distinct=True)
    return images.order_by().values(user_id=F("sequence__owner_id")).annotate(value=value)


def _ranked_sql(criteria: Criteria) -> tuple[str, list] | None:
    """SQL of (user_id, value, rank) for everyone with a total above zero, and its parameters.

    None when nothing can match (a filter on an empty list).
    """
    queryset = totals(criteria)
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return None
    # Distances rank to the decimetre they are shown with: sums of the same routes added in
    # another order differ in the last bits, and must still tie.
    value = "ROUND(value * 10) / 10.0" if criteria.metric == "distance" else "value"
    ranked = (
        f"SELECT user_id, {value} AS value, RANK() OVER (ORDER BY {value} DESC) AS place "  # noqa: S608
        f"FROM ({sql}) AS totals WHERE value > 0"
    )
    return ranked, list(params)


def _standings(rows: list[tuple], metric: str) -> list[Standing]:
    users = get_user_model().objects.in_bulk([row[0] for row in rows])
    kind = float if metric == "distance" else int
    return [
        Standing(rank=place, user=users[user_id], value=kind(value))
        for user_id, value, place in rows
    ]


def standings(
    criteria: Criteria, *, limit: int, after: tuple[int, int] | None = None
) -> list[Standing]:
    """Up to ``limit`` places in order (rank, then user id), after ``after`` = (rank, user id)."""
    query = _ranked_sql(criteria)
    if query is None:
        return []
    ranked, params = query
    sql = f"SELECT user_id, value, place FROM ({ranked}) AS ranked"  # noqa: S608
    if after is not None:
        sql += " WHERE place > %s OR (place = %s AND user_id > %s)"
        params += [after[0], after[0], after[1]]
    sql += " ORDER BY place, user_id LIMIT %s"
    params.append(limit)
    with connections[Sequence.objects.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _standings(rows, criteria.metric)


def standing_of(user, criteria: Criteria) -> Standing | None:
    """The person's place, or None when they have nothing that counts."""
    query = _ranked_sql(criteria)
    if query is None:
        return None
    ranked, params = query
    sql = f"SELECT user_id, value, place FROM ({ranked}) AS ranked WHERE user_id = %s"  # noqa: S608
    with connections[Sequence.objects.db].cursor() as cursor:
        cursor.execute(sql, [*params, user.pk])
        rows = cursor.fetchall()
    return _standings(rows, criteria.metric)[0] if rows else None


def photo_count(criteria: Criteria) -> int:
    """How many published photos count under ``criteria`` (its area and window, if any)."""
    if criteria.area is None:
        return sum(row["value"] or 0 for row in totals(replace(criteria, metric="images")))
    images = _sequence_filters(Image.objects.all(), criteria, prefix="sequence__")
    images = _window(images, "captured_at", criteria)
    return images.filter(point__intersects=criteria.area).count()
