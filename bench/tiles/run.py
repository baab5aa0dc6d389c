"""Vector tile benchmark: time per tile through the endpoint, beside the bare ST_AsMVT query.

Usage (from the project root, with PostgreSQL + PostGIS at 127.0.0.1:5432):

    .venv/bin/python bench/tiles/run.py [--reuse] [--database-url URL] [--samples N]

It builds a database of its own (default ``mtp_bench_tiles``) holding 10,000 published sequences
of 100 photos each (1,000,000 images), clustered around a few regions; serves the project with
``mtp serve`` (granian WSGI, 2 workers); then, for tiles at zooms 6, 10 and 14 that hold data,
times each request over HTTP and the same tile's SQL run straight on the database, one after the
other, in the same run, with the server's tile cache off, so that both do the same work. It
prints p50 and p99 per zoom for both, and their ratio (the target: within 1.5x). Then it times
the same tiles from a second server with the tile cache on (the default), once it has them.
``--reuse`` keeps the database from an earlier run when its counts match.
"""

import argparse
import http.client
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psycopg
import shapely

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ZOOMS = (6, 10, 14)
TILES_PER_ZOOM = {6: 12, 10: 40, 14: 60}
# Where people share: a dense town core and the country around it.
REGIONS = [
    ("Trondheim", 10.395, 63.430),
    ("Chamonix", 6.870, 45.923),
    ("Yosemite", -119.538, 37.865),
    ("Queenstown", 168.662, -45.031),
    ("Kyoto", 135.768, 35.011),
    ("Reykjavik", -21.895, 64.135),
    ("Edinburgh", -3.188, 55.953),
    ("Cape Town", 18.424, -33.925),
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def conninfo(url: str) -> str:
    """A psycopg connection string from a postgres:// URL."""
    return url.replace("postgis://", "postgresql://", 1)


# --- data ---------------------------------------------------------------------------------------


def counts(url: str) -> tuple[int, int] | None:
    try:
        with psycopg.connect(conninfo(url)) as conn:
            sequences = conn.execute(
                "SELECT count(*) FROM sequences_sequence WHERE status = 'published'"
            ).fetchone()[0]
            images = conn.execute("SELECT count(*) FROM sequences_image").fetchone()[0]
            return sequences, images
    except psycopg.Error:
        return None


def recreate_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(conninfo(with_database(url, "postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        log(f"created database {name}")


def routes(rng: np.random.Generator, count: int, points: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` wandering routes of ``points`` (lon, lat) each, and each route's length in m."""
    region = np.arange(count) % len(REGIONS)
    centers = np.array([(lon, lat) for _, lon, lat in REGIONS])[region]
    # Half the routes in a town core (about 5 km across), half over the region (about 50 km).
    spread = np.where(rng.random(count) < 0.5, 0.05, 0.5)
    lat0 = centers[:, 1] + rng.normal(0, 1, count) * spread
    lon0 = centers[:, 0] + rng.normal(0, 1, count) * spread / np.cos(np.radians(lat0))
    step = rng.uniform(3, 15, count)[:, None]  # metres between photos: walking to cycling
    heading = rng.uniform(0, 2 * np.pi, count)[:, None] + np.cumsum(
        rng.normal(0, 0.25, (count, points - 1)), axis=1
    )
    dlat = step * np.cos(heading) / 111_320
    lat = np.concatenate([lat0[:, None], lat0[:, None] + np.cumsum(dlat, axis=1)], axis=1)
    dlon = step * np.sin(heading) / (111_320 * np.cos(np.radians(lat[:, 1:])))
    lon = np.concatenate([lon0[:, None], lon0[:, None] + np.cumsum(dlon, axis=1)], axis=1)
    return np.stack([lon, lat], axis=2), step[:, 0] * (points - 1)


def build_data(url: str, sequences: int, points: int, seed: int) -> None:
    """Published sequences by COPY, then their photos from their routes' points in SQL."""
    from django.contrib.auth import get_user_model
    from oauth2_provider.models import get_application_model

    from mtp.sequences.models import TransportType

    started = time.monotonic()
    owner = get_user_model().objects.create_user("bench", "bench@example.org", None)
    get_application_model().objects.create(
        name="Website",
        user=owner,
        client_type="public",
        authorization_grant_type="authorization-code",
        redirect_uris="http://127.0.0.1/callback",
    )
    kinds = list(TransportType.objects.filter(parent__isnull=False).values_list("id", flat=True))

    rng = np.random.default_rng(seed)
    coords, lengths = routes(rng, sequences, points)
    lines = shapely.linestrings(coords)
    wkb = shapely.to_wkb(shapely.set_srid(lines, 4326), hex=True, include_srid=True)
    boxes = shapely.bounds(lines)
    now = datetime.now(UTC)
    base = datetime(2020, 1, 1, tzinfo=UTC)
    py = random.Random(seed)
    columns = (
        "unique_id, name, description, source, status, google_street_view, strava, "
        "captured_at_start, captured_at_end, geometry, bbox_west, bbox_south, bbox_east, "
        "bbox_north, distance_m, image_count, is_pano, created_at, updated_at, published_at, "
        "owner_id, transport_type_id"
    )
    buffer = StringIO()
    for i in range(sequences):
        start = base + timedelta(seconds=py.randrange(5 * 365 * 86400))
        end = start + timedelta(seconds=2 * (points - 1))
        row = (
            uuid.UUID(int=py.getrandbits(128), version=4),
            f"Route {i} around {REGIONS[i % len(REGIONS)][0]}",
            "",
            "bench",
            "published",
            "",
            "",
            start.isoformat(),
            end.isoformat(),
            wkb[i],
            *boxes[i],
            float(lengths[i]),
            points,
            "f",
            now.isoformat(),
            now.isoformat(),
            now.isoformat(),
            owner.pk,
            py.choice(kinds),
        )
        buffer.write("\t".join(str(value) for value in row) + "\n")
    with psycopg.connect(conninfo(url)) as conn:
        with conn.cursor().copy(f"COPY sequences_sequence ({columns}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        log(f"copied {sequences} sequences")
        conn.execute(
            """
            INSERT INTO sequences_image (key, mapillary_key, position, point, captured_at,
                compass_angle, is_pano, thumb_256_url, thumb_1024_url, thumb_2048_url,
                thumb_original_url, sequence_id)
            SELECT (1000000000000000 + s.id * 1000 + d.path[1] - 1)::text,
                   (1000000000000000 + s.id * 1000 + d.path[1] - 1)::text, d.path[1] - 1, d.geom,
                   s.captured_at_start + (d.path[1] - 1) * interval '2 seconds',
                   CASE WHEN random() < 0.1 THEN NULL ELSE round((random() * 360)::numeric, 1) END,
                   false, '', '', '', '', s.id
            FROM sequences_sequence s, ST_DumpPoints(s.geometry) d
            """
        )
        log("inserted the images")
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE sequences_sequence")
        conn.execute("VACUUM ANALYZE sequences_image")
    log(f"data ready in {time.monotonic() - started:.0f} s")


def pick_tiles(url: str, seed: int) -> dict[int, list[tuple[int, int, int]]]:
    """Tiles holding data, chosen where photos are (so busy places are chosen more often)."""
    with psycopg.connect(conninfo(url)) as conn:
        conn.execute("SELECT setseed(%s)", [seed / 1e9])
        rows = conn.execute(
            "SELECT ST_X(point), ST_Y(point) FROM sequences_image "
            "TABLESAMPLE BERNOULLI (0.2) REPEATABLE (%s)",
            [seed],
        ).fetchall()
    tiles: dict[int, list[tuple[int, int, int]]] = {}
    for z in ZOOMS:
        chosen: list[tuple[int, int, int]] = []
        for lon, lat in rows:
            n = 1 << z
            x = int((lon + 180) / 360 * n)
            y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
            if (z, x, y) not in chosen:
                chosen.append((z, x, y))
            if len(chosen) == TILES_PER_ZOOM[z]:
                break
        tiles[z] = chosen
    return tiles


# --- server -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, data_dir: Path, port: int, *, tile_cache_mb: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MTP_DATA_DIR": str(data_dir),
        # 0: every request builds its tile, the work the bare query does.
        "MTP_TILE_CACHE_MB": str(tile_cache_mb),
        "DJANGO_SETTINGS_MODULE": "mtp.settings",
        "LOG_LEVEL": "ERROR",  # Django logs every 4xx as a warning
        # One address fetches every tile: a limit too high to reach, so every tile still pays
        # for its count, as in production.
        "MTP_API_RATE_TILES": "1000000000",
    }
    command = [sys.executable, "-m", "mtp.cli", "serve", "--no-worker", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "2", "--threads", "4"]
    process = subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=(data_dir / f"server-{port}.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited; see {data_dir / f'server-{port}.log'}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the server did not answer within 120 s")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- measuring ----------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def measure(url: str, port: int, client_id: str, tiles, samples: int) -> list[dict]:
    from mtp.tiles.mvt import postgis_params, postgis_sql

    http_conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    results = []
    # The bare query reaches PostgreSQL exactly as the endpoint's does: the same text with the
    # values written in (Django's client-side binding), planned each time (Django does not let
    # psycopg prepare statements unless told to), so the ratio shows only what the endpoint adds.
    with psycopg.connect(
        conninfo(url), autocommit=True, cursor_factory=psycopg.ClientCursor, prepare_threshold=None
    ) as db:

        def over_http(tile) -> tuple[float, bytes]:
            z, x, y = tile
            started = time.perf_counter()
            http_conn.request("GET", f"/api/v1/tiles/{z}/{x}/{y}.mvt?client_id={client_id}")
            response = http_conn.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - started
            if response.status != 200:
                raise SystemExit(f"tile {z}/{x}/{y}: HTTP {response.status} {body[:200]!r}")
            return elapsed, body

        def bare(tile) -> tuple[float, bytes]:
            z, x, y = tile
            sql, params = postgis_sql(z), postgis_params(z, x, y)
            started = time.perf_counter()
            data = db.execute(sql, params).fetchone()[0]
            return time.perf_counter() - started, bytes(data)

        for z in ZOOMS:
            chosen = tiles[z]
            rounds = max(1, math.ceil(samples / len(chosen)))
            endpoint, query, sizes, overhead = [], [], [], []
            # One untimed round warms both sides and checks they return the same bytes.
            for tile in chosen:
                _, body = over_http(tile)
                _, data = bare(tile)
                if body != data:
                    raise SystemExit(f"tile {tile}: the endpoint and the query gave other bytes")
                sizes.append(len(data))
            for round_number in range(rounds):
                for index, tile in enumerate(chosen):
                    # Alternate which side goes first, so neither always finds the other's cache.
                    if (round_number + index) % 2:
                        endpoint.append(over_http(tile)[0])
                        query.append(bare(tile)[0])
                    else:
                        query.append(bare(tile)[0])
                        endpoint.append(over_http(tile)[0])
                    overhead.append(endpoint[-1] - query[-1])
            results.append(
                {
                    "zoom": z,
                    "tiles": len(chosen),
                    "samples": len(endpoint),
                    "size_kb": statistics.median(sizes) / 1024,
                    "endpoint": (percentile(endpoint, 0.5), percentile(endpoint, 0.99)),
                    "bare": (percentile(query, 0.5), percentile(query, 0.99)),
                    "overhead": percentile(overhead, 0.5),
                }
            )
            log(f"zoom {z}: {len(endpoint)} samples over {len(chosen)} tiles")
    http_conn.close()
    return results


def measure_cached(port: int, client_id: str, tiles, samples: int) -> dict[int, tuple]:
    """p50 and p99 per zoom from a server keeping tiles in memory, after one round to fill it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    results = {}
    for z in ZOOMS:
        chosen = tiles[z]
        times = []
        for round_number in range(1 + max(1, math.ceil(samples / len(chosen)))):
            for x_y in chosen:
                _, x, y = x_y
                started = time.perf_counter()
                conn.request("GET", f"/api/v1/tiles/{z}/{x}/{y}.mvt?client_id={client_id}")
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise SystemExit(f"tile {z}/{x}/{y}: HTTP {response.status}")
                if round_number:
                    times.append(time.perf_counter() - started)
        results[z] = (percentile(times, 0.5), percentile(times, 0.99))
        log(f"zoom {z}, kept in memory: {len(times)} samples")
    conn.close()
    return results


def fixed_costs(port: int, client_id: str, samples: int) -> dict[str, float]:
    """p50 of replies that stop before the tile query: where the endpoint's own time goes."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    paths = {
        "Django and HTTP alone (400, no client_id)": "/api/v1/tiles/0/0/0.mvt",
        "the same and the client_id check (404, zoom 23)": (
            f"/api/v1/tiles/23/0/0.mvt?client_id={client_id}"
        ),
        "the health check (one SELECT 1)": "/healthz",
    }
    costs = {}
    for name, path in paths.items():
        times = []
        for _ in range(samples + 10):
            started = time.perf_counter()
            conn.request("GET", path)
            conn.getresponse().read()
            times.append(time.perf_counter() - started)
        costs[name] = percentile(times[10:], 0.5)
    conn.close()
    return costs


def report(results: list[dict], cached: dict[int, tuple], costs: dict[str, float]) -> None:
    print()
    print(
        "zoom  tiles  samples  median KB  | endpoint p50   p99 ms | bare SQL p50   p99 ms "
        "| ratio p50  p99 | overhead p50 ms"
    )
    for r in results:
        (e50, e99), (b50, b99) = r["endpoint"], r["bare"]
        print(
            f"{r['zoom']:>4}  {r['tiles']:>5}  {r['samples']:>7}  {r['size_kb']:>9.1f}  "
            f"| {e50 * 1000:>12.1f} {e99 * 1000:>6.1f} | {b50 * 1000:>12.1f} {b99 * 1000:>6.1f} "
            f"| {e50 / b50:>9.2f} {e99 / b99:>4.2f} | {r['overhead'] * 1000:>15.2f}"
        )
    print("\nthe same tiles from a server keeping them in memory (MTP_TILE_CACHE_MB, the default):")
    print("zoom | endpoint p50   p99 ms | ratio to the bare query p50  p99")
    for r in results:
        (c50, c99), (b50, b99) = cached[r["zoom"]], r["bare"]
        print(
            f"{r['zoom']:>4} | {c50 * 1000:>12.1f} {c99 * 1000:>6.1f} "
            f"| {c50 / b50:>27.2f} {c99 / b99:>4.2f}"
        )
    print("\ntarget: the endpoint within 1.5x of the bare query")
    print(
        "overhead: the endpoint's time less the bare query's, for the same tile in the same round"
    )
    print("\nwhere the overhead goes (p50 of replies that stop before the tile query):")
    for name, seconds in costs.items():
        print(f"  {seconds * 1000:6.2f} ms  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "MTP_BENCH_TILES_URL", "postgres://postgres@127.0.0.1:5432/mtp_bench_tiles"
        ),
    )
    parser.add_argument("--sequences", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=100, help="photos per sequence")
    parser.add_argument("--samples", type=int, default=300, help="timed requests per zoom")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--reuse", action="store_true", help="keep matching data from a run")
    args = parser.parse_args()

    url = args.database_url
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mtp.settings")
    wanted = (args.sequences, args.sequences * args.points)
    fresh = not (args.reuse and counts(url) == wanted)
    if fresh:
        recreate_database(url)
        subprocess.run(
            [sys.executable, "-m", "mtp.cli", "migrate", "-v0"],
            check=True,
            cwd=ROOT,
            env=os.environ,
        )
    import django

    django.setup()
    if fresh:
        build_data(url, args.sequences, args.points, args.seed)
    else:
        log(f"reusing {wanted[0]} sequences and {wanted[1]} images")
    from oauth2_provider.models import get_application_model

    client_id = get_application_model().objects.get(name="Website").client_id
    tiles = pick_tiles(url, args.seed)

    with tempfile.TemporaryDirectory(prefix="mtp-bench-tiles-") as tmp:
        port = free_port()
        server = start_server(url, Path(tmp), port, tile_cache_mb=0)
        log(f"server up on 127.0.0.1:{port} (granian WSGI, 2 workers, no tile cache)")
        try:
            results = measure(url, port, client_id, tiles, args.samples)
            costs = fixed_costs(port, client_id, args.samples)
        finally:
            stop_server(server)
        port = free_port()
        server = start_server(url, Path(tmp), port, tile_cache_mb=64)
        log(f"server up on 127.0.0.1:{port} (granian WSGI, 2 workers, tiles kept in memory)")
        try:
            cached = measure_cached(port, client_id, tiles, args.samples)
        finally:
            stop_server(server)
    report(results, cached, costs)


if __name__ == "__main__":
    main()
