"""STAC photo search benchmark: GET /api/search with a bbox over 1,000,000 photos.

Usage (from the project root):

    .venv/bin/python bench/stac/run.py [--database postgis|spatialite] [--reuse] [--samples N]

PostGIS (the default, at 127.0.0.1:5432, or MTP_BENCH_PG) gets a database of its own,
``mtp_bench_stac``, made with SQL alone (dropped and made again unless ``--reuse`` finds it
complete); SpatiaLite a file in /tmp (``--reuse`` keeps it too). Either holds 10,000 people and
50,000 sequences of 20 photos each (1,000,000 photos) captured over three years: 5,000 of the
sequences (100,000 photos) in a city-sized area (Zurich, about 12 km by 11 km), the rest over
Europe; one sequence in twenty is a draft, whose photos no search may return. Then, through
Django's test client in this process (routing, the rate limit, the query, the JSON), it times
GET /api/search for boxes from a street to a continent, with and without a time interval, a
page deep in a box (followed by ``next`` links), and a collection's items.

Target: p99 under 50 ms for every search.
"""

import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DATABASE = "mtp_bench_stac"
PG_ADMIN = os.environ.get("MTP_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SPATIALITE_DIR = Path(tempfile.gettempdir()) / "mtp-bench-stac"
PEOPLE = 10_000
SEQUENCES = 50_000
PHOTOS_PER_SEQUENCE = 20
IN_CITY = 5_000
# Zurich: west, south, east, north.
CITY = (8.45, 47.32, 8.61, 47.42)
TARGET_MS = 50.0


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def configure(database: str, data_dir: Path) -> None:
    settings = {
        "MTP_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "mtp.settings",
        "LOG_LEVEL": "ERROR",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver",
        "MTP_API_RATE_ADDRESS": "0",
    }
    if database == "postgis":
        settings["DATABASE_URL"] = f"{PG_ADMIN}/{DATABASE}"
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.update(settings)
    import django

    django.setup()


def psql(statement: str) -> None:
    command = ["psql", f"{PG_ADMIN}/postgres", "-q", "-c", statement]
    subprocess.run(command, check=True)  # noqa: S603, S607 (our own fixed command)


PEOPLE_SQL = """
    INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email,
                               is_staff, is_active, date_joined, display_name, username_skeleton,
                               import_failure_emails)
    SELECT '!', false, 'person' || g, '', '', '', false, true, now(), 'Person ' || g,
           'person' || g, true
    FROM generate_series(1, %(people)s) g
"""

# Sequence g belongs to person 1 + g % people; the first IN_CITY lie in the city; every
# twentieth is a draft.
SEQUENCES_SQL = """
    WITH starts AS (
        SELECT g,
               CASE WHEN g <= %(in_city)s THEN %(west)s + random() * (%(east)s - %(west)s - 0.01)
                    ELSE -9 + random() * 35 END AS x,
               CASE WHEN g <= %(in_city)s THEN %(south)s + random() * (%(north)s - %(south)s)
                    ELSE 37 + random() * 20 END AS y,
               now() - random() * interval '1095 days' AS captured
        FROM generate_series(1, %(sequences)s) g
    ),
    routes AS (
        SELECT g, captured, ST_SetSRID(ST_MakeLine(ARRAY(
            SELECT ST_MakePoint(x + i * 0.0004, y + sin(i + g) * 0.0002)
            FROM generate_series(0, %(photos)s - 1) i)), 4326) AS line
        FROM starts
    )
    INSERT INTO sequences_sequence
        (unique_id, owner_id, name, description, transport_type_id, source, status,
         google_street_view, strava, captured_at_start, captured_at_end, geometry,
         bbox_west, bbox_south, bbox_east, bbox_north, distance_m, image_count, is_pano,
         camera_make_id, like_count, created_at, updated_at, published_at, mapillary_sequence_key)
    SELECT gen_random_uuid(), (SELECT min(id) FROM accounts_user) + g %% %(people)s,
           'Sequence ' || g, '', %(kind)s, 'bench',
           CASE WHEN g %% 20 = 0 THEN 'draft' ELSE 'published' END, '', '', captured,
           captured + (%(photos)s - 1) * interval '2 seconds', line,
           ST_XMin(line), ST_YMin(line), ST_XMax(line), ST_YMax(line),
           ST_Length(line::geography), %(photos)s, g %% 10 = 0, %(make)s, 0, now(), now(),
           CASE WHEN g %% 20 = 0 THEN NULL ELSE now() - g * interval '1 second' END, 'seq-' || g
    FROM routes
"""

IMAGES_SQL = """
    INSERT INTO sequences_image
        (sequence_id, key, mapillary_key, position, point, captured_at, compass_angle, is_pano,
         camera_make_id, thumb_256_url, thumb_1024_url, thumb_2048_url, thumb_original_url)
    SELECT s.id, s.mapillary_sequence_key || '-' || d.path[1] - 1,
           s.mapillary_sequence_key || '-' || d.path[1] - 1, d.path[1] - 1, d.geom,
           s.captured_at_start + (d.path[1] - 1) * interval '2 seconds', 90, s.is_pano,
           s.camera_make_id, '', '', '', ''
    FROM sequences_sequence s, ST_DumpPoints(s.geometry) d
"""


def seed_postgis(kind: int, make: int) -> None:
    from django.db import connection

    values = {
        "people": PEOPLE,
        "sequences": SEQUENCES,
        "in_city": IN_CITY,
        "photos": PHOTOS_PER_SEQUENCE,
        "west": CITY[0],
        "south": CITY[1],
        "east": CITY[2],
        "north": CITY[3],
        "kind": kind,
        "make": make,
    }
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(PEOPLE_SQL, values)
        cursor.execute(SEQUENCES_SQL, values)
        cursor.execute(IMAGES_SQL)
        say(f"seeded in {time.perf_counter() - started:.0f} s")
        cursor.execute("ANALYZE")


def seed_spatialite(kind: int, make: int) -> None:
    """The same rows as on PostGIS, made in Python and written with executemany."""
    from django.db import connection

    rng = random.Random(23)  # noqa: S311 (test data)
    now = time.time()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.executemany(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, "
            "last_name, email, is_staff, is_active, date_joined, display_name, "
            "username_skeleton, import_failure_emails) VALUES ('!', 0, %s, '', '', '', 0, 1, "
            "datetime('now'), %s, %s, 1)",
            [(f"person{g}", f"Person {g}", f"person{g}") for g in range(1, PEOPLE + 1)],
        )
        cursor.execute("SELECT min(id) FROM accounts_user")
        first_person = cursor.fetchone()[0]
        sequences = []
        images = []
        for g in range(1, SEQUENCES + 1):
            if g <= IN_CITY:
                x = CITY[0] + rng.random() * (CITY[2] - CITY[0] - 0.01)
                y = CITY[1] + rng.random() * (CITY[3] - CITY[1])
            else:
                x, y = -9 + rng.random() * 35, 37 + rng.random() * 20
            captured = now - rng.random() * 1095 * 86400
            points = [
                (x + i * 0.0004, y + 0.0002 * math.sin(i + g)) for i in range(PHOTOS_PER_SEQUENCE)
            ]
            line = "LINESTRING(" + ",".join(f"{px} {py}" for px, py in points) + ")"
            draft = g % 20 == 0
            sequences.append(
                (
                    f"{g:032x}",
                    first_person + g % PEOPLE,
                    f"Sequence {g}",
                    kind,
                    "draft" if draft else "published",
                    _iso(captured),
                    _iso(captured + 2 * (PHOTOS_PER_SEQUENCE - 1)),
                    line,
                    min(p[0] for p in points),
                    min(p[1] for p in points),
                    max(p[0] for p in points),
                    max(p[1] for p in points),
                    PHOTOS_PER_SEQUENCE,
                    g % 10 == 0,
                    make,
                    None if draft else _iso(now - g),
                    f"seq-{g}",
                )
            )
            images.append((g, points, captured))
        cursor.executemany(
            "INSERT INTO sequences_sequence (unique_id, owner_id, name, description, "
            "transport_type_id, source, status, google_street_view, strava, "
            "captured_at_start, captured_at_end, geometry, bbox_west, bbox_south, bbox_east, "
            "bbox_north, distance_m, image_count, is_pano, camera_make_id, like_count, "
            "created_at, updated_at, published_at, mapillary_sequence_key) VALUES "
            "(%s, %s, %s, '', %s, 'bench', %s, '', '', %s, %s, GeomFromText(%s, 4326), "
            "%s, %s, %s, %s, 100, %s, %s, %s, 0, datetime('now'), datetime('now'), %s, %s)",
            sequences,
        )
        cursor.execute("SELECT mapillary_sequence_key, id FROM sequences_sequence")
        ids = dict(cursor.fetchall())
        rows = []
        for g, points, captured in images:
            sequence_id = ids[f"seq-{g}"]
            for position, (px, py) in enumerate(points):
                rows.append(
                    (
                        sequence_id,
                        f"seq-{g}-{position}",
                        f"seq-{g}-{position}",
                        position,
                        px,
                        py,
                        _iso(captured + 2 * position),
                        g % 10 == 0,
                        make,
                    )
                )
        cursor.executemany(
            "INSERT INTO sequences_image (sequence_id, mapillary_key, key, position, point, "
            "captured_at, compass_angle, is_pano, camera_make_id, thumb_256_url, "
            "thumb_1024_url, thumb_2048_url, thumb_original_url, kept_copy) VALUES "
            "(%s, %s, %s, %s, MakePoint(%s, %s, 4326), %s, 90, %s, %s, '', '', '', '', '')",
            rows,
        )
        say(f"seeded in {time.perf_counter() - started:.0f} s")
        cursor.execute("ANALYZE")


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))


def seed(database: str) -> None:
    from django.core.management import call_command

    from mtp.sequences.models import CameraMake, TransportType

    if database == "postgis":
        psql(f"DROP DATABASE IF EXISTS {DATABASE}")
        psql(f"CREATE DATABASE {DATABASE}")
    call_command("migrate", verbosity=0)
    make = CameraMake.objects.create(name="GoPro").pk
    kind = TransportType.objects.get(name="Walk").pk
    (seed_postgis if database == "postgis" else seed_spatialite)(kind, make)


def complete() -> bool:
    from django.db import connection
    from django.db.utils import DatabaseError

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sequences_image")
            return cursor.fetchone()[0] >= SEQUENCES * PHOTOS_PER_SEQUENCE
    except DatabaseError:
        return False


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed(client, url: str, samples: int) -> tuple[float, float, int]:
    """p50 and p99 in milliseconds of GET url, and how many photos its page held."""
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    count = len(response.json()["features"])
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(times), percentile(times, 0.99), count


def deep_page(client, url: str, pages: int) -> str:
    """The URL of page ``pages`` of a search, reached by its next links."""
    for _ in range(pages - 1):
        body = client.get(url).json()
        found = next(link["href"] for link in body["links"] if link["rel"] == "next")
        parts = urlsplit(found)
        url = f"{parts.path}?{parts.query}"
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("postgis", "spatialite"), default="postgis")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--samples", type=int, default=200)
    options = parser.parse_args()
    data_dir = (
        SPATIALITE_DIR
        if options.database == "spatialite"
        else Path(tempfile.mkdtemp(prefix="mtp-bench-stac-"))
    )
    if options.database == "spatialite" and not options.reuse:
        for name in ("mtp.sqlite3", "mtp.sqlite3-wal", "mtp.sqlite3-shm"):
            (data_dir / name).unlink(missing_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    configure(options.database, data_dir)

    from django.test import Client

    from mtp.sequences.models import Image, Sequence

    if not (options.reuse and complete()):
        seed(options.database)
    else:
        say("reusing the database")
    say(f"{options.database}: {Image.objects.count()} photos, {Sequence.objects.count()} sequences")
    client = Client()
    west, south, east, north = CITY
    street = f"{west + 0.05},{south + 0.05},{west + 0.053},{south + 0.052}"
    city = ",".join(str(edge) for edge in CITY)
    one = Sequence.objects.filter(status="published", bbox_west__gte=west, bbox_east__lte=east)
    one = one.order_by("id").values_list("unique_id", flat=True)[0]
    # (label, URL, judged): the target is for a page of the default size; larger pages and a
    # collection's items are shown beside.
    cases = [
        ("a street (300 m)", f"bbox={street}", True),
        ("the city, 100,000 photos", f"bbox={city}", True),
        (
            "the city in one month",
            f"bbox={city}&datetime=2025-06-01T00:00:00Z/2025-06-30T23:59:59Z",
            True,
        ),
        ("the city after a moment", f"bbox={city}&datetime=2026-11-01T00:00:00Z/..", True),
        ("Europe", "bbox=-10,35,30,60", True),
        ("the open sea (no photos)", "bbox=-40,40,-30,50", True),
        ("the world", "bbox=-180,-90,180,90", True),
        ("a country without the city", "bbox=0,40,5,45", True),
        ("one collection in the city", f"bbox={city}&collections={one}", True),
        ("the city, limit=100", f"bbox={city}&limit=100", False),
        ("the city, limit=1000", f"bbox={city}&limit=1000", False),
    ]
    say(
        f"GET /api/search over 1,000,000 photos, {options.samples} samples each "
        f"(target: p99 < {TARGET_MS:.0f} ms at the default limit, 10)"
    )
    worst = 0.0

    def report(label: str, url: str, judged: bool) -> None:
        nonlocal worst
        p50, p99, count = timed(client, url, options.samples)
        if judged:
            worst = max(worst, p99)
        say(f"  {label:<36} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  ({count} on the page)")

    for label, query, judged in cases:
        report(label, f"/api/search?{query}", judged)
    report(
        "the city, page 50 by next links", deep_page(client, f"/api/search?bbox={city}", 50), True
    )
    report("a collection's items (not judged)", f"/api/collections/{one}/items", False)
    say(f"  worst p99: {worst:.1f} ms ({'met' if worst < TARGET_MS else 'missed'})")


if __name__ == "__main__":
    main()
