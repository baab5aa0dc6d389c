"""Leaderboard benchmark on PostGIS: 1,000,000 photos from 10,000 people.

Usage (from the project root, with PostgreSQL + PostGIS at 127.0.0.1:5432):

    .venv/bin/python bench/leaderboard/run.py [--reuse] [--samples N]

It builds a database of its own (``mtp_bench_leaderboard``, dropped and made again unless
``--reuse`` finds it complete) with SQL alone: 10,000 people, 50,000 published sequences of 20
photos each (1,000,000 images), of random ways of travel, camera makes and capture times over
three years; 5,000 of those sequences (100,000 photos) lie inside a city-sized area (Zurich,
about 12 km by 11 km), the rest over Europe. Then, through the API in this process (Django's
test client: routing, authentication by client_id, the query, the JSON), it times:

- GET /api/v1/leaderboard for each metric with and without filters (target: p99 < 100 ms);
- GET /api/v1/challenges/<id>/leaderboard of a challenge over the city area, for each metric
  (target: p99 < 200 ms);
- how long after a new sequence is published its photos show in the ranks (target: < 60 s),
  publishing one through the importer's own code path (Sequence.set_route, Image rows).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DATABASE = "mtp_bench_leaderboard"
PG_ADMIN = os.environ.get("MTP_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PEOPLE = 10_000
SEQUENCES = 50_000
PHOTOS_PER_SEQUENCE = 20
IN_CITY = 5_000
# Zurich: west, south, east, north.
CITY = (8.45, 47.32, 8.61, 47.42)


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def configure(data_dir: Path) -> None:
    os.environ.update(
        {
            "DATABASE_URL": f"{PG_ADMIN}/{DATABASE}",
            "MTP_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "mtp.settings",
            "LOG_LEVEL": "ERROR",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "testserver",
            "MTP_API_RATE_TOKEN": "0",
            "MTP_API_RATE_ADDRESS": "0",
        }
    )
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

# Sequence g belongs to person 1 + g % people; the first IN_CITY lie in the city.
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
           'Sequence ' || g, '', (%(kinds)s)[1 + g %% cardinality(%(kinds)s)], 'bench',
           'published', '', '', captured, captured + interval '10 minutes', line,
           ST_XMin(line), ST_YMin(line), ST_XMax(line), ST_YMax(line),
           ST_Length(line::geography), %(photos)s, false,
           (%(makes)s)[1 + (g / 7) %% cardinality(%(makes)s)], 0, now(), now(), now(), 'seq-' || g
    FROM routes
"""

IMAGES_SQL = """
    INSERT INTO sequences_image
        (sequence_id, key, mapillary_key, position, point, captured_at, is_pano, camera_make_id,
         thumb_256_url, thumb_1024_url, thumb_2048_url, thumb_original_url)
    SELECT s.id, s.mapillary_sequence_key || '-' || d.path[1] - 1,
           s.mapillary_sequence_key || '-' || d.path[1] - 1, d.path[1] - 1, d.geom,
           s.captured_at_start + (d.path[1] - 1) * interval '2 seconds', false,
           s.camera_make_id, '', '', '', ''
    FROM sequences_sequence s, ST_DumpPoints(s.geometry) d
"""


def seed() -> None:
    from django.core.management import call_command
    from django.db import connection

    from mtp.sequences.models import CameraMake, TransportType

    psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    psql(f"CREATE DATABASE {DATABASE}")
    call_command("migrate", verbosity=0)
    makes = [
        CameraMake.objects.create(name=name).pk
        for name in ("GoPro", "Insta360", "Apple", "Samsung", "Garmin")
    ]
    kinds = list(TransportType.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    common = {
        "people": PEOPLE,
        "sequences": SEQUENCES,
        "in_city": IN_CITY,
        "photos": PHOTOS_PER_SEQUENCE,
        "west": CITY[0],
        "south": CITY[1],
        "east": CITY[2],
        "north": CITY[3],
        "kinds": kinds,
        "makes": makes,
    }
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(PEOPLE_SQL, common)
        cursor.execute(SEQUENCES_SQL, common)
        say(f"{SEQUENCES} sequences in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        cursor.execute(IMAGES_SQL)
        say(f"{SEQUENCES * PHOTOS_PER_SEQUENCE} images in {time.perf_counter() - started:.0f} s")
        cursor.execute("ANALYZE")


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


def timed(client, url: str, params: dict, samples: int) -> tuple[float, float, int]:
    """p50 and p99 in milliseconds of GET url, and how many results the first page had."""
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    count = len(response.json()["results"])
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(url, params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(times), percentile(times, 0.99), count


def publish_one(owner) -> int:
    """A sequence of 500 photos in the city, published the way an import leaves one."""
    from django.contrib.gis.geos import Point
    from django.db import transaction
    from django.utils import timezone

    from mtp.sequences.models import Image, Sequence, TransportType

    now = timezone.now()
    points = [(CITY[0] + 0.01 + index * 0.0001, CITY[1] + 0.01) for index in range(500)]
    times = [now - timedelta(minutes=5) + timedelta(seconds=index) for index in range(500)]
    with transaction.atomic():
        sequence = Sequence(
            owner=owner, name="Fresh", transport_type=TransportType.objects.get(name="Walk")
        )
        sequence.set_route(points, times)
        sequence.image_count = len(points)
        sequence.status = Sequence.Status.PUBLISHED
        sequence.published_at = now
        sequence.save()
        Image.objects.bulk_create(
            Image(
                sequence=sequence,
                key=f"fresh-{sequence.pk}-{index}",
                mapillary_key=f"fresh-{sequence.pk}-{index}",
                position=index,
                point=Point(*point, srid=4326),
                captured_at=times[index],
            )
            for index, point in enumerate(points)
        )
    return sequence.pk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--samples", type=int, default=100)
    options = parser.parse_args()
    configure(Path(tempfile.mkdtemp(prefix="mtp-bench-leaderboard-")))

    from django.test import Client
    from oauth2_provider.models import get_application_model

    from mtp.accounts.models import User
    from mtp.challenges.areas import parse_area
    from mtp.challenges.models import Challenge
    from mtp.sequences.leaderboard import standing_of
    from mtp.sequences.models import Image

    if not (options.reuse and complete()):
        seed()
    else:
        say("reusing the database")
    say(f"{Image.objects.count()} images, {User.objects.count()} people")
    application = get_application_model()
    host = User.objects.get(username="person1")
    app, _ = application.objects.get_or_create(
        name="Bench",
        defaults={
            "user": host,
            "client_type": application.CLIENT_PUBLIC,
            "authorization_grant_type": application.GRANT_IMPLICIT,
            "redirect_uris": "https://example.org/cb",
        },
    )
    client = Client()
    base = {"client_id": app.client_id}
    global_cases = [
        {"metric": "images"},
        {"metric": "distance"},
        {"metric": "sequences"},
        {"metric": "images", "period": "month"},
        {"metric": "images", "period": "year", "transport_type": "Earth"},
        {"metric": "distance", "transport_type": "Walk"},
        {"metric": "images", "camera_make": "gopro"},
        {"metric": "images", "bbox": "5,45,11,48"},
        {
            "metric": "sequences",
            "period": "week",
            "camera_make": "Insta360",
            "bbox": "-10,35,30,60",
        },
    ]
    worst = 0.0
    say("GET /api/v1/leaderboard (target: p99 < 100 ms)")
    for case in global_cases:
        p50, p99, count = timed(client, "/api/v1/leaderboard", {**base, **case}, options.samples)
        worst = max(worst, p99)
        label = "&".join(f"{key}={value}" for key, value in case.items())
        say(f"  {label:<70} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  ({count} on the page)")
    say(f"  worst p99: {worst:.1f} ms")

    west, south, east, north = CITY
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    challenge = Challenge(
        owner=host,
        name="Map Zurich",
        start=datetime(2000, 1, 1, tzinfo=UTC),
        end=datetime(2100, 1, 1, tzinfo=UTC),
    )
    challenge.set_area(parse_area({"type": "Polygon", "coordinates": [ring]}))
    challenge.save()
    inside = Image.objects.filter(point__intersects=challenge.area).count()
    say(f"GET /api/v1/challenges/<id>/leaderboard over {inside} photos (target: p99 < 200 ms)")
    url = f"/api/v1/challenges/{challenge.unique_id}/leaderboard"
    worst = 0.0
    for metric in ("images", "sequences", "distance"):
        p50, p99, count = timed(client, url, {**base, "metric": metric}, options.samples)
        worst = max(worst, p99)
        say(f"  metric={metric:<10} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  ({count} on the page)")
    say(f"  worst p99: {worst:.1f} ms")

    newcomer = User.objects.create_user(f"newcomer-{time.time_ns()}", "", None)
    criteria = challenge.criteria("images")
    assert standing_of(newcomer, criteria) is None
    started = time.perf_counter()
    publish_one(newcomer)
    published = time.perf_counter()
    standing = standing_of(newcomer, criteria)
    seen = time.perf_counter()
    assert standing is not None and standing.value == 500, standing
    say(
        f"a new import of 500 photos: published in {(published - started) * 1000:.0f} ms, "
        f"ranked {standing.rank} with 500 photos {(seen - published) * 1000:.0f} ms later "
        "(target: within 60 s)"
    )
    challenge.delete()
    newcomer.delete()


if __name__ == "__main__":
    main()
