"""Tours benchmark on PostGIS: reading a 20-route tour, and searching 100,000 tours.

Usage (from the project root, with PostgreSQL + PostGIS at 127.0.0.1:5432):

    .venv/bin/python bench/tours/run.py [--reuse] [--samples N] [--rounds N]

It builds a database of its own (``mtp_bench_tours``, dropped and made again unless
``--reuse`` finds it complete) with SQL alone: 5,000 people, 20,000 published sequences of 10
photos each over Europe, 100,000 tours (95% published) of 1 to 10 of those routes each (about
550,000 tour rows), with tags and likes, and one tour of exactly 20 routes. Then, through the
API in this process (Django's test client: routing, authentication by client_id, the queries,
the JSON), it reports:

- the number of queries of GET /api/v1/tours/<id> of the 20-route tour (fixed: a test counts
  them for 3 and 20 routes), and of GET /api/v1/sequence/<id>;
- the throughput of GET /api/v1/tours/<id> (20 routes) against GET /api/v1/sequence/<id> in the
  same run, in alternating rounds (target: at least 0.5 of the sequence's);
- GET /api/v1/tours with each filter and order (target: p99 < 50 ms).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DATABASE = "mtp_bench_tours"
PG_ADMIN = os.environ.get("MTP_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PEOPLE = 5_000
SEQUENCES = 20_000
PHOTOS_PER_SEQUENCE = 10
TOURS = 100_000
TAGS = ("alps", "lake", "city", "coast", "forest", "ridge", "river", "snow", "sunset", "old-town")
WORDS = ("lake", "ridge", "harbour", "valley", "forest", "castle", "bridge", "market", "summit")


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

SEQUENCES_SQL = """
    WITH starts AS (
        -- 20 sequences in a row share a place (a cell of a 40 x 25 grid over Europe).
        SELECT g, -9 + (g / 20 %% 40) * 0.875 + random() * 0.3 AS x,
               37 + (g / 800 %% 25) * 0.8 + random() * 0.3 AS y,
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
         created_at, updated_at, published_at, mapillary_sequence_key, like_count)
    SELECT gen_random_uuid(), (SELECT min(id) FROM accounts_user) + g %% %(people)s,
           'Sequence ' || g, 'A route of the benchmark.',
           (%(kinds)s)[1 + g %% cardinality(%(kinds)s)],
           'bench', 'published', '', '', captured, captured + interval '10 minutes', line,
           ST_XMin(line), ST_YMin(line), ST_XMax(line), ST_YMax(line),
           ST_Length(line::geography), %(photos)s, false, now(), now(), now(), 'seq-' || g,
           (random() * 50)::int
    FROM routes
"""

IMAGES_SQL = """
    INSERT INTO sequences_image
        (sequence_id, key, mapillary_key, position, point, captured_at, is_pano,
         thumb_256_url, thumb_1024_url, thumb_2048_url, thumb_original_url)
    SELECT s.id, s.mapillary_sequence_key || '-' || d.path[1] - 1,
           s.mapillary_sequence_key || '-' || d.path[1] - 1, d.path[1] - 1, d.geom,
           s.captured_at_start + (d.path[1] - 1) * interval '2 seconds', false, '', '', '', ''
    FROM sequences_sequence s, ST_DumpPoints(s.geometry) d
"""

# Tour g: owner 1 + g % people, 1 to 10 routes in a row from a random sequence (so mostly
# in one place, as a trip is), a name of two words, 5% drafts.
TOURS_SQL = """
    INSERT INTO tours_tour
        (unique_id, owner_id, name, description, status, sequence_count, image_count,
         distance_m, like_count, created_at, updated_at, published_at)
    SELECT gen_random_uuid(), (SELECT min(id) FROM accounts_user) + g %% %(people)s,
           initcap((%(words)s::text[])[1 + g %% cardinality(%(words)s::text[])]) || ' and '
             || (%(words)s::text[])[1 + (g / 9) %% cardinality(%(words)s::text[])] || ' ' || g,
           'A trip of the benchmark, number ' || g || '.',
           CASE WHEN g %% 20 = 0 THEN 'draft' ELSE 'published' END, 0, 0, 0,
           (random() * random() * 200)::int,
           now() - random() * interval '1000 days', now(),
           CASE WHEN g %% 20 = 0 THEN NULL ELSE now() - random() * interval '1000 days' END
    FROM generate_series(1, %(tours)s) g
"""

ENTRIES_SQL = """
    INSERT INTO tours_toursequence (tour_id, sequence_id, position)
    SELECT t.id, (SELECT min(id) FROM sequences_sequence)
                 + (t.id * 7919) %% (%(sequences)s - 10) + i, i
    FROM tours_tour t, generate_series(0, (t.id %% 10)) i
"""

TOTALS_SQL = """
    UPDATE tours_tour t SET sequence_count = x.n, image_count = x.images, distance_m = x.distance,
        bbox_west = x.w, bbox_south = x.s, bbox_east = x.e, bbox_north = x.n2
    FROM (SELECT e.tour_id, count(*) AS n, sum(s.image_count) AS images,
                 sum(s.distance_m) AS distance, min(s.bbox_west) AS w, min(s.bbox_south) AS s,
                 max(s.bbox_east) AS e, max(s.bbox_north) AS n2
          FROM tours_toursequence e JOIN sequences_sequence s ON s.id = e.sequence_id
          GROUP BY e.tour_id) x
    WHERE x.tour_id = t.id
"""

TAGS_SQL = """
    INSERT INTO tours_tour_tags (tour_id, tag_id)
    SELECT t.id, tag.id FROM tours_tour t JOIN sequences_tag tag
      ON tag.id = (SELECT min(id) FROM sequences_tag) + t.id %% %(tag_count)s
      OR tag.id = (SELECT min(id) FROM sequences_tag) + (t.id / 3) %% %(tag_count)s
    ON CONFLICT DO NOTHING
"""


def seed() -> None:
    from django.core.management import call_command
    from django.db import connection

    from mtp.sequences.models import Tag, TransportType

    psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    psql(f"CREATE DATABASE {DATABASE}")
    call_command("migrate", verbosity=0)
    for name in TAGS:
        Tag.objects.get_or_create(name=name)
    kinds = list(TransportType.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    common = {
        "people": PEOPLE,
        "sequences": SEQUENCES,
        "photos": PHOTOS_PER_SEQUENCE,
        "tours": TOURS,
        "kinds": kinds,
        "words": list(WORDS),
        "tag_count": len(TAGS),
    }
    with connection.cursor() as cursor:
        for label, sql in (
            ("people", PEOPLE_SQL),
            ("sequences", SEQUENCES_SQL),
            ("images", IMAGES_SQL),
            ("tours", TOURS_SQL),
            ("tour routes", ENTRIES_SQL),
            ("tour totals", TOTALS_SQL),
            ("tour tags", TAGS_SQL),
        ):
            started = time.perf_counter()
            cursor.execute(sql, common)
            say(f"{label} in {time.perf_counter() - started:.0f} s")
        cursor.execute("ANALYZE")


def complete() -> bool:
    from django.db import connection
    from django.db.utils import DatabaseError

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tours_tour_tags")
            return cursor.fetchone()[0] >= TOURS
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


def queries(client, url: str, params: dict) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert client.get(url, params).status_code == 200
    return len(context)


def per_second(client, url: str, params: dict, seconds: float) -> float:
    """Requests answered per second, one after another, for about ``seconds``."""
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        assert client.get(url, params).status_code == 200
        done += 1
    return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed-only", action="store_true", help="build the database, then stop")
    options = parser.parse_args()
    configure(Path(tempfile.mkdtemp(prefix="mtp-bench-tours-")))

    from django.db import transaction
    from django.test import Client
    from oauth2_provider.models import get_application_model

    from mtp.accounts.models import User
    from mtp.sequences.models import Sequence
    from mtp.sequences.tags import set_sequence_tags
    from mtp.tours.models import Tour, TourSequence, set_tour_sequences

    if not (options.reuse and complete()):
        seed()
    else:
        say("reusing the database")
    if options.seed_only:
        return
    say(
        f"{Tour.objects.count()} tours ({Tour.objects.published().count()} published), "
        f"{TourSequence.objects.count()} tour routes, {Sequence.objects.count()} sequences"
    )
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

    # The 20-route tour, and one of its routes read alone.
    tour = Tour.objects.filter(name="Twenty routes").first()
    if tour is None:
        tour = Tour.objects.create(owner=host, name="Twenty routes", description="Benchmark.")
        routes = list(Sequence.objects.order_by("id").values_list("pk", flat=True)[:20])
        set_tour_sequences(tour, routes)
    # Tags on the tour and on each route, as people give them (two each).
    with transaction.atomic():
        tour.set_tags(["lake", "old-town"])
        for number, pk in enumerate(tour.entries.values_list("sequence_id", flat=True)):
            set_sequence_tags(pk, [TAGS[number % len(TAGS)], TAGS[(number + 3) % len(TAGS)]])
    sequence = Sequence.objects.filter(tour_entries__tour=tour).first()
    tour_url = f"/api/v1/tours/{tour.unique_id}"
    sequence_url = f"/api/v1/sequence/{sequence.unique_id}"
    client.get(tour_url, base)
    say(
        f"queries: GET {tour_url} ({tour.sequence_count} routes): {queries(client, tour_url, base)}"
        f"; GET /api/v1/sequence/<id>: {queries(client, sequence_url, base)}"
    )

    say(f"throughput, {options.rounds} alternating rounds of 3 s each (target: ratio >= 0.5)")
    tours_rate, sequence_rate = [], []
    for _ in range(options.rounds):
        sequence_rate.append(per_second(client, sequence_url, base, 3.0))
        tours_rate.append(per_second(client, tour_url, base, 3.0))
    tour_median, sequence_median = statistics.median(tours_rate), statistics.median(sequence_rate)
    say(f"  GET /api/v1/sequence/<id>:          {sequence_median:7.1f} requests/s (one client)")
    say(f"  GET /api/v1/tours/<id> (20 routes): {tour_median:7.1f} requests/s (one client)")
    say(f"  ratio: {tour_median / sequence_median:.2f}")
    for media_type in ("application/geo+json", "application/gpx+xml"):
        started, count = time.perf_counter(), 50
        for _ in range(count):
            assert client.get(tour_url, base, HTTP_ACCEPT=media_type).status_code == 200
        say(f"  as {media_type}: {(time.perf_counter() - started) / count * 1000:.1f} ms each")

    some_sequence = Sequence.objects.order_by("id")[500]
    cases = [
        {},
        {"sort": "likes"},
        {"sort": "distance"},
        {"q": "harbour"},
        {"q": "no such words"},
        {"tag": "lake"},
        {"tag": ["lake", "alps"]},
        {"bbox": "6.0,45.8,7.5,46.6"},
        {"bbox": "6.0,45.8,7.5,46.6", "sort": "likes"},
        {"sequence": str(some_sequence.unique_id)},
        {"user": "person42"},
        {"q": "castle", "tag": "snow", "bbox": "-10,35,30,60"},
        {"limit": 100},
    ]
    worst = 0.0
    say(f"GET /api/v1/tours over {TOURS} tours (target: p99 < 50 ms)")
    for case in cases:
        p50, p99, count = timed(client, "/api/v1/tours", {**base, **case}, options.samples)
        worst = max(worst, p99)
        label = "&".join(f"{key}={value}" for key, value in case.items()) or "(no filter)"
        say(f"  {label:<60} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  ({count} on the page)")
    say(f"  worst p99: {worst:.1f} ms")
    # The following page of a search, from its cursor.
    first = client.get("/api/v1/tours", {**base, "sort": "likes"}).json()
    parts = urlsplit(first["next"])
    p50, p99, _ = timed(client, f"{parts.path}?{parts.query}", {}, options.samples)
    say(f"  {'second page of sort=likes (its cursor)':<60} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")


if __name__ == "__main__":
    main()
