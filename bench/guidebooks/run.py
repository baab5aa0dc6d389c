"""Guidebook benchmark: reading a 50-scene guidebook against reading a sequence, in one run.

Usage (from the project root):

    .venv/bin/python bench/guidebooks/run.py [--spatialite] [--seconds S] [--rounds R]

On PostGIS (the default, PostgreSQL at 127.0.0.1:5432 or MTP_BENCH_PG) it builds a database
of its own (``mtp_bench_guidebooks``, dropped and made again); with ``--spatialite``, a
SpatiaLite file in a temporary folder. It holds 50 published sequences of 40 photos each and a
published guidebook of 50 scenes (one photo of each sequence, two points of interest on each
scene), plus one of 5 scenes. Then, through the API in this process (Django's test client:
routing, authentication by client_id, the queries, the JSON), it prints:

- the queries a GET /api/v1/guidebooks/<id> takes for 5 and for 50 scenes (target: the same);
- requests per second of GET /api/v1/sequence/<id> and GET /api/v1/guidebooks/<id> of the
  50-scene guidebook, in alternating rounds so that both see the same machine (target: the
  guidebook at least 0.5x the sequence), and their p50 and p99.
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
DATABASE = "mtp_bench_guidebooks"
PG_ADMIN = os.environ.get("MTP_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SEQUENCES = 50
PHOTOS = 40
POIS_PER_SCENE = 2


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def configure(data_dir: Path, *, spatialite: bool) -> None:
    environment = {
        "MTP_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "mtp.settings",
        "LOG_LEVEL": "ERROR",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver",
        "MTP_API_RATE_TOKEN": "0",
        "MTP_API_RATE_ADDRESS": "0",
    }
    if spatialite:
        os.environ.pop("DATABASE_URL", None)
    else:
        environment["DATABASE_URL"] = f"{PG_ADMIN}/{DATABASE}"
        for statement in (f"DROP DATABASE IF EXISTS {DATABASE}", f"CREATE DATABASE {DATABASE}"):
            command = ["psql", f"{PG_ADMIN}/postgres", "-q", "-c", statement]
            subprocess.run(command, check=True)  # noqa: S603, S607 (our own fixed command)
    os.environ.update(environment)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed():
    """The sequences, the two guidebooks and an application; (sequence, big, small, client_id)."""
    from django.contrib.gis.geos import Point
    from django.utils import timezone
    from oauth2_provider.models import get_application_model

    from mtp.accounts.models import User
    from mtp.guidebooks.models import Category, Guidebook, Poi, Scene
    from mtp.sequences.models import Image, Sequence, Tag, TransportType

    owner = User.objects.create_user("olivia", "", None)
    walk = TransportType.objects.get(name="Walk")
    now = timezone.now()
    start = datetime(2025, 5, 1, 9, tzinfo=UTC)
    sequences = []
    for number in range(SEQUENCES):
        points = [(6.10 + number * 0.002 + n * 0.0001, 46.20 + n * 0.00005) for n in range(PHOTOS)]
        times = [start + timedelta(seconds=2 * n) for n in range(PHOTOS)]
        sequence = Sequence(
            owner=owner,
            name=f"Lake walk {number}",
            description="Along the shore.",
            transport_type=walk,
            status="published",
            published_at=now,
            mapillary_sequence_key=f"bench-seq-{number}",
        )
        sequence.set_route(points, times)
        sequence.image_count = PHOTOS
        sequence.save()
        sequence.tags.set([Tag.objects.get_or_create(name=name)[0] for name in ("lake", "geneva")])
        Image.objects.bulk_create(
            Image(
                sequence=sequence,
                key=f"bench-{number}-{n}",
                mapillary_key=f"bench-{number}-{n}",
                position=n,
                point=Point(*points[n], srid=4326),
                captured_at=times[n],
                compass_angle=90.0,
            )
            for n in range(PHOTOS)
        )
        sequences.append(sequence)
    categories = list(Category.objects.all())
    guidebooks = []
    for name, count in (("Lake shore, 50 scenes", 50), ("Lake shore, 5 scenes", 5)):
        guidebook = Guidebook.objects.create(
            owner=owner, name=name, category=categories[0], published_at=now
        )
        guidebook.set_tags(["lake", "geneva"])
        for position, sequence in enumerate(sequences[:count]):
            image = sequence.images.get(position=PHOTOS // 2)
            scene = Scene.objects.create(
                guidebook=guidebook,
                image=image,
                position=position,
                title=f"Stop {position + 1}",
                description="What to look at here.",
            )
            Poi.objects.bulk_create(
                Poi(
                    scene=scene,
                    title=f"Point {n + 1}",
                    description="A landmark.",
                    x=0.2 + 0.3 * n,
                    y=0.4,
                    category=categories[n % len(categories)],
                    url="https://example.org/landmark",
                )
                for n in range(POIS_PER_SCENE)
            )
        guidebooks.append(guidebook)
    application = get_application_model()
    app = application.objects.create(
        name="Bench",
        user=owner,
        client_type=application.CLIENT_PUBLIC,
        authorization_grant_type=application.GRANT_IMPLICIT,
        redirect_uris="https://example.org/cb",
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return sequences[0], guidebooks[0], guidebooks[1], app.client_id


def query_count(client, url: str, params: dict) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params)  # the client_id is remembered after the first request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return len(captured)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run_for(client, url: str, params: dict, seconds: float) -> list[float]:
    """Request ``url`` again and again for ``seconds``; each request's time in milliseconds."""
    times = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        response = client.get(url, params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spatialite", action="store_true")
    parser.add_argument("--seconds", type=float, default=5.0, help="per round and call")
    parser.add_argument("--rounds", type=int, default=4)
    options = parser.parse_args()
    configure(Path(tempfile.mkdtemp(prefix="mtp-bench-guidebooks-")), spatialite=options.spatialite)
    from django.db import connection
    from django.test import Client

    say(f"database: {connection.vendor}")
    sequence, big, small, client_id = seed()
    client = Client()
    params = {"client_id": client_id}
    sequence_url = f"/api/v1/sequence/{sequence.unique_id}"
    big_url = f"/api/v1/guidebooks/{big.unique_id}"
    small_url = f"/api/v1/guidebooks/{small.unique_id}"
    body = client.get(big_url, params).json()
    assert len(body["scenes"]) == 50, len(body["scenes"])
    say(f"a 50-scene guidebook's JSON: {len(client.get(big_url, params).content)} bytes")
    few, many = query_count(client, small_url, params), query_count(client, big_url, params)
    say(
        f"queries of GET /api/v1/guidebooks/<id>: {few} for 5 scenes, {many} for 50 (target: equal)"
    )
    say(f"queries of GET /api/v1/sequence/<id>: {query_count(client, sequence_url, params)}")

    timings: dict[str, list[float]] = {"sequence": [], "guidebook": []}
    spent = {"sequence": 0.0, "guidebook": 0.0}
    for _ in range(options.rounds):
        for name, url in (("sequence", sequence_url), ("guidebook", big_url)):
            times = run_for(client, url, params, options.seconds)
            timings[name] += times
            spent[name] += sum(times) / 1000
    rates = {name: len(timings[name]) / spent[name] for name in timings}
    for name, label in (
        ("sequence", "GET /api/v1/sequence/<id>"),
        ("guidebook", "GET /api/v1/guidebooks/<id> (50 scenes)"),
    ):
        times = timings[name]
        say(
            f"{label:<42} {rates[name]:7.1f} req/s  p50 {statistics.median(times):6.2f} ms  "
            f"p99 {percentile(times, 0.99):6.2f} ms  ({len(times)} requests)"
        )
    say(f"ratio guidebook / sequence: {rates['guidebook'] / rates['sequence']:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
