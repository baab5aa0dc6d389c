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

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import Intersection, Length
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import BooleanField, Count, F, FloatField, Func, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Lower

from mtp.sequences.links import profile_url
from mtp.sequences.models import CameraMake, Image, Sequence, transport_types_by_name

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
                "profile_url": profile_url(self.user),
            },
            "value": value,
        }


def encode_cursor(standing: Standing) -> str:
    """Where the next page of standings starts, as an opaque text."""
    payload = json.dumps(["rank", standing.rank, standing.user.pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    """The (rank, user id) that ``encode_cursor`` wrote; ValueError for any other text."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, rank, user_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        for number in (rank, user_id):
            if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number < 2**63:
                raise ValueError("not a number")
        if name != "rank":
            raise ValueError("another list")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValueError("not a cursor of this list") from None
    return rank, user_id


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


def totals(criteria: Criteria) -> list[QuerySet]:
    """Querysets of rows of ``user_id`` and ``value`` whose values, added up per person, are
    each person's total (people with nothing may be missing or have zero)."""
    if criteria.metric not in METRICS:
        raise ValueError(f"unknown metric {criteria.metric!r}")
    sequences = _sequence_filters(Sequence.objects.all(), criteria)
    if criteria.area is None:
        sequences = _window(sequences, "captured_at_start", criteria)
        if criteria.bbox is not None:
            sequences = sequences.in_bbox(*criteria.bbox)  # type: ignore[attr-defined]
        value = {
            "images": Sum("image_count"),
            "distance": Sum("distance_m"),
            "sequences": Count("id"),
        }[criteria.metric]
        return [sequences.order_by().values(user_id=F("owner_id")).annotate(value=value)]
    area = criteria.area
    if criteria.metric == "distance":
        # The length of each route inside the area, on the ellipsoid, for the routes whose
        # capture started within the window: a route wholly inside counts its own length,
        # only those crossing the edge are cut (ST_Intersection is the costly part).
        sequences = _window(sequences, "captured_at_start", criteria)
        within = Q(geometry__within=area)
        whole = sequences.filter(within).order_by().values(user_id=F("owner_id"))
        cut = sequences.filter(geometry__intersects=area).exclude(within).order_by()
        inside = Length(Intersection("geometry", Value(area)))
        return [
            whole.annotate(value=Sum("distance_m")),
            cut.values(user_id=F("owner_id")).annotate(
                value=Coalesce(Sum(inside), Value(0.0), output_field=FloatField())
            ),
        ]
    # Photos (or sequences with photos) inside the area within the window. A sequence whose
    # whole route lies inside and whose whole capture lies within counts all its photos
    # (every photo is a corner of the route): its total is read, not its photos. Only the
    # photos of sequences crossing the area's edge or the window's are looked at one by one.
    wholly_inside = Q(geometry__within=area)
    if criteria.captured_from is not None:
        wholly_inside &= Q(captured_at_start__gte=criteria.captured_from)
    if criteria.captured_until is not None:
        wholly_inside &= Q(captured_at_end__lt=criteria.captured_until)
    value = Sum("image_count") if criteria.metric == "images" else Count("id")
    inside = (
        sequences.filter(wholly_inside)
        .order_by()
        .values(user_id=F("owner_id"))
        .annotate(value=value)
    )
    west, south, east, north = area.extent
    crossing = sequences.filter(
        Q(geometry__intersects=area)
        # One photo, no route: its box is its point.
        | Q(
            geometry__isnull=True,
            bbox_west__gte=west,
            bbox_east__lte=east,
            bbox_south__gte=south,
            bbox_north__lte=north,
        )
    ).exclude(wholly_inside)
    images = _window(
        Image.objects.filter(sequence__in=crossing.values("pk")), "captured_at", criteria
    )
    if connections[images.db].vendor == "postgresql":
        # The photos of the few routes crossing the edge, tested one by one. Matched to the
        # photos' own spatial index, the test made the planner read every photo of the area
        # for each such route (it takes an area to hold far fewer photos than it can): 218 ms
        # against 40 ms (bench/leaderboard). ST_Force2D, which changes nothing of a 2D
        # point, keeps the test off that index.
        on_area = Func(
            Func("point", function="ST_Force2D"),
            Value(area, output_field=GeometryField(srid=4326)),
            function="ST_Intersects",
            output_field=BooleanField(),
        )
        images = images.alias(on_area=on_area).filter(on_area=True)
    else:
        images = images.filter(point__intersects=area)
    value = Count("id") if criteria.metric == "images" else Count("sequence_id", distinct=True)
    edge = images.order_by().values(user_id=F("sequence__owner_id")).annotate(value=value)
    return [inside, edge]


def _totals_sql(criteria: Criteria) -> tuple[str, list] | None:
    """SQL of each person's (user_id, value), and its parameters; None when nothing matches."""
    parts = []
    for queryset in totals(criteria):
        try:
            parts.append(queryset.query.get_compiler(using=queryset.db).as_sql())
        except EmptyResultSet:
            continue
    if not parts:
        return None
    if len(parts) == 1:
        sql, params = parts[0]
        return sql, list(params)
    union = " UNION ALL ".join(
        f"SELECT user_id, value FROM ({sql}) AS part{index}"  # noqa: S608
        for index, (sql, _) in enumerate(parts)
    )
    params = [param for _, part_params in parts for param in part_params]
    sql = f"SELECT user_id, SUM(value) AS value FROM ({union}) AS parts GROUP BY user_id"  # noqa: S608
    return sql, params


def _ranked_sql(criteria: Criteria) -> tuple[str, list] | None:
    """SQL of (user_id, value, rank) for everyone with a total above zero, and its parameters.

    None when nothing can match (a filter on an empty list).
    """
    query = _totals_sql(criteria)
    if query is None:
        return None
    sql, params = query
    # Distances rank to the decimetre they are shown with: sums of the same routes added in
    # another order differ in the last bits, and must still tie.
    value = "ROUND(value * 10) / 10.0" if criteria.metric == "distance" else "value"
    ranked = (
        f"SELECT user_id, {value} AS value, RANK() OVER (ORDER BY {value} DESC) AS place "  # noqa: S608
        f"FROM ({sql}) AS totals WHERE value > 0"
    )
    return ranked, params


def _run(sql: str, params: list) -> list[tuple]:
    connection = connections[Sequence.objects.db]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # An area holding 100,000 photos looks costly to the planner, which then compiles
            # the query (JIT) for longer than it takes to run, and splits it among parallel
            # workers that each redo the search for the routes crossing the area's edge:
            # measured (bench/leaderboard), each doubled the time.
            cursor.execute("SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(sql, params)
        return cursor.fetchall()


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
    return _standings(_run(sql, params), criteria.metric)


def standing_of(user, criteria: Criteria) -> Standing | None:
    """The person's place, or None when they have nothing that counts."""
    query = _ranked_sql(criteria)
    if query is None:
        return None
    ranked, params = query
    sql = f"SELECT user_id, value, place FROM ({ranked}) AS ranked WHERE user_id = %s"  # noqa: S608
    rows = _run(sql, [*params, user.pk])
    return _standings(rows, criteria.metric)[0] if rows else None


def photo_count(criteria: Criteria) -> int:
    """How many published photos count under ``criteria`` (its area and window, if any)."""
    query = _totals_sql(replace(criteria, metric="images"))
    if query is None:
        return 0
    sql, params = query
    rows = _run(f"SELECT COALESCE(SUM(value), 0) FROM ({sql}) AS totals", params)  # noqa: S608
    return int(rows[0][0])
