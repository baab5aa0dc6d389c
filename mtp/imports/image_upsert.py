"""An import's writes of Image rows: an upsert by Mapillary key, in SQL written out for each
database (the ORM cost most of an import's CPU time), and the check that no key belongs to
another sequence. The import itself, which decides what to write and when, is importer.py.

A row is the Mapillary key, then the values of ``IMAGE_FIELDS`` in that order with the point as
two numbers (lon, lat). An imported photo's ``key`` is its Mapillary key: both columns are
written from it, and the upsert is on ``key``.
"""

from typing import cast

from django.db import connection
from django.db.models import Field, ForeignKey

from mtp.sequences.models import Image

# Image columns an import writes (all but the key it upserts on).
IMAGE_FIELDS = [
    "sequence",
    "position",
    "point",
    "captured_at",
    "compass_angle",
    "camera_make",
    "camera_model",
    "is_pano",
    "width",
    "height",
    "altitude",
    "thumb_256_url",
    "thumb_1024_url",
    "thumb_2048_url",
    "thumb_original_url",
]

# Parameters per image row: the key, then IMAGE_FIELDS with the point as two numbers.
ROW_PARAMETERS = len(IMAGE_FIELDS) + 2


def _field(name: str) -> Field:
    return cast(Field, Image._meta.get_field(name))


def _column(name: str) -> str:
    """The database column of the Image field ``name``."""
    return cast(str, _field(name).column)


def _insert_sql(count: int) -> str:
    """An INSERT of ``count`` images ... ON CONFLICT (mapillary_key) DO UPDATE, for this database.

    Written out rather than ``bulk_create(update_conflicts=True)``: building a GEOS point
    and compiling every field of every row cost the ORM about 150 microseconds per image,
    most of an import's CPU time. Both SQLite and PostgreSQL take this statement; only
    the point constructor differs.
    """
    quote = connection.ops.quote_name
    columns = [_column(name) for name in IMAGE_FIELDS]
    values = ["%s"] * (len(IMAGE_FIELDS) + 2)
    point = IMAGE_FIELDS.index("point")
    values[point + 2] = (
        "MakePoint(%s, %s, 4326)"
        if connection.vendor == "sqlite"
        else "ST_SetSRID(ST_MakePoint(%s, %s), 4326)"
    )
    row = f"({', '.join(values)})"
    key = quote(_column("key"))
    names = ", ".join([key, quote(_column("mapillary_key")), *map(quote, columns)])
    updates = ", ".join(f"{quote(column)} = excluded.{quote(column)}" for column in columns)
    # Only quoted model names go into the statement; every value is a parameter.
    return (
        f"INSERT INTO {quote(Image._meta.db_table)} ({names}) "  # noqa: S608
        f"VALUES {', '.join([row] * count)} ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


def _copy_sql() -> tuple[str, str]:
    """PostgreSQL: a temporary table for one write's rows, and the upsert from it."""
    quote = connection.ops.quote_name
    key = _field("mapillary_key")
    columns = [(quote(_column("mapillary_key")), key.db_type(connection))]
    selected = [quote(_column("mapillary_key")), quote(_column("mapillary_key"))]
    for name in IMAGE_FIELDS:
        if name == "point":
            columns += [("lon", "double precision"), ("lat", "double precision")]
            selected.append("ST_SetSRID(ST_MakePoint(lon, lat), 4326)")
        else:
            field = _field(name)
            column_type = field.db_type(connection)
            if isinstance(field, ForeignKey):
                column_type = field.target_field.rel_db_type(connection)
            columns.append((quote(_column(name)), column_type))
            selected.append(quote(_column(name)))
    create = (
        "CREATE TEMPORARY TABLE mtp_import_rows ("
        + ", ".join(f"{name} {kind}" for name, kind in columns)
        + ") ON COMMIT DROP"
    )
    names = [
        quote(_column("key")),
        quote(_column("mapillary_key")),
        *(quote(_column(n)) for n in IMAGE_FIELDS),
    ]
    updates = ", ".join(f"{name} = excluded.{name}" for name in names[2:])
    upsert = (
        f"INSERT INTO {quote(Image._meta.db_table)} ({', '.join(names)}) "  # noqa: S608
        f"SELECT {', '.join(selected)} FROM mtp_import_rows "
        f"ON CONFLICT ({names[0]}) DO UPDATE SET {updates}"
    )
    return create, upsert


def upsert_images(cursor, rows: list[tuple]) -> None:
    """Upsert ``rows``: on PostgreSQL through COPY into a temporary table (the fastest way
    in, by more than half), elsewhere in as few statements as the parameter limit allows."""
    if connection.vendor == "postgresql":
        create, upsert = _copy_sql()
        cursor.execute(create)
        with cursor.cursor.copy("COPY mtp_import_rows FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(upsert)
        # Dropped now, not only at commit: the write may be a savepoint in a longer transaction.
        cursor.execute("DROP TABLE mtp_import_rows")
        return
    limit = connection.features.max_query_params
    per_statement = max(1, limit // (ROW_PARAMETERS + 1)) if limit else len(rows)
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        # The Mapillary key twice: as the photo's key and as its Mapillary key.
        parameters = [value for row in chunk for value in (row[0], *row)]
        cursor.execute(_insert_sql(len(chunk)), parameters)


def first_taken_key(cursor, keys: list[str], sequence_id: int) -> str | None:
    """The first of ``keys`` that is an image of another sequence than ``sequence_id``, if any."""
    if not keys:
        return None
    cursor.execute(_taken_sql(len(keys)), [*keys, sequence_id])
    taken = cursor.fetchone()
    return taken[0] if taken is not None else None


def _taken_sql(count: int) -> str:
    """A query for the first of ``count`` image keys that belongs to another sequence."""
    quote = connection.ops.quote_name
    key = quote(_column("key"))
    sequence = quote(_column("sequence"))
    placeholders = ", ".join(["%s"] * count)
    return (
        f"SELECT {key} FROM {quote(Image._meta.db_table)} "  # noqa: S608
        f"WHERE {key} IN ({placeholders}) AND {sequence} <> %s LIMIT 1"
    )
