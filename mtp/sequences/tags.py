"""Tags: reading what a person typed, and linking tags to sequences (and to tours and guidebooks).

``parse_tags`` is the one reading of tags, for the API and the website alike; the limits it
applies (``MAX_TAGS``, ``TAG_MAX_LENGTH``) are the models'. Linking writes SQL by hand because
creating a sequence with its tags is the API's busiest write (docs/PERFORMANCE.md).
"""

import threading
import time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, transaction
from django.db.models import QuerySet, signals
from django.db.models.sql import InsertQuery

from mtp.sequences.models import MAX_TAGS, TAG_PATTERN, TAG_RULE, Sequence, Tag


def parse_tags(value: str | list[str] | None) -> list[str]:
    """Tag names from a comma-separated string or a list: trimmed, lowercased, de-duplicated.

    Raises ValidationError naming each invalid tag and the reason.
    """
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


def insert_sequence(sequence: Sequence, tag_names: list[str]) -> None:
    """Save a new sequence with its tags (creating new tags), all or nothing.

    On PostgreSQL, when every tag is already known, the sequence and its tag links go in one
    statement: no transaction to open and commit, a third of the round trips. Creating a
    sequence is the API's busiest write.
    """
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


def _insert_with_tag_links(connection, sequence: Sequence, tag_ids: list[int]) -> None:
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


def tags_named(names: list[str]) -> QuerySet[Tag]:
    """The tags ``names``, creating those that do not exist yet (for a tour's or a guidebook's
    tags; a sequence's take ``set_sequence_tags``, which is one statement)."""
    if names:
        # Another request may create the same tag at the same moment: the conflict is ignored.
        Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    return Tag.objects.filter(name__in=names)


def set_sequence_tags(sequence_id: int, names: list[str], *, created: bool = False) -> None:
    """Make ``names`` the tags of the sequence, creating tags that do not exist yet.

    Call it inside a transaction. ``created`` says the sequence is new (it has no tags to
    remove). When every tag exists (the usual case) this is one statement.
    """
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
