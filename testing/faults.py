"""Database faults for tests: a full SQLite database, a PostgreSQL database that goes away."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# SQLite's own default for max_page_count in the versions Debian ships.
SQLITE_DEFAULT_MAX_PAGES = 1073741823


@contextmanager
def sqlite_full(spare_pages: int = 0) -> Iterator[None]:
    """Make this thread's SQLite connection see a database that can grow only ``spare_pages``
    more pages, as on a full disk: writes past that fail with SQLITE_FULL ("database or disk
    is full"). Outside a transaction only (the database is vacuumed first, so that no free
    page is left to fill)."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM")
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages + spare_pages}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA max_page_count = {SQLITE_DEFAULT_MAX_PAGES}")


def postgres_gone(seconds: float) -> None:
    """Take the test's PostgreSQL database away from its clients for ``seconds``: cut their
    connections ("terminating connection due to administrator command", as in a restart) and
    refuse new ones, then let them in again. This thread's connection is cut too."""
    import psycopg

    database = connection.settings_dict
    name = connection.ops.quote_name(database["NAME"])
    # From the maintenance database: a database cannot refuse connections to itself.
    with psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"] or "postgres",
        password=database["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false")
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [database["NAME"]],
            )
            time.sleep(seconds)
        finally:
            admin.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true")
    connection.close()
