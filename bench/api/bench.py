"""API v1 benchmark on PostGIS, through the production server (granian WSGI, 2 workers).

Prints, from one run:
- requests per second of an authenticated create (the uploader's form, with tags and a transport
  type) and of an anonymous GET /healthz, and their ratio (target: >= 0.15);
- p50 and p99 latency of a bbox search that returns 50 of 100,000 published sequences
  (target: p99 < 50 ms).

Run it with bench/api/run.sh, which installs wrk when it is missing. Options: --duration,
--connections, --threads (request threads per server process), --keep (reuse the seeded data).
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "mtp_bench_api"
PG_ADMIN = os.environ.get("MTP_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SEQUENCES = 100_000
# The search box, and the 50 sequences placed inside it; all others start far from it.
BOX = (10.0, 50.0, 10.1, 50.1)
IN_BOX = 50

CREATE_LUA = """
wrk.method = "POST"
wrk.body = "name=Morning+walk&description=Along+the+lake&transport_type=Walk&" ..
           "tag=lake%2Cgeneva%2Cmorning&source=mtpdu"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Bearer TOKEN"
"""


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def configure(data_dir: Path) -> dict[str, str]:
    """Point this process (and the server it starts) at the benchmark database."""
    os.environ.update(
        {
            "DATABASE_URL": f"{PG_ADMIN}/{DATABASE}",
            "MTP_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "mtp.settings",
            "LOG_LEVEL": "ERROR",
            "DEBUG": "0",
            # One token and one address make every request: limits too high to reach, so
            # every request still pays for its count, as in production.
            "MTP_API_RATE_TOKEN": os.environ.get("MTP_API_RATE_TOKEN", "1000000000"),
            "MTP_API_RATE_ADDRESS": os.environ.get("MTP_API_RATE_ADDRESS", "1000000000"),
        }
    )
    import django

    django.setup()
    return dict(os.environ)


def recreate_database() -> None:
    for statement in (f"DROP DATABASE IF EXISTS {DATABASE}", f"CREATE DATABASE {DATABASE}"):
        command = ["psql", f"{PG_ADMIN}/postgres", "-q", "-c", statement]
        subprocess.run(command, check=True)  # noqa: S603, S607 (our own fixed command)


SPREAD_SQL = """
    WITH starts AS (
        SELECT g,
               CASE WHEN x BETWEEN 9 AND 11.2 AND y BETWEEN 49 AND 51.2 THEN x + 30 ELSE x END
                   AS x,
               y
        FROM (SELECT g, random() * 340 - 170 AS x, random() * 120 - 55 AS y
              FROM generate_series(1, %(count)s) g) raw
    ),
    routes AS (
        SELECT g, ST_SetSRID(ST_MakeLine(ARRAY(
            SELECT ST_MakePoint(x + i * 0.0005, y + sin(i + g) * 0.0003)
            FROM generate_series(0, 19) i)), 4326) AS line
        FROM starts
    )
    INSERT INTO sequences_sequence
        (unique_id, owner_id, name, description, transport_type_id, source, status,
         google_street_view, strava, captured_at_start, captured_at_end, geometry,
         bbox_west, bbox_south, bbox_east, bbox_north, distance_m, image_count, is_pano,
         like_count, created_at, updated_at, published_at)
    SELECT gen_random_uuid(), %(owner)s, 'Sequence ' || g, 'A walk', %(walk)s, 'bench',
           'published', '', '', now() - g * interval '1 hour',
           now() - g * interval '1 hour' + interval '10 minutes', line,
           ST_XMin(line), ST_YMin(line), ST_XMax(line), ST_YMax(line),
           ST_Length(line::geography), 20, false, 0, now(), now(), now() - g * interval '1 minute'
    FROM routes
"""

IN_BOX_SQL = """
    WITH routes AS (
        SELECT g, ST_SetSRID(ST_MakeLine(
            ST_MakePoint(%(west)s + random() * 0.08, %(south)s + random() * 0.08),
            ST_MakePoint(%(west)s + random() * 0.08, %(south)s + random() * 0.08)
        ), 4326) AS line
        FROM generate_series(1, %(count)s) g
    )
    INSERT INTO sequences_sequence
        (unique_id, owner_id, name, description, transport_type_id, source, status,
         google_street_view, strava, captured_at_start, captured_at_end, geometry,
         bbox_west, bbox_south, bbox_east, bbox_north, distance_m, image_count, is_pano,
         like_count, created_at, updated_at, published_at)
    SELECT gen_random_uuid(), %(owner)s, 'In the box ' || g, 'A walk', %(walk)s, 'bench',
           'published', '', '', now(), now(), line,
           ST_XMin(line), ST_YMin(line), ST_XMax(line), ST_YMax(line),
           ST_Length(line::geography), 2, false, 0, now(), now(),
           now() - g * interval '90 seconds'
    FROM routes
"""

TAGS_SQL = """
    INSERT INTO sequences_sequence_tags (sequence_id, tag_id)
    SELECT s.id, t.id FROM sequences_sequence s
    JOIN sequences_tag t
      ON t.name IN ('tag-' || (1 + s.id %% 20), 'tag-' || (1 + (s.id + 7) %% 20))
"""


def seed() -> None:
    """Migrate, then insert 100,000 published sequences with routes and two tags each."""
    from django.core.management import call_command
    from django.db import connection

    from mtp.accounts.models import User
    from mtp.sequences.models import Tag, TransportType

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    owner = User.objects.create_user("bench", "bench@example.org", None)
    walk = TransportType.objects.get(name="Walk").pk
    Tag.objects.bulk_create(Tag(name=f"tag-{n}") for n in range(1, 21))
    with connection.cursor() as cursor:
        # Routes spread over the world, none starting near the search box; then 50 inside it.
        common = {"owner": owner.pk, "walk": walk}
        cursor.execute(SPREAD_SQL, {**common, "count": SEQUENCES - IN_BOX})
        cursor.execute(IN_BOX_SQL, {**common, "count": IN_BOX, "west": BOX[0], "south": BOX[1]})
        cursor.execute(TAGS_SQL, {})
        cursor.execute("ANALYZE")


def issue_token() -> tuple[str, str]:
    """A fresh access token of the bench user through a public app, and the app's client_id."""
    from django.utils import timezone
    from oauth2_provider.models import (
        get_access_token_model,
        get_application_model,
        set_token_value,
    )

    from mtp.accounts.models import User

    application_model = get_application_model()
    user = User.objects.get(username="bench")
    app, _ = application_model.objects.get_or_create(
        name="Bench uploader",
        defaults={
            "user": user,
            "client_type": application_model.CLIENT_PUBLIC,
            "authorization_grant_type": application_model.GRANT_IMPLICIT,
            "redirect_uris": "app.mtp.desktop://app",
        },
    )
    raw = secrets.token_urlsafe(32)
    token = get_access_token_model()(
        user=user, application=app, scope="read write", expires=timezone.now() + timedelta(days=1)
    )
    set_token_value(token, raw)
    token.save()
    return raw, app.client_id


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


def wrk(url: str, *, duration: int, connections: int, script: str | None = None) -> dict:
    command = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{duration}s", "--latency"]
    if script:
        command += ["-s", script]
    finished = subprocess.run([*command, url], check=True, capture_output=True, text=True)  # noqa: S603
    output = finished.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    latency = {
        percent: _milliseconds(value)
        for percent, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", output, re.MULTILINE)
    }
    return {
        "rps": rps,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
        "latency_ms": latency,
    }


def _milliseconds(text: str) -> float:
    number = float(re.match(r"[\d.]+", text).group(0))
    if text.endswith("us"):
        return number / 1000
    if text.endswith("ms"):
        return number
    if text.endswith("s"):
        return number * 1000
    return number


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=4, help="request threads per process")
    parser.add_argument("--rounds", type=int, default=3, help="alternating healthz/create rounds")
    parser.add_argument("--keep", action="store_true", help="reuse the seeded database")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench: wrk is missing; run bench/api/run.sh")

    data_dir = ROOT / "var" / "bench-api"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = configure(data_dir)
    if not args.keep:
        say(f"seeding {SEQUENCES:,} sequences into {DATABASE}")
        started = time.monotonic()
        recreate_database()
        seed()
        say(f"seeded in {time.monotonic() - started:.0f} s")
    token, client_id = issue_token()
    from django.db import connections

    connections.close_all()

    load_before = os.getloadavg()[0]
    port = free_port()
    server = start_server(env, port, args.threads)
    base = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory() as scratch:
            script = Path(scratch) / "create.lua"
            script.write_text(CREATE_LUA.replace("TOKEN", token))
            me_script = Path(scratch) / "me.lua"
            me_script.write_text(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
            # Check that each request does what it should before timing it.
            search_url = (
                f"{base}/api/v1/sequences?client_id={client_id}&bbox={','.join(map(str, BOX))}"
            )
            with urllib.request.urlopen(search_url) as reply:  # noqa: S310 (http only)
                found = json.load(reply)["results"]
            assert len(found) == IN_BOX, f"the search found {len(found)}, not {IN_BOX}"

            say("warming up")
            wrk(f"{base}/healthz", duration=3, connections=args.connections)
            wrk(f"{base}/api/v1/sequence/create/", duration=3, connections=args.connections,
                script=str(script))  # fmt: skip
            healthz, create, me = [], [], []
            for round_number in range(1, args.rounds + 1):
                say(f"round {round_number}: GET /healthz for {args.duration} s")
                healthz.append(
                    wrk(f"{base}/healthz", duration=args.duration, connections=args.connections)
                )
                say(f"round {round_number}: GET /api/v1/me for {args.duration} s")
                me.append(
                    wrk(
                        f"{base}/api/v1/me",
                        duration=args.duration,
                        connections=args.connections,
                        script=str(me_script),
                    )
                )
                say(f"round {round_number}: POST /api/v1/sequence/create/ for {args.duration} s")
                create.append(
                    wrk(
                        f"{base}/api/v1/sequence/create/",
                        duration=args.duration,
                        connections=args.connections,
                        script=str(script),
                    )
                )
            say(f"bbox search, one connection, {args.duration} s")
            search = wrk(search_url, duration=args.duration, connections=1)
    finally:
        stop_server(server)

    for name, runs in (("healthz", healthz), ("me", me), ("create", create)):
        for run in runs:
            if run["non_2xx"] or run["socket_errors"]:
                say(f"{name}: {run['non_2xx']} non-2xx, socket errors {run['socket_errors']}")
    healthz_rps = statistics.median(run["rps"] for run in healthz)
    create_rps = statistics.median(run["rps"] for run in create)
    me_rps = statistics.median(run["rps"] for run in me)
    # Each round's measurements are minutes apart at most: their ratio is the least disturbed
    # by other work on the machine.
    ratios = [c["rps"] / h["rps"] for h, c in zip(healthz, create, strict=True)]
    print()
    print(f"server: granian WSGI, 2 workers x {args.threads} threads, PostGIS ({DATABASE})")
    print(f"load:   wrk, {args.connections} connections, {args.rounds} x {args.duration} s each")
    print(f"machine load average: {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print("                                 median req/s   per round")
    for label, runs, median in (
        ("GET  /healthz", healthz, healthz_rps),
        ("GET  /api/v1/me (token only)", me, me_rps),
        ("POST /api/v1/sequence/create/", create, create_rps),
    ):
        rounds = "  ".join(f"{run['rps']:6.0f}" for run in runs)
        print(f"{label:33s}{median:8.0f}       {rounds}")
    per_round = "  ".join(f"{ratio:.3f}" for ratio in ratios)
    print(
        f"create / healthz                 {statistics.median(ratios):8.3f}       {per_round}"
        "   (target >= 0.15)"
    )
    print(
        f"me / healthz                     {me_rps / healthz_rps:8.3f}"
        "       (the floor token authentication sets for any authenticated call)"
    )
    print(
        f"bbox search, 50 of {SEQUENCES:,}: p50 {search['latency_ms']['50']:.1f} ms, "
        f"p99 {search['latency_ms']['99']:.1f} ms   (target p99 < 50 ms), "
        f"{search['rps']:.0f} req/s on one connection"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
