"""Photos benchmark on PostGIS, against the Mapillary stand-in on 127.0.0.1.

Prints, from one run:
- the Graph API calls made to resolve the links of 10,000 photos, beside
  ceil(10,000 / MAPILLARY_BATCH_SIZE) (target: at most that), and how long it took;
- requests per second of GET /api/v1/images/<key>/thumbnail?size=1024 with the link cached
  (a 302 to the signed link), of GET /api/v1/images/<key>/thumbnail?size=256 served from
  the kept copy, and of GET /healthz, through the production server (granian WSGI, 2
  workers), rounds alternating in the same run, and their ratio (target: >= 0.5).

Run it with bench/photos/run.sh, which installs wrk when it is missing. Options: --duration,
--connections, --threads, --rounds, --photos.
"""

import argparse
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DATABASE = "mtp_bench_photos"
PG_ADMIN = os.environ.get("MTP_BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def recreate_database() -> None:
    for statement in (f"DROP DATABASE IF EXISTS {DATABASE}", f"CREATE DATABASE {DATABASE}"):
        command = ["psql", f"{PG_ADMIN}/postgres", "-q", "-c", statement]
        subprocess.run(command, check=True)  # noqa: S603, S607 (our own fixed command)


def configure(data_dir: Path, fake_url: str, token: str) -> dict[str, str]:
    """Point this process (and the server it starts) at the benchmark database and stand-in."""
    os.environ.update(
        {
            "DATABASE_URL": f"{PG_ADMIN}/{DATABASE}",
            "MTP_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "mtp.settings",
            "LOG_LEVEL": "ERROR",
            "DEBUG": "0",
            "MAPILLARY_API_URL": fake_url,
            "MAPILLARY_CLIENT_TOKEN": token,
            # One address makes every request: a limit too high to reach, so every request
            # still pays for its count, as in production.
            "MTP_API_RATE_PHOTOS": "1000000000",
        }
    )
    import django

    django.setup()
    return dict(os.environ)


def seed(keys: list[str], kept_key: str) -> None:
    """A published sequence holding the stand-in's photos; one of them with a kept copy."""
    from django.contrib.gis.geos import Point
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.management import call_command
    from django.utils import timezone

    from mtp.accounts.models import User
    from mtp.sequences.models import Image, Sequence, TransportType

    call_command("migrate", verbosity=0)
    owner = User.objects.create_user("bench", "bench@example.org", None)
    sequence = Sequence.objects.create(
        owner=owner,
        name="A long walk",
        transport_type=TransportType.objects.get(name="Walk"),
        status="published",
        published_at=timezone.now(),
        image_count=len(keys),
    )
    Image.objects.bulk_create(
        (
            Image(
                sequence=sequence,
                key=key,
                mapillary_key=key,
                position=index,
                point=Point(6.0 + index / 100_000, 46.0, srid=4326),
            )
            for index, key in enumerate(keys)
        ),
        batch_size=2000,
    )
    name = default_storage.save(f"photos/256/bench/{kept_key}.jpg", ContentFile(b"\xff\xd8" * 4000))
    Image.objects.filter(mapillary_key=kept_key).update(kept_copy=name)


def start_server(env: dict[str, str], port: int, threads: int) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "mtp"),
        "serve",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", "2",
        "--threads", str(threads),
        "--no-worker",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, start_new_session=True)  # noqa: S603
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            health = f"http://127.0.0.1:{port}/healthz"
            with urllib.request.urlopen(health, timeout=2) as reply:  # noqa: S310 (http only)
                if reply.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    stop_server(server)
    raise SystemExit("bench: the server did not answer /healthz within 2 minutes")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def wrk(url: str, *, duration: int, connections: int) -> dict:
    command = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{duration}s", url]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": rps, "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def status_of(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as reply:
            return reply.status, reply.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=4, help="request threads per process")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--photos", type=int, default=10_000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench: wrk is missing; run bench/photos/run.sh")

    from testing.fake_mapillary import APPLICATION_TOKEN, FakeMapillary

    fake = FakeMapillary().start()
    keys = fake.add_sequence("bench-photos", args.photos).all_ids()
    data_dir = ROOT / "var" / "bench-photos"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = configure(data_dir, fake.url, APPLICATION_TOKEN)
    load_before = os.getloadavg()[0]
    say(f"seeding a sequence of {args.photos:,} photos into {DATABASE}")
    recreate_database()
    seed(keys, kept_key=keys[1])

    # 1. Resolving every photo's links.
    from django.conf import settings

    from mtp.sequences import photos

    started = time.monotonic()
    links = photos.resolve(keys, retries=None)
    took = time.monotonic() - started
    calls = fake.count("/images")
    bound = math.ceil(len(keys) / settings.MAPILLARY_BATCH_SIZE)
    assert len(links) == len(keys) and all(not link.missing for link in links.values())
    say(
        f"resolved {len(keys):,} photos with {calls} Graph API calls (bound: ceil({len(keys):,} / "
        f"{settings.MAPILLARY_BATCH_SIZE}) = {bound}) in {took:.2f} s"
    )
    from django.db import connections

    connections.close_all()

    # 2. Throughput, link cached, beside /healthz.
    port = free_port()
    server = start_server(env, port, args.threads)
    base = f"http://127.0.0.1:{port}"
    cached_url = f"{base}/api/v1/images/{keys[0]}/thumbnail?size=1024"
    kept_url = f"{base}/api/v1/images/{keys[1]}/thumbnail?size=256"
    try:
        status, location = status_of(cached_url)
        assert status == 302 and location.startswith(fake.url), (status, location)
        status, content_type = status_of(kept_url)
        assert status == 200 and content_type == "image/jpeg", (status, content_type)
        before = fake.count("/images")
        for url in (f"{base}/healthz", cached_url, kept_url):
            wrk(url, duration=2, connections=args.connections)  # warm up both processes
        healthz, thumbnail, kept = [], [], []
        for number in range(1, args.rounds + 1):
            say(f"round {number}: /healthz, the cached link, the kept copy, {args.duration} s each")
            thumbnail.append(wrk(cached_url, duration=args.duration, connections=args.connections))
            healthz.append(
                wrk(f"{base}/healthz", duration=args.duration, connections=args.connections)
            )
            kept.append(wrk(kept_url, duration=args.duration, connections=args.connections))
        extra_calls = fake.count("/images") - before
    finally:
        stop_server(server)
        fake.stop()

    def median(rows: list[dict]) -> float:
        return statistics.median(row["rps"] for row in rows)

    errors = sum(row["non_2xx_3xx"] for row in healthz + thumbnail + kept)
    print()
    print(f"resolving {len(keys):,} photos: {calls} Graph API calls, bound {bound}: "
          f"{'OK' if calls <= bound else 'OVER'}")  # fmt: skip

    def rounds(rows: list[dict]) -> str:
        return " / ".join(f"{row['rps']:.0f}" for row in rows)

    for label, rows in [
        ("GET /healthz", healthz),
        ("GET thumbnail?size=1024, link cached (302)", thumbnail),
        ("GET thumbnail?size=256, kept copy (200)", kept),
    ]:
        print(f"{label:43} {median(rows):6.0f} req/s ({rounds(rows)})")
    # Each round's requests ran seconds apart: their ratio is the least disturbed by other load.
    ratios = [t["rps"] / h["rps"] for t, h in zip(thumbnail, healthz, strict=True)]
    ratio = statistics.median(ratios)
    print(f"cached thumbnail / healthz, median of the rounds: {ratio:.2f} "
          f"({' / '.join(f'{r:.2f}' for r in ratios)}; target >= 0.5): "
          f"{'OK' if ratio >= 0.5 else 'UNDER'}")  # fmt: skip
    kept_ratios = [k["rps"] / h["rps"] for k, h in zip(kept, healthz, strict=True)]
    print(f"kept copy / healthz, median of the rounds: {statistics.median(kept_ratios):.2f}")
    print(f"Graph API calls while timing: {extra_calls}; non-2xx/3xx replies: {errors}")
    print(f"load average before: {load_before:.2f}, after: {os.getloadavg()[0]:.2f} (2 cores)")
    return 0 if calls <= bound and ratio >= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
