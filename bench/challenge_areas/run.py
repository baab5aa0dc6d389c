"""Challenge areas: a box against a 9,999-corner polygon over the same photos, and heavy
challenge pages on SpatiaLite with a like timed meanwhile.

Usage (from the project root):

    .venv/bin/python bench/challenge_areas/run.py [--pg postgres://postgres@127.0.0.1:5432]
        [--samples N] [--clients 8] [--duration 20] [--no-load]

It builds a database of its own (a SpatiaLite file in a temporary folder, or with ``--pg`` the
PostgreSQL database ``mtp_bench_areas``, dropped and made again) through the models: 300
people, 4,000 published sequences of 20 photos each (80,000 photos); 1,500 of them lie inside
a city-sized box (Zurich), 300 start inside it and leave it, the rest lie around it. Two
challenges cover the same photos: one whose area is the box (5 corners), one whose area is the
box with every edge drawn as a fine zigzag outwards (9,999 corners, a traced outline).

1. In this process (Django's test client), for each challenge, the time of
   GET /api/v1/challenges/<id>/leaderboard for each metric and of the challenge's page: the
   first request after the challenge is saved and the p50 of ``--samples`` more. It checks both
   leaderboards are the same and prints the polygon's p50 against the box's (target: < 2x).
2. On SpatiaLite (unless ``--no-load``): ``mtp serve --no-worker`` (2 processes, 4 threads
   each) on that database; ``--clients`` clients load the polygon challenge's page and its API
   leaderboard in turn for ``--duration`` seconds, each page asking anew (``?metric=`` and a
   throw-away parameter), while one more client likes and unlikes a sequence
   (PUT/DELETE /api/v1/sequence/<id>/like, a write) every 0.2 s. It prints the like's p50 and
   worst time, the statuses of every reply, and how often the server logged that its rate
   limit counter was unavailable.
"""

import argparse
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DATABASE = "mtp_bench_areas"
PEOPLE = 300
SEQUENCES = 4_000
IN_CITY = 1_500
CROSSING = 300
PHOTOS = 20
# Zurich: west, south, east, north.
CITY = (8.45, 47.32, 8.61, 47.42)
CORNERS = 9_999
# How far the zigzag's outer corners stand off the box, in degrees (about 1 cm).
ZIGZAG = 0.0000001


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def configure(data_dir: Path, pg: str | None) -> dict[str, str]:
    env = {
        "MTP_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "mtp.settings",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "MTP_API_RATE_TOKEN": "100000",
        "MTP_API_RATE_ADDRESS": "100000",
        "MTP_CHALLENGE_MAX_AREA_KM2": "5000",
    }
    if pg:
        env["DATABASE_URL"] = f"{pg}/{DATABASE}"
        subprocess.run(  # noqa: S603, S607 (our own fixed command)
            ["psql", f"{pg}/postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {DATABASE}"],
            check=True,
        )
        subprocess.run(  # noqa: S603, S607
            ["psql", f"{pg}/postgres", "-q", "-c", f"CREATE DATABASE {DATABASE}"], check=True
        )
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.update(env)
    import django

    django.setup()
    return env


def zigzag_ring() -> list[list[float]]:
    """The box with each edge a zigzag outwards: CORNERS corners, closed."""
    west, south, east, north = CITY
    per_edge = CORNERS // 4
    ring: list[list[float]] = []
    edges = [
        ((west, south), (east, south), (0.0, -ZIGZAG)),
        ((east, south), (east, north), (ZIGZAG, 0.0)),
        ((east, north), (west, north), (0.0, ZIGZAG)),
        ((west, north), (west, south), (-ZIGZAG, 0.0)),
    ]
    for number, ((x0, y0), (x1, y1), (dx, dy)) in enumerate(edges):
        count = per_edge + (CORNERS - 4 * per_edge if number == 3 else 0)
        for i in range(count):
            t = i / count
            out = 1 if i % 2 else 0
            ring.append([x0 + (x1 - x0) * t + dx * out, y0 + (y1 - y0) * t + dy * out])
    ring.append(ring[0])
    assert len(ring) == CORNERS + 1, len(ring)
    return ring


def seed() -> None:
    from django.contrib.gis.geos import Point
    from django.core.management import call_command
    from django.db import transaction

    from mtp.accounts.models import User
    from mtp.sequences.models import CameraMake, Image, Sequence, TransportType

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if Image.objects.count() >= SEQUENCES * PHOTOS:
        say("reusing the photos of an earlier run")
        return
    rng = random.Random(7)
    west, south, east, north = CITY
    kinds = list(TransportType.objects.filter(parent__isnull=False))
    makes = [CameraMake.objects.create(name=name) for name in ("GoPro", "Insta360", "Apple")]
    started = time.perf_counter()
    with transaction.atomic():
        people = User.objects.bulk_create(
            User(username=f"person{n}", display_name=f"Person {n}", username_skeleton=f"person{n}")
            for n in range(PEOPLE)
        )
        sequences, routes = [], []
        for n in range(SEQUENCES):
            if n < IN_CITY:
                x = rng.uniform(west + 0.002, east - 0.012)
                y = rng.uniform(south + 0.002, north - 0.002)
                step = 0.0005
            elif n < IN_CITY + CROSSING:
                # Starts inside, leaves across the east edge.
                x = rng.uniform(east - 0.004, east - 0.001)
                y = rng.uniform(south + 0.002, north - 0.002)
                step = 0.0005
            else:
                # Around the box, north or south of it.
                x = rng.uniform(west - 1, east + 1)
                y = rng.choice(
                    (rng.uniform(north + 0.01, north + 1), rng.uniform(south - 1, south - 0.01))
                )
                step = 0.0005
            points = [
                (x + i * step, y + math.sin(i + n) * 0.0002 + 0.0000003 * rng.random())
                for i in range(PHOTOS)
            ]
            captured = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=n * 37)
            times = [captured + timedelta(seconds=2 * i) for i in range(PHOTOS)]
            sequence = Sequence(
                owner=people[n % PEOPLE],
                name=f"Sequence {n}",
                transport_type=kinds[n % len(kinds)],
                camera_make=makes[n % len(makes)],
                status=Sequence.Status.PUBLISHED,
                published_at=captured,
            )
            sequence.set_route(points, times)
            sequence.image_count = PHOTOS
            sequences.append(sequence)
            routes.append((points, times))
        Sequence.objects.bulk_create(sequences, batch_size=500)
        Image.objects.bulk_create(
            (
                Image(
                    sequence=sequence,
                    key=f"s{sequence.pk}-{i}",
                    mapillary_key=f"s{sequence.pk}-{i}",
                    position=i,
                    point=Point(*point, srid=4326),
                    captured_at=times[i],
                    camera_make=sequence.camera_make,
                )
                for sequence, (points, times) in zip(sequences, routes, strict=True)
                for i, point in enumerate(points)
            ),
            batch_size=2000,
        )
    elapsed = time.perf_counter() - started
    say(f"{SEQUENCES} sequences, {SEQUENCES * PHOTOS} photos in {elapsed:.0f} s")


def make_challenge(owner, name: str, ring: list[list[float]]):
    from mtp.challenges.areas import parse_area
    from mtp.challenges.models import Challenge

    challenge = Challenge(
        owner=owner,
        name=name,
        start=datetime(2000, 1, 1, tzinfo=UTC),
        end=datetime(2100, 1, 1, tzinfo=UTC),
    )
    challenge.set_area(parse_area({"type": "Polygon", "coordinates": [ring]}))
    started = time.perf_counter()
    challenge.save()
    say(f"  {name}: saved in {(time.perf_counter() - started) * 1000:.0f} ms")
    return challenge


def time_get(client, url: str, params: dict) -> tuple[float, object]:
    started = time.perf_counter()
    response = client.get(url, params)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return elapsed, response


def single_process(app, challenges: dict, samples: int) -> None:
    from django.test import Client

    client = Client()
    base = {"client_id": app.client_id}
    cases = [("api images", "images"), ("api distance", "distance"), ("api sequences", "sequences")]
    figures: dict[str, dict[str, tuple[float, float]]] = {}
    boards: dict[str, list] = {}
    for label, challenge in challenges.items():
        figures[label] = {}
        api = f"/api/v1/challenges/{challenge.unique_id}/leaderboard"
        page = f"/challenges/{challenge.unique_id}/"
        for case, metric in cases:
            first, response = time_get(client, api, {**base, "metric": metric})
            boards.setdefault(metric, []).append(response.json()["results"])  # type: ignore[attr-defined]
            times = [time_get(client, api, {**base, "metric": metric})[0] for _ in range(samples)]
            figures[label][case] = (first, statistics.median(times))
        first, _ = time_get(client, page, {})
        times = [time_get(client, page, {})[0] for _ in range(samples)]
        figures[label]["page"] = (first, statistics.median(times))
        say(
            f"  {label}: "
            + ", ".join(
                f"{case} {first:.0f} / {p50:.0f} ms"
                for case, (first, p50) in figures[label].items()
            )
        )
    for metric, (box_board, polygon_board) in boards.items():
        if metric == "distance":
            # The zigzag adds a few centimetres to the routes crossing it: the same people,
            # their lengths within a metre.
            box_values = {row["user"]["username"]: row["value"] for row in box_board}
            polygon_values = {row["user"]["username"]: row["value"] for row in polygon_board}
            assert box_values.keys() == polygon_values.keys(), "the distance boards differ"
            assert all(abs(box_values[name] - polygon_values[name]) < 1 for name in box_values)
        else:
            assert box_board == polygon_board, f"the two leaderboards of {metric} differ"
    say(f"both challenges rank the same people the same ({len(boards['images'][0])} on a page)")
    columns = ("box first", 11), ("box p50", 10), ("polygon first", 15), ("polygon p50", 13)
    say(f"{'':<16}" + "".join(f"{name:>{width}}" for name, width in columns) + f"{'ratio':>8}")
    for case in [case for case, _ in cases] + ["page"]:
        box_first, box_p50 = figures["box"][case]
        poly_first, poly_p50 = figures["polygon"][case]
        say(
            f"{case:<16}{box_first:>8.0f} ms{box_p50:>7.0f} ms{poly_first:>12.0f} ms"
            f"{poly_p50:>10.0f} ms{poly_p50 / box_p50:>8.2f}"
        )


def concurrent_load(env: dict[str, str], app, token: str, challenge, sequence, options) -> None:
    import httpx

    from testing.processes import free_port, mtp_command, running, wait_for_http

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server_env = {**os.environ, **env, "SITE_URL": base_url}
    log = Path(env["MTP_DATA_DIR"]) / "serve.log"
    command = mtp_command(
        "serve", "--no-worker", "--workers", "2", "--threads", "4", "--port", str(port)
    )
    with running(command, server_env, log):
        wait_for_http(f"{base_url}/", timeout=120)
        stop = time.monotonic() + options.duration
        statuses: Counter[str] = Counter()
        lock = threading.Lock()
        like_times: list[float] = []

        def reader(number: int) -> None:
            with httpx.Client(base_url=base_url, timeout=120) as http:
                turn = 0
                while time.monotonic() < stop:
                    turn += 1
                    if turn % 2:
                        url = f"/challenges/{challenge.unique_id}/"
                        params = {"metric": ("images", "distance")[turn % 4 // 2], "n": turn}
                        kind = "page"
                    else:
                        url = f"/api/v1/challenges/{challenge.unique_id}/leaderboard"
                        params = {"client_id": app.client_id, "metric": "sequences"}
                        kind = "api"
                    response = http.get(url, params=params)
                    with lock:
                        statuses[f"{kind} {response.status_code}"] += 1

        def liker() -> None:
            headers = {"Authorization": f"Bearer {token}"}
            url = f"/api/v1/sequence/{sequence.unique_id}/like"
            with httpx.Client(base_url=base_url, timeout=120, headers=headers) as http:
                liked = False
                while time.monotonic() < stop:
                    started = time.perf_counter()
                    response = http.delete(url) if liked else http.put(url)
                    elapsed = (time.perf_counter() - started) * 1000
                    liked = not liked
                    with lock:
                        statuses[f"like {response.status_code}"] += 1
                        if response.status_code == 200:
                            like_times.append(elapsed)
                    time.sleep(0.2)

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(options.clients)]
        threads.append(threading.Thread(target=liker))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    text = log.read_text(errors="replace")
    unavailable = len(re.findall(r"counter is unavailable", text))
    locked = len(re.findall(r"database is locked", text))
    say(f"{options.clients} clients on the polygon challenge for {options.duration:.0f} s:")
    say(f"  replies: {', '.join(f'{key}: {value}' for key, value in sorted(statuses.items()))}")
    if like_times:
        say(
            f"  a like: p50 {statistics.median(like_times):.0f} ms, "
            f"worst {max(like_times):.0f} ms ({len(like_times)} answered 200)"
        )
    say(
        f"  server log: 'counter is unavailable' {unavailable} times, 'database is locked' {locked}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", help="a PostgreSQL server; SpatiaLite when left out")
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--no-load", action="store_true")
    parser.add_argument(
        "--data-dir",
        help="the instance's data folder; a SpatiaLite database seeded there before is reused",
    )
    options = parser.parse_args()
    data_dir = Path(options.data_dir or tempfile.mkdtemp(prefix="mtp-bench-areas-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    env = configure(data_dir, options.pg)

    from oauth2_provider.models import get_application_model

    from mtp.accounts.models import User
    from mtp.sequences.models import Sequence
    from testing.builders import issue_token

    say(f"database: {'PostGIS' if options.pg else 'SpatiaLite'}")
    seed()
    host = User.objects.create_user(f"host{time.time_ns()}", "", None, is_staff=True)
    application = get_application_model()
    app = application.objects.create(
        name="Bench",
        user=host,
        client_type=application.CLIENT_PUBLIC,
        authorization_grant_type=application.GRANT_IMPLICIT,
        redirect_uris="https://example.org/cb",
    )
    west, south, east, north = CITY
    box = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    challenges = {
        "box": make_challenge(host, "Map Zurich (box)", box),
        "polygon": make_challenge(host, "Map Zurich (traced)", zigzag_ring()),
    }
    single_process(app, challenges, options.samples)
    if not options.pg and not options.no_load:
        token = issue_token(host, app)
        sequence = Sequence.objects.order_by("pk").first()
        concurrent_load(env, app, token, challenges["polygon"], sequence, options)


if __name__ == "__main__":
    main()
