"""Leaderboards: people ranked by what they captured in published sequences, and the most liked
photos.

Four measures (``METRICS``): photos, distance, sequences, and the likes people's photos
received (``photo_likes``: each photo's like count, ``Image.like_count``, for the photos captured
in the window, in the box). Ties share a rank (1, 1, 3).
The database does the counting and the ranking (``RANK()`` over the totals), so a page costs
one query however many people there are.

A leaderboard in an area (a challenge's) is counted once and kept: each process keeps the whole
ranking in memory, as the tiles are kept (mtp/tiles/cache.py), until published sequences
change. A published sequence saved or deleted, or a sequence published or taken back, once
committed, writes a new *generation* to the shared cache; each process reads it at most once a
second (``GENERATION_CHECK``) and forgets its rankings when it has changed, and the process
that made the change forgets its own at once. A ranking is counted again after
``KEPT_MAX_AGE`` seconds whatever happens, for changes made behind the models' back. A change
of the challenge (its area, window, kinds or cameras) changes its criteria, so its ranking is
another one. However many ask for a ranking not kept yet, one counts it: in a process, the
other threads wait for it; the process that counted it leaves it in the shared cache, where the
other processes wait for it rather than count it too (unless that cache is SQLite's own table,
whose writes would take the database's write lock: then each process counts it once).

Two ways to count:
- everywhere, or in a box (``bbox``): whole sequences, from the totals each sequence keeps
  (``image_count``, ``distance_m``), the box matching routes that cross it as in a search;
- in an area (``area``, a challenge's polygon): each photo inside it, and the length of each
  route inside it.
"""

import base64
import binascii
import hashlib
import json
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.gis.db.models import GeometryField, Union
from django.contrib.gis.db.models.functions import Intersection, Length
from django.contrib.gis.geos import Polygon
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.exceptions import EmptyResultSet
from django.db import connections, router, transaction
from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Lower

from mtp.sequences.links import object_url, photo_url, photo_urls, profile_url
from mtp.sequences.models import CameraMake, Image, Sequence, transport_types_by_name

logger = logging.getLogger(__name__)

METRICS = ("images", "distance", "sequences", "photo_likes")
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
    # An area (a challenge's), given by its pieces (its AreaPiece rows): rows of a polygon
    # ``shape`` and its box (``west``, ``south``, ``east``, ``north``) that together are the
    # area; ``area_box`` (west, south, east, north; west below east) holds them all, and
    # ``area_digest`` names the area's exact shape (a kept ranking is that shape's). The area
    # itself, maybe of thousands of corners, is never read to count.
    area_pieces: QuerySet | None = None
    area_box: tuple[float, float, float, float] | None = None
    area_digest: str = ""

    @property
    def in_area(self) -> bool:
        return self.area_pieces is not None


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
    if criteria.metric == "photo_likes":
        return [
            liked_photos(criteria)
            .values(user_id=F("sequence__owner_id"))
            .annotate(value=Sum("like_count"))
        ]
    sequences = _sequence_filters(Sequence.objects.all(), criteria)
    if not criteria.in_area:
        sequences = _window(sequences, "captured_at_start", criteria)
        if criteria.bbox is not None:
            sequences = sequences.in_bbox(*criteria.bbox)  # type: ignore[attr-defined]
        value = {
            "images": Sum("image_count"),
            "distance": Sum("distance_m"),
            "sequences": Count("id"),
        }[criteria.metric]
        return [sequences.order_by().values(user_id=F("owner_id")).annotate(value=value)]
    pieces = criteria.area_pieces
    if pieces is None or criteria.area_box is None:
        raise ValueError("an area is counted through its pieces and their box")
    # The area's pieces of a few corners each (a challenge keeps them when its area is saved):
    # a route or a photo is tested against the pieces whose box meets its own, never against
    # the whole outline, which may have thousands of corners.
    west, south, east, north = criteria.area_box
    sequences = sequences.filter(
        bbox_west__lte=east, bbox_east__gte=west, bbox_south__lte=north, bbox_north__gte=south
    )
    # A piece that is its box (most are: all but those along the outline) holds what its box
    # holds; the shape of the others is tested.
    in_one_piece = Exists(
        pieces.filter(
            Q(is_box=True) | Q(shape__contains=OuterRef("geometry")),
            west__lte=OuterRef("bbox_west"),
            east__gte=OuterRef("bbox_east"),
            south__lte=OuterRef("bbox_south"),
            north__gte=OuterRef("bbox_north"),
        )
    )
    near = pieces.filter(
        west__lte=OuterRef("bbox_east"),
        east__gte=OuterRef("bbox_west"),
        south__lte=OuterRef("bbox_north"),
        north__gte=OuterRef("bbox_south"),
    )
    meets = Exists(near.filter(shape__intersects=OuterRef("geometry")))
    if criteria.metric == "distance":
        # The length of each route inside the area, on the ellipsoid, for the routes whose
        # capture started within the window: a route inside one piece counts its own length;
        # the others, the length of their part inside the pieces they meet (ST_Intersection
        # is the costly part).
        sequences = _window(sequences, "captured_at_start", criteria)
        whole = sequences.filter(in_one_piece).order_by().values(user_id=F("owner_id"))
        # The pieces a route meets, made one again (their shared edges dissolved, or a
        # route along one would count twice): a few small pieces, not the whole outline.
        around = (
            near.filter(shape__intersects=OuterRef("geometry"))
            .order_by()
            .annotate(together=Value(1))
            .values("together")
            .annotate(shape=Union("shape"))
            .values("shape")
        )
        around_shape = Subquery(around, output_field=GeometryField(srid=4326))
        cut = sequences.filter(meets).exclude(in_one_piece).order_by()
        return [
            whole.annotate(value=Sum("distance_m")),
            cut.values(user_id=F("owner_id")).annotate(
                value=Coalesce(
                    Sum(Length(Intersection("geometry", around_shape))),
                    Value(0.0),
                    output_field=FloatField(),
                )
            ),
        ]
    # Photos (or sequences with photos) inside the area within the window. A sequence whose
    # whole route lies inside one piece and whose whole capture lies within counts all its
    # photos (every photo is a corner of the route): its total is read, not its photos. Only
    # the photos of the other sequences meeting the area are looked at one by one.
    wholly_inside = Q(in_one_piece)
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
    # One photo, no route: its box is its point.
    crossing = sequences.filter(meets | Q(Exists(near), geometry__isnull=True)).exclude(
        wholly_inside
    )
    images = _window(
        Image.objects.filter(sequence__in=crossing.values("pk")), "captured_at", criteria
    )
    point: OuterRef | Func = OuterRef("point")
    if connections[images.db].vendor == "postgresql":
        # Matched to the photos' own spatial index, the test made the planner read every
        # photo of the area for each route crossing its edge (it takes an area to hold far
        # fewer photos than it can): 218 ms against 40 ms (bench/leaderboard). ST_Force2D,
        # which changes nothing of a 2D point, keeps the test off that index.
        point = Func(point, function="ST_Force2D", output_field=GeometryField(srid=4326))
    # A photo is tested against the pieces near its route (found by the route's box, through
    # the pieces' index) whose box holds it: comparisons of columns, and a test of the point
    # against the shape of the one or two pieces left that are not their box.
    x = Func(OuterRef("point"), function="ST_X", output_field=FloatField())
    y = Func(OuterRef("point"), function="ST_Y", output_field=FloatField())
    on_piece = pieces.filter(
        Q(is_box=True) | Q(shape__intersects=point),
        west__lte=OuterRef("sequence__bbox_east"),
        east__gte=OuterRef("sequence__bbox_west"),
        south__lte=OuterRef("sequence__bbox_north"),
        north__gte=OuterRef("sequence__bbox_south"),
    ).filter(west__lte=x, east__gte=x, south__lte=y, north__gte=y)
    images = images.filter(Exists(on_piece))
    value = Count("id") if criteria.metric == "images" else Count("sequence_id", distinct=True)
    edge = images.order_by().values(user_id=F("sequence__owner_id")).annotate(value=value)
    return [inside, edge]


def liked_photos(criteria: Criteria) -> QuerySet:
    """The photos someone likes, of published sequences, captured within the window and inside
    the box (``bbox``), with the ways of travel and cameras asked for; unordered. Read from the
    index of liked photos (``image_likes``): a small part of all photos."""
    if criteria.in_area:
        raise ValueError("likes are counted everywhere or in a box, not in a challenge's area")
    images = _sequence_filters(Image.objects.filter(like_count__gt=0), criteria, "sequence__")
    images = _window(images, "captured_at", criteria)
    if criteria.bbox is not None:
        west, south, east, north = criteria.bbox
        # A box across 180° (west > east) is two boxes, one each side.
        boxes = (
            [(west, south, east, north)]
            if west <= east
            else [
                (west, south, 180.0, north),
                (-180.0, south, east, north),
            ]
        )
        inside = Q()
        for box in boxes:
            polygon = Polygon.from_bbox(box)
            polygon.srid = 4326
            inside |= Q(point__within=polygon)
        images = images.filter(inside)
    return images.order_by()


@dataclass(frozen=True)
class LikedPhoto:
    """One photo's place among the most liked."""

    rank: int
    seen: int  # photos before it and itself: where the next page's ranks go on from
    image_id: int
    key: str
    like_count: int
    sequence_unique_id: Any
    sequence_name: str
    transport_type: str
    user: Any

    @property
    def thumb(self) -> str:
        """The photo's small link (256 px), for pages."""
        return photo_url(self.key, "256")

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "key": self.key,
            "like_count": self.like_count,
            **photo_urls(self.key),
            "sequence": {
                "unique_id": str(self.sequence_unique_id),
                "name": self.sequence_name,
                "transport_type": self.transport_type,
                "url": f"{object_url('web:sequence', self.sequence_unique_id)}?photo={self.key}",
            },
            "user": {
                "username": self.user.username,
                "name": self.user.public_name,
                "profile_url": profile_url(self.user),
            },
        }


def encode_photo_cursor(photo: LikedPhoto) -> str:
    """Where the next page of liked photos starts, as an opaque text."""
    payload = json.dumps(
        ["photo", photo.like_count, photo.image_id, photo.rank, photo.seen], separators=(",", ":")
    )
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_photo_cursor(cursor: str) -> tuple[int, int, int, int]:
    """The (like count, photo id, rank, seen) ``encode_photo_cursor`` wrote; ValueError else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, *numbers = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if name != "photo" or len(numbers) != 4:
            raise ValueError("another list")
        for number in numbers:
            if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number < 2**63:
                raise ValueError("not a number")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValueError("not a cursor of this list") from None
    like_count, image_id, rank, seen = numbers
    return like_count, image_id, rank, seen


def most_liked_photos(
    criteria: Criteria, *, limit: int, after: tuple[int, int, int, int] | None = None
) -> list[LikedPhoto]:
    """Up to ``limit`` photos, most liked first (then newest id first), after ``after`` (a
    ``decode_photo_cursor``). Photos with as many likes share a rank (1, 1, 3): a page goes on
    counting from where the one before stopped, so no page counts the photos before it."""
    photos = liked_photos(criteria)
    rank, seen, last_count = 0, 0, None
    if after is not None:
        like_count, image_id, rank, seen = after
        last_count = like_count
        photos = photos.filter(
            Q(like_count__lt=like_count) | Q(like_count=like_count, id__lt=image_id)
        )
    rows = list(
        photos.order_by("-like_count", "-id").values_list(
            "id",
            "key",
            "like_count",
            "sequence__unique_id",
            "sequence__name",
            "sequence__transport_type__name",
            "sequence__owner_id",
        )[:limit]
    )
    users = get_user_model().objects.in_bulk({row[6] for row in rows})
    found = []
    for image_id, key, like_count, sequence_id, name, transport, owner_id in rows:
        seen += 1
        if like_count != last_count:
            rank, last_count = seen, like_count
        found.append(
            LikedPhoto(
                rank, seen, image_id, key, like_count, sequence_id, name, transport, users[owner_id]
            )
        )
    return found


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
    if connection.vendor != "postgresql":
        # A read, so no transaction of its own: SQLite's are IMMEDIATE here, and one would
        # hold the database's write lock while the query runs (every like, every rate-limit
        # count waited for it). The statement alone reads one snapshot.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    # A PostgreSQL transaction takes no lock that keeps a writer waiting; it is needed for
    # SET LOCAL. An area holding 100,000 photos looks costly to the planner, which then
    # compiles the query (JIT) for longer than it takes to run, and splits it among parallel
    # workers that each redo the search for the routes crossing the area's edge: measured
    # (bench/leaderboard), each doubled the time.
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(sql, params)
        return cursor.fetchall()


def _standings(rows: list[tuple], metric: str) -> list[Standing]:
    users = get_user_model().objects.in_bulk([row[0] for row in rows])
    kind = float if metric == "distance" else int
    # A kept ranking may name someone deleted a moment ago, in another process.
    return [
        Standing(rank=place, user=users[user_id], value=kind(value))
        for user_id, value, place in rows
        if user_id in users
    ]


# Rankings kept -----------------------------------------------------------------------------

GENERATION_KEY = "leaderboards-generation"
# Seconds between two reads of the generation by a process.
GENERATION_CHECK = 1.0
# Seconds a kept ranking is used at most.
KEPT_MAX_AGE = 60.0
# Rows (one a person) kept by a process at most, all rankings together: a few megabytes.
KEPT_MAX_ROWS = 200_000
# A ranking counted by one process is left in the shared cache for the others, under these.
SHARED_KEY = "leaderboards-ranking"
COUNTING_KEY = "leaderboards-counting"
# Seconds a process waits at most for another to count a ranking (then counts it itself), and
# that a claim to count one lasts if its process dies while counting.
COUNT_WAIT = 30.0
# Seconds between two looks at the shared cache while another process counts.
COUNT_POLL = 0.05


class KeptRankings:
    """Whole rankings by their criteria, least recently used first out, bounded in rows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rankings: OrderedDict[str, tuple[float, list[tuple]]] = OrderedDict()
        self._rows = 0
        self._generation = ""
        self._checked_at = float("-inf")
        # The generation in which this process changed data: the shared cache may hold
        # rankings of that generation counted before the change, which it must not take.
        self._changed_in: str | None = None
        # Per ranking being counted in this process: its lock and how many threads hold or
        # wait for it.
        self._counting: dict[str, tuple[threading.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._rankings)

    def generation(self) -> str:
        """The data's current generation, read from the shared cache when due."""
        now = time.monotonic()
        if now - self._checked_at < GENERATION_CHECK:
            return self._generation
        cache = caches["default"]
        current = cache.get(GENERATION_KEY)
        if current is None:
            cache.add(GENERATION_KEY, secrets.token_hex(8), timeout=None)
            current = cache.get(GENERATION_KEY, "")
        with self._lock:
            if current != self._generation:
                self._clear()
                self._generation = current
            self._checked_at = now
        return current

    def get(self, key: str) -> list[tuple] | None:
        with self._lock:
            entry = self._rankings.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry[0] > KEPT_MAX_AGE:
                self._drop(key)
                return None
            self._rankings.move_to_end(key)
            return entry[1]

    def put(self, key: str, rows: list[tuple], generation: str, age: float = 0.0) -> None:
        """Keep ``rows``, counted ``age`` seconds ago from the data of ``generation``, unless
        that has passed."""
        if len(rows) > KEPT_MAX_ROWS // 4:
            return
        with self._lock:
            if generation != self._generation:
                return
            if key in self._rankings:
                self._drop(key)
            self._rankings[key] = (time.monotonic() - age, rows)
            self._rows += len(rows)
            while self._rows > KEPT_MAX_ROWS:
                self._drop(next(iter(self._rankings)))

    def forget(self) -> None:
        """Drop every ranking, and read the generation again on the next request."""
        with self._lock:
            self._clear()
            self._checked_at = float("-inf")
            self._changed_in = self._generation

    def shares(self, generation: str) -> bool:
        """Whether rankings of ``generation`` in the shared cache may be taken."""
        return generation != self._changed_in

    @contextmanager
    def counting(self, key: str) -> Iterator[None]:
        """One thread of this process at a time counts the ranking of ``key``: the others
        wait for it here, then find it kept."""
        with self._lock:
            lock, holders = self._counting.get(key, (threading.Lock(), 0))
            self._counting[key] = (lock, holders + 1)
        try:
            with lock:
                yield
        finally:
            with self._lock:
                lock, holders = self._counting[key]
                if holders == 1:
                    del self._counting[key]
                else:
                    self._counting[key] = (lock, holders - 1)

    def _drop(self, key: str) -> None:
        _, rows = self._rankings.pop(key)
        self._rows -= len(rows)

    def _clear(self) -> None:
        self._rankings.clear()
        self._rows = 0


kept = KeptRankings()


def _criteria_key(criteria: Criteria) -> str:
    parts = [
        criteria.metric,
        sorted(criteria.transport_type_ids) if criteria.transport_type_ids is not None else None,
        sorted(criteria.camera_make_ids) if criteria.camera_make_ids is not None else None,
        criteria.captured_from.isoformat() if criteria.captured_from else None,
        criteria.captured_until.isoformat() if criteria.captured_until else None,
        criteria.bbox,
        criteria.area_box,
        criteria.area_digest,
        str(criteria.area_pieces.query) if criteria.area_pieces is not None else None,
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _count(criteria: Criteria) -> list[tuple]:
    """Every (user_id, value, rank) of the leaderboard in order, counted now."""
    query = _ranked_sql(criteria)
    if query is None:
        return []
    ranked, params = query
    sql = f"SELECT user_id, value, place FROM ({ranked}) AS ranked ORDER BY place, user_id"  # noqa: S608
    return [tuple(row) for row in _run(sql, params)]


def _ranking(criteria: Criteria) -> list[tuple]:
    """Every (user_id, value, rank) of an area's leaderboard in order, kept or counted.

    Counted once however many ask at once: in a process, one thread counts while the others
    wait for it (``KeptRankings.counting``); across processes, the first to claim the ranking
    in the shared cache counts it and leaves it there, and the others wait for it
    (``_counted_once``).
    """
    try:
        generation = kept.generation()
    except Exception:  # noqa: BLE001
        # The shared cache does not answer: count every time meanwhile.
        logger.exception("leaderboards: the generation is unavailable; not keeping rankings")
        return _count(criteria)
    key = _criteria_key(criteria)
    rows = kept.get(key)
    if rows is not None:
        return rows
    with kept.counting(key):
        # Another thread may have counted it while this one waited.
        rows = kept.get(key)
        if rows is None:
            rows, age = _counted_once(criteria, key, generation)
            kept.put(key, rows, generation, age)
    return rows


def _cache_takes_write_lock(cache) -> bool:
    """Whether a write to ``cache`` takes SQLite's write lock: the cache is a table of the
    SQLite database (the default without Redis). A read must not take it (every like would
    wait), so rankings are not shared between processes through it: each process counts
    its own, once."""
    if not isinstance(cache, DatabaseCache):
        return False
    alias = router.db_for_write(cache.cache_model_class)
    return connections[alias].vendor == "sqlite"


def _counted_once(criteria: Criteria, key: str, generation: str) -> tuple[list[tuple], float]:
    """The ranking as another process counted it for ``generation`` (waiting for it while
    another counts it), or counted here and left in the shared cache for the others; and how
    many seconds ago it was counted (a ranking is kept KEPT_MAX_AGE from its counting)."""
    cache = caches["default"]
    if not kept.shares(generation) or _cache_takes_write_lock(cache):
        return _count(criteria), 0.0
    shared = f"{SHARED_KEY}:{generation}:{key}"
    claim = f"{COUNTING_KEY}:{generation}:{key}"
    deadline = time.monotonic() + COUNT_WAIT
    claimed = False
    try:
        while not claimed and time.monotonic() < deadline:
            found = cache.get(shared)
            if found is not None:
                age = max(0.0, time.time() - found["counted_at"])
                if age < KEPT_MAX_AGE:
                    return found["rows"], age
            claimed = cache.add(claim, 1, timeout=COUNT_WAIT)
            if not claimed:
                time.sleep(COUNT_POLL)
    except Exception:  # noqa: BLE001
        logger.exception("leaderboards: the shared cache does not answer; counting here")
    if not claimed:
        # The one counting took too long, or the cache does not answer: count here too.
        return _count(criteria), 0.0
    try:
        rows = _count(criteria)
        if len(rows) <= KEPT_MAX_ROWS // 4:
            try:
                found = {"counted_at": time.time(), "rows": rows}
                cache.set(shared, found, timeout=KEPT_MAX_AGE)
            except Exception:  # noqa: BLE001
                logger.exception("leaderboards: could not share a ranking; others count it")
        return rows, 0.0
    finally:
        try:
            cache.delete(claim)
        except Exception:  # noqa: BLE001
            logger.exception("leaderboards: could not drop a claim; it expires")


def data_changed() -> None:
    """Rankings may differ from now on: forget this process's at once, every process's on
    commit."""
    kept.forget()
    transaction.on_commit(_new_generation)


def _new_generation() -> None:
    kept.forget()
    try:
        caches["default"].set(GENERATION_KEY, secrets.token_hex(8), timeout=None)
    except Exception:  # noqa: BLE001
        logger.exception("leaderboards: could not tell other processes; theirs age out")


def sequence_saved(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    if instance.status == instance.Status.PUBLISHED:
        data_changed()
    elif not created and (update_fields is None or "status" in update_fields):
        # It may have been published until now.
        data_changed()


def sequence_deleted(sender, instance, **kwargs) -> None:
    if instance.status == instance.Status.PUBLISHED:
        data_changed()


# Reading -------------------------------------------------------------------------------------


def standings(
    criteria: Criteria, *, limit: int, after: tuple[int, int] | None = None
) -> list[Standing]:
    """Up to ``limit`` places in order (rank, then user id), after ``after`` = (rank, user id)."""
    if criteria.in_area:
        rows = _ranking(criteria)
        if after is not None:
            rows = [row for row in rows if (row[2], row[0]) > after]
        return _standings(rows[:limit], criteria.metric)
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
    if criteria.in_area:
        rows = [row for row in _ranking(criteria) if row[0] == user.pk]
    else:
        query = _ranked_sql(criteria)
        if query is None:
            return None
        ranked, params = query
        sql = f"SELECT user_id, value, place FROM ({ranked}) AS ranked WHERE user_id = %s"  # noqa: S608
        rows = _run(sql, [*params, user.pk])
    found = _standings(rows, criteria.metric)
    return found[0] if found else None


def photo_count(criteria: Criteria) -> int:
    """How many published photos count under ``criteria`` (its area and window, if any)."""
    criteria = replace(criteria, metric="images")
    if criteria.in_area:
        return sum(int(value) for _, value, _ in _ranking(criteria))
    query = _totals_sql(criteria)
    if query is None:
        return 0
    sql, params = query
    rows = _run(f"SELECT COALESCE(SUM(value), 0) FROM ({sql}) AS totals", params)  # noqa: S608
    return int(rows[0][0])
