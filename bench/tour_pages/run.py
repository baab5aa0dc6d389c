"""Tour pages benchmark on PostGIS: the page, the GPX and the GeoJSON of a tour of 500 routes of
500 photos each (250,000 photos).

Usage (from the project root, with PostgreSQL + PostGIS at 127.0.0.1:5432):

    .venv/bin/python bench/tour_pages/run.py [--reuse] [--samples N]

It builds a database of its own (``mtp_bench_tour_pages``, dropped and made again unless
``--reuse`` finds it complete) with SQL alone: 50 people, 500 published sequences of 500 photos
each, and one published tour holding all 500 as its routes. Then, through Django's test client
in this process (routing, the queries, the template), it reports:

- the tour page: its size in bytes, and the server time p50 / p99 over ``--samples`` requests,
  opened at its first photo and at a photo deep in its 400th route (``?photo=``)
  (target: under 300 KB and 200 ms);
- the tour's GPX and GeoJSON (GET /api/v1/tours/<id> with Accept, as the page's links too):
  their size, the time to write them whole, and the most memory Python held at once while
  writing them (tracemalloc, measured in a run of its own; target: flat, not growing with the
  tour).

Run it on two checkouts to compare (the code it measures is the tree it sits in):
``git archive <commit> | tar -x -C /tmp/before`` and copy this file there.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DATABASE = "mtp_bench_tour_pages"
PG_ADMIN = os.environ.get("MTP_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PEOPLE = 50
ROUTES = 500
PHOTOS_PER_ROUTE = 500


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
            # The viewer is shown only where photos can be resolved; nothing is resolved here.
            "MAPILLARY_CLIENT_TOKEN": "MLY|1|bench",
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

# Route g: a walk of %(photos)s photos 5 m apart, heading east, side by side with the others.
SEQUENCES_SQL = """
    WITH routes AS (
        SELECT g, now() - g * interval '1 day' AS captured, ST_SetSRID(ST_MakeLine(ARRAY(
            SELECT ST_MakePoint(6.0 + i * 0.00006, 46.0 + g * 0.001 + sin(i / 20.0) * 0.0002)
            FROM generate_series(0, %(photos)s - 1) i)), 4326) AS line
        FROM generate_series(1, %(routes)s) g
    )
    INSERT INTO sequences_sequence
        (unique_id, owner_id, name, description, transport_type_id, source, status,
         google_street_view, strava, captured_at_start, captured_at_end, geometry,
         bbox_west, bbox_south, bbox_east, bbox_north, distance_m, image_count, is_pano,
         created_at, updated_at, published_at, mapillary_sequence_key, like_count)
    SELECT gen_random_uuid(), (SELECT min(id) FROM accounts_user) + g %% %(people)s,
           'Route ' || g, 'A route of the benchmark.', %(kind)s,
           'bench', 'published', '', '', captured, captured + interval '1 hour', line,
           ST_XMin(line), ST_YMin(line), ST_XMax(line), ST_YMax(line),
           ST_Length(line::geography), %(photos)s, false, now(), now(), now(), 'seq-' || g, 0
    FROM routes
"""

IMAGES_SQL = """
    INSERT INTO sequences_image
        (sequence_id, key, mapillary_key, position, point, captured_at, is_pano, compass_angle,
         altitude, thumb_256_url, thumb_1024_url, thumb_2048_url, thumb_original_url)
    SELECT s.id, s.mapillary_sequence_key || '-' || d.path[1] - 1,
           s.mapillary_sequence_key || '-' || d.path[1] - 1, d.path[1] - 1, d.geom,
           s.captured_at_start + (d.path[1] - 1) * interval '2 seconds', false, 90, 400,
           '', '', '', ''
    FROM sequences_sequence s, ST_DumpPoints(s.geometry) d
"""


def seed() -> None:
    from django.core.management import call_command
    from django.db import connection

    from mtp.accounts.models import User
    from mtp.sequences.models import Sequence, TransportType
    from mtp.tours.models import Tour, set_tour_sequences

    psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    psql(f"CREATE DATABASE {DATABASE}")
    call_command("migrate", verbosity=0)
    kind = TransportType.objects.filter(parent__isnull=False).values_list("pk", flat=True)[0]
    common = {"people": PEOPLE, "routes": ROUTES, "photos": PHOTOS_PER_ROUTE, "kind": kind}
    with connection.cursor() as cursor:
        for label, sql in (
            ("people", PEOPLE_SQL),
            ("sequences", SEQUENCES_SQL),
            ("images", IMAGES_SQL),
        ):
            started = time.perf_counter()
            cursor.execute(sql, common)
            say(f"{label} in {time.perf_counter() - started:.0f} s")
    tour = Tour.objects.create(
        owner=User.objects.get(username="person1"), name="Every route", description="Benchmark."
    )
    set_tour_sequences(tour, list(Sequence.objects.order_by("id").values_list("pk", flat=True)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def complete() -> bool:
    from django.db.utils import DatabaseError

    from mtp.tours.models import Tour

    try:
        tour = Tour.objects.filter(name="Every route").first()
    except DatabaseError:
        return False
    return tour is not None and tour.image_count == ROUTES * PHOTOS_PER_ROUTE


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def page_times(client, url: str, samples: int) -> tuple[int, float, float]:
    """Size in bytes, and p50 / p99 in milliseconds, of GET url."""
    size = len(body(client.get(url)))
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(url)
        assert response.status_code == 200
        body(response)
        times.append((time.perf_counter() - started) * 1000)
    return size, statistics.median(times), percentile(times, 0.99)


def export(client, url: str, accept: str, rounds: int) -> tuple[int, float, float]:
    """Size in bytes, median time in ms to read it whole, and the peak of Python's memory (MB)
    while answering it once (tracemalloc, in a request of its own: it slows what it watches)."""
    times = []
    size = 0
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(url, HTTP_ACCEPT=accept)
        assert response.status_code == 200
        size = 0
        # Read as a server sends it: a part at a time, none of them kept.
        for part in response.streaming_content if response.streaming else [response.content]:
            size += len(part)
        times.append((time.perf_counter() - started) * 1000)
    tracemalloc.start()
    response = client.get(url, HTTP_ACCEPT=accept)
    for _part in response.streaming_content if response.streaming else [response.content]:
        pass
    del response, _part
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return size, statistics.median(times), peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed-only", action="store_true", help="build the database, then stop")
    parser.add_argument("--page-only", action="store_true", help="the page, not the exports")
    options = parser.parse_args()
    configure(Path(tempfile.mkdtemp(prefix="mtp-bench-tour-pages-")))

    from django.core.management import call_command
    from django.test import Client
    from oauth2_provider.models import get_application_model

    import mtp
    from mtp.accounts.models import User
    from mtp.sequences.models import Image
    from mtp.tours.models import Tour

    if not (options.reuse and complete()):
        seed()
    else:
        say("reusing the database")
    if options.seed_only:
        return
    # The pages name their scripts by the manifest's hashed names.
    call_command("collectstatic", interactive=False, verbosity=0)
    tour = Tour.objects.get(name="Every route")
    say(f"tour of {tour.sequence_count} routes, {tour.image_count} photos")
    say(f"the code measured: {Path(mtp.__file__).parent}")
    client = Client()
    url = tour.get_absolute_url()
    deep = (
        Image.objects.filter(sequence__tour_entries__tour=tour)
        .filter(sequence__tour_entries__position=399)
        .order_by("position")
        .values_list("key", flat=True)[250]
    )
    say(f"the tour page, {options.samples} requests each (target: < 300 KB, < 200 ms)")
    for label, address in (("first photo", url), ("route 400, photo 251", f"{url}?photo={deep}")):
        size, p50, p99 = page_times(client, address, options.samples)
        say(f"  {label:<22} {size / 1000:8.1f} KB  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
    if options.page_only:
        return
    application = get_application_model()
    app, _ = application.objects.get_or_create(
        name="Bench",
        defaults={
            "user": User.objects.get(username="person1"),
            "client_type": application.CLIENT_PUBLIC,
            "authorization_grant_type": application.GRANT_IMPLICIT,
            "redirect_uris": "https://example.org/cb",
        },
    )
    api_url = f"/api/v1/tours/{tour.unique_id}?client_id={app.client_id}"
    say(f"the tour's exports, {options.rounds} requests each, then one under tracemalloc")
    for kind, accept in (("gpx", "application/gpx+xml"), ("geojson", "application/geo+json")):
        size, median, peak = export(client, api_url, accept, options.rounds)
        say(
            f"  {kind:<8} {size / 1e6:6.1f} MB  {median:7.0f} ms  peak Python memory {peak:6.1f} MB"
        )


if __name__ == "__main__":
    main()
