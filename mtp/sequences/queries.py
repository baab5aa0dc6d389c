"""Queries on sequences, and look-ups in the tag and transport type vocabularies."""

import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.gis.geos import GeometryCollection, GEOSGeometry, LineString, Point, Polygon
from django.contrib.gis.measure import D
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, models, transaction
from django.db.models import Exists, OuterRef, Q, signals
from django.db.models.functions import Lower
from django.db.models.signals import post_delete, post_save
from django.db.models.sql import InsertQuery

from mtp.lib.geodesy import bbox_around

if TYPE_CHECKING:
    from mtp.sequences.models import TransportType

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


# Tags -----------------------------------------------------------------------------------------


def parse_tags(value: str | list[str] | None) -> list[str]:
    """Tag names from a comma-separated string or a list: trimmed, lowercased, de-duplicated.

    Raises ValidationError naming each invalid tag and the reason.
    """
    from mtp.sequences.models import MAX_TAGS, TAG_PATTERN, TAG_RULE

    if value is None:
        return []
    items: list[str] = []
    for part in [value] if isinstance(value, str) else value:
        if not isinstance(part, str):
            raise ValidationError("Tags must be strings.", code="invalid_tag")
        items.extend(part.split(","))
    names: list[str] = []
    invalid: list[str] = []
    for item in items:
        name = item.strip().lower()
        if not name:
            continue
        if not TAG_PATTERN.match(name):
            invalid.append(item.strip())
        elif name not in names:
            names.append(name)
    if invalid:
        listed = ", ".join(repr(name) for name in invalid)
        # No params: with them, Django formats the message with %, which the user's text
        # may contain.
        raise ValidationError(
            f"Invalid tag {listed}: {TAG_RULE}.",
            code="invalid_tag",
        )
    if len(names) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags per sequence.", code="too_many_tags")
    return names


def tag_names_by_sequence(sequence_ids: list[int]) -> dict[int, list[str]]:
    """The tag names of each sequence, alphabetically, in one query."""
    from mtp.sequences.models import Sequence

    names: dict[int, list[str]] = {sequence_id: [] for sequence_id in sequence_ids}
    if not sequence_ids:
        return names
    rows = (
        Sequence.tags.through.objects.filter(sequence_id__in=sequence_ids)
        .order_by("tag__name")
        .values_list("sequence_id", "tag__name")
    )
    for sequence_id, name in rows:
        names[sequence_id].append(name)
    return names


def insert_sequence(sequence, tag_names: list[str]) -> None:
    """Save a new sequence with its tags (creating new tags), all or nothing.

    On PostgreSQL, when every tag is already known, the sequence and its tag links go in one
    statement: no transaction to open and commit, a third of the round trips. Creating a
    sequence is the API's busiest write.
    """
    from mtp.sequences.models import Sequence

    using = sequence._state.db or Sequence.objects.db
    connection = connections[using]
    if not tag_names:
        sequence.save(force_insert=True, using=using)
        return
    tag_ids = _known_tag_ids(tag_names)
    # Only on its own: its foreign keys are checked when it commits, which is at once.
    alone = not connection.in_atomic_block
    if tag_ids is not None and alone and connection.vendor == "postgresql":
        try:
            _insert_with_tag_links(connection, sequence, tag_ids)
            return
        except IntegrityError:
            # A remembered tag has been deleted since: forget them all and take the long way.
            forget_tag_ids()
    with transaction.atomic(using=using):
        sequence.save(force_insert=True, using=using)
        set_sequence_tags(sequence.pk, tag_names, created=True)
    _remember_tag_ids(tag_names)


def _insert_with_tag_links(connection, sequence, tag_ids: list[int]) -> None:
    """INSERT the sequence and its links to ``tag_ids`` in one statement (PostgreSQL)."""
    model = type(sequence)
    meta = model._meta
    signals.pre_save.send(
        sender=model, instance=sequence, raw=False, using=connection.alias, update_fields=None
    )
    fields = [field for field in meta.local_concrete_fields if not field.primary_key]
    query = InsertQuery(model)
    query.insert_values(fields, [sequence])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [meta.pk]
    ((insert_sql, params),) = compiler.as_sql()
    quote = connection.ops.quote_name
    through = model.tags.through._meta
    values = ", ".join(["(%s)"] * len(tag_ids))
    sql = (
        f"WITH inserted AS ({insert_sql}) "  # noqa: S608 (identifiers are the models' own)
        f"INSERT INTO {quote(through.db_table)} "
        f"({quote(through.get_field('sequence').column)}, {quote(through.get_field('tag').column)})"
        f" SELECT inserted.{quote(meta.pk.column)}, tags.id FROM inserted, (VALUES {values})"
        f" AS tags (id) RETURNING {quote(through.get_field('sequence').column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *tag_ids])
        sequence.pk = cursor.fetchone()[0]
    sequence._state.adding = False
    sequence._state.db = connection.alias
    signals.post_save.send(
        sender=model,
        instance=sequence,
        created=True,
        update_fields=None,
        raw=False,
        using=connection.alias,
    )


# Tag ids by name, for the one-statement insert. Tags are only ever added by the API; the admin
# may delete or rename one, so the copy is short-lived and a failed insert forgets it.
TAG_IDS_TTL = 60.0
TAG_IDS_MAX = 10_000
_tag_ids_lock = threading.Lock()
_tag_ids: dict[str, int] = {}
_tag_ids_since = 0.0


def _known_tag_ids(names: list[str]) -> list[int] | None:
    """The ids of the tags ``names`` when all are remembered, else None."""
    global _tag_ids_since
    if time.monotonic() - _tag_ids_since > TAG_IDS_TTL:
        forget_tag_ids()
        return None
    ids = [_tag_ids.get(name) for name in names]
    return None if None in ids else ids  # type: ignore[return-value]


def _remember_tag_ids(names: list[str]) -> None:
    from mtp.sequences.models import Tag

    global _tag_ids_since
    found = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
    with _tag_ids_lock:
        if not _tag_ids:
            _tag_ids_since = time.monotonic()
        if len(_tag_ids) + len(found) > TAG_IDS_MAX:
            _tag_ids.clear()
            _tag_ids_since = time.monotonic()
        _tag_ids.update(found)


def forget_tag_ids() -> None:
    with _tag_ids_lock:
        _tag_ids.clear()


def set_sequence_tags(sequence_id: int, names: list[str], *, created: bool = False) -> None:
    """Make ``names`` the tags of the sequence, creating tags that do not exist yet.

    Call it inside a transaction. ``created`` says the sequence is new (it has no tags to
    remove). When every tag exists (the usual case) this is one statement.
    """
    from mtp.sequences.models import Sequence, Tag

    through = Sequence.tags.through
    if not created:
        through.objects.filter(sequence_id=sequence_id).delete()
    if not names:
        return
    if _link_existing_tags(sequence_id, names) == len(names):
        return
    # Some tags are new. Another request may create the same tag at the same moment: ignore
    # the conflict, then link them all again.
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    through.objects.filter(sequence_id=sequence_id).delete()
    _link_existing_tags(sequence_id, names)


def _link_existing_tags(sequence_id: int, names: list[str]) -> int:
    """Link the sequence to those of the tags ``names`` that exist; return how many."""
    from mtp.sequences.models import Sequence, Tag

    connection = connections[Sequence.objects.db]
    quote = connection.ops.quote_name
    through = Sequence.tags.through._meta
    table, tags = quote(through.db_table), quote(Tag._meta.db_table)
    sequence_column = quote(through.get_field("sequence").column)
    tag_column = quote(through.get_field("tag").column)
    placeholders = ", ".join(["%s"] * len(names))
    # Only the tag names are values, and they are parameters.
    sql = (
        f"INSERT INTO {table} ({sequence_column}, {tag_column}) "  # noqa: S608
        f"SELECT %s, {quote('id')} FROM {tags} WHERE {quote('name')} IN ({placeholders})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [sequence_id, *names])
        return cursor.rowcount


# Transport types ------------------------------------------------------------------------------

# Transport types change only through the admin, so each process keeps them in memory: a create
# resolves "Walk" without a query. A change in this process clears the copy at once; other
# processes see it within TRANSPORT_TYPES_TTL seconds.
TRANSPORT_TYPES_TTL = 60.0
_transport_types_lock = threading.Lock()
_transport_types_cache: tuple[float, dict[str, "TransportType"]] | None = None


def transport_types_by_name() -> dict[str, "TransportType"]:
    """Every transport type keyed by its lowercased name, parents loaded."""
    global _transport_types_cache
    cached = _transport_types_cache
    now = time.monotonic()
    if cached is not None and now - cached[0] < TRANSPORT_TYPES_TTL:
        return cached[1]
    from mtp.sequences.models import TransportType

    types = list(TransportType.objects.select_related("parent"))
    by_name = {transport_type.name.lower(): transport_type for transport_type in types}
    with _transport_types_lock:
        _transport_types_cache = (now, by_name)
    return by_name


def clear_transport_types_cache(**kwargs) -> None:
    global _transport_types_cache
    with _transport_types_lock:
        _transport_types_cache = None


def find_transport_type(name: str, *, child_only: bool):
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
        message = f"Unknown transport type '{name}'. Valid names: {', '.join(valid)}."
    # No params: Django would format the message, which holds the user's text, with %.
    raise ValidationError(message, code="invalid_transport_type")


post_save.connect(clear_transport_types_cache, sender="sequences.TransportType")
post_delete.connect(clear_transport_types_cache, sender="sequences.TransportType")
