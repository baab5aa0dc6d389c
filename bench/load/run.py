"""Load with faults: two servers and two workers on PostgreSQL, 50 clients, one database restart.

What it runs, all on 127.0.0.1:
- a fresh PostgreSQL database (``mtp_bench_load``), migrated, with one user and one access
  token per client and one public application;
- the Mapillary stand-in (``testing.fake_mapillary``) in its own process, serving one generated
  sequence per import with a little latency on every request;
- two server processes, ``mtp serve --no-worker --workers 1`` on two ports (the clients
  alternate between them), and two ``mtp worker`` processes;
- ``--clients`` concurrent clients for ``--duration`` seconds, each with its own user: create a
  draft (POST /api/v1/sequence/create), read it (GET /api/v1/sequence/<id>), list its own
  sequences (GET /api/v1/sequences?user=<name>), every fourth time the site's home page
  (GET /), and now and then hand a draft an import of the stand-in's sequence
  (PUT /api/v1/sequence/import/<id>), paced so that ``--imports`` are handed over in the
  run. A hand-off answered 503 is sent again after its Retry-After (the uploader polls);
- PostgreSQL restarted once, ``--restart-at`` seconds into the run (``pg_ctlcluster ...
  restart`` for the cluster on the database's port, or ``--restart-command``).

Then it waits (at most ``--settle`` seconds) for every import to end and checks:
- no reply with a 5xx status other than 503 with ``Retry-After``, and no broken connection;
- every sequence answered 201 is in the database;
- every import handed over ended ``succeeded``, its sequence published with every image;
- every server and worker process is still running.

It prints the throughput and the p50 / p99 latency of each kind of request, the 503s and
when they came, and exits non-zero when a check fails. Run it as a user who may restart
PostgreSQL (root, or the postgres user), from the checkout:

    .venv/bin/python bench/load/run.py [--pg postgres://postgres@127.0.0.1:5432]
        [--clients 50] [--duration 60] [--restart-at 30] [--no-restart] [--imports 60]
        [--images 1000] [--latency 0.02] [--json results.json]

The p50 and p99 are of the requests answered (2xx); the 503s are counted apart.
"""

import argparse
import asyncio
import json
import math
import os
import random
import re
import secrets
import shlex
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from testing.fake_mapillary import OWNER  # noqa: E402
from testing.processes import free_port, mtp_command, wait_for_http  # noqa: E402

DATABASE = "mtp_bench_load"
KINDS = ("create", "read", "list", "import", "page")


def say(message: str) -> None:
    print(f"load: {message}", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pg",
        default=os.environ.get("MTP_BENCH_PG", "postgres://postgres@127.0.0.1:5432"),
        help="the PostgreSQL server (its database mtp_bench_load is dropped and re-created)",
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--restart-at", type=float, default=30.0, help="seconds into the load")
    parser.add_argument("--no-restart", action="store_true", help="leave PostgreSQL alone")
    parser.add_argument(
        "--restart-command", default="", help="default: pg_ctlcluster for the server's port"
    )
    parser.add_argument("--imports", type=int, default=60, help="imports handed over in the run")
    parser.add_argument("--images", type=int, default=1000, help="images per imported sequence")
    parser.add_argument("--latency", type=float, default=0.02, help="stand-in latency, seconds")
    parser.add_argument("--threads", type=int, default=4, help="request threads per server")
    parser.add_argument("--settle", type=float, default=300.0, help="most seconds to wait after")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if not args.no_restart and not 0 < args.restart_at < args.duration:
        parser.error("--restart-at must fall inside the run")
    return args


# -- set-up ------------------------------------------------------------------------------------


def database_url(pg: str) -> str:
    return f"{pg.rstrip('/')}/{DATABASE}"


def recreate_database(pg: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg.rstrip('/')}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')


def rate_limit_overrides() -> dict[str, str]:
    """Every API rate limit the settings read (MTP_API_RATE_*), raised out of the way."""
    names = re.findall(r'"(MTP_API_RATE_\w+)"', (ROOT / "mtp" / "settings.py").read_text())
    return {name: "1000000" for name in names if "WINDOW" not in name}


def environment(args: argparse.Namespace, data_dir: Path, stand_in: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        DATABASE_URL=database_url(args.pg),
        MTP_DATA_DIR=str(data_dir),
        SECRET_KEY="load-benchmark-secret-key-" + "x" * 40,
        DJANGO_SETTINGS_MODULE="mtp.settings",
        MAPILLARY_API_URL=stand_in,
        LOG_LEVEL="WARNING",
        DEBUG="0",
        **rate_limit_overrides(),
    )
    return env


@dataclass
class Client:
    username: str
    token: str


def seed(clients: int) -> tuple[list[Client], str]:
    """Migrate; one user and token per client, and the application they act through."""
    from django.core.management import call_command
    from django.utils import timezone
    from oauth2_provider.models import (
        get_access_token_model,
        get_application_model,
        set_token_value,
    )

    from mtp.accounts.models import User

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    application_model = get_application_model()
    developer = User.objects.create_user("loaddev", "loaddev@example.org", None)
    app = application_model.objects.create(
        name="Load uploader",
        user=developer,
        client_type=application_model.CLIENT_PUBLIC,
        authorization_grant_type=application_model.GRANT_IMPLICIT,
        redirect_uris="app.mtp.desktop://app",
    )
    result = []
    for number in range(clients):
        user = User.objects.create_user(f"load{number:03d}", f"load{number:03d}@example.org", None)
        raw = secrets.token_urlsafe(32)
        token = get_access_token_model()(
            user=user,
            application=app,
            scope="read write",
            expires=timezone.now() + timedelta(days=1),
        )
        set_token_value(token, raw)
        token.save()
        result.append(Client(user.username, raw))
    return result, app.client_id


def restart_command(args: argparse.Namespace) -> list[str]:
    """``pg_ctlcluster <version> <name> restart`` for the cluster listening on the port."""
    if args.restart_command:
        return shlex.split(args.restart_command)
    port = urlsplit(args.pg).port or 5432
    listing = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True)
    for line in listing.stdout.splitlines():
        version, name, cluster_port, *_ = line.split()
        if int(cluster_port) == port:
            return ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"]
    raise SystemExit(f"load: no local PostgreSQL cluster on port {port}; use --restart-command")


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as output:
        return subprocess.Popen(  # noqa: S603 (our own commands)
            command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


# -- the load ----------------------------------------------------------------------------------


@dataclass
class Record:
    kind: str
    started: float
    seconds: float
    status: int
    retry_after: str | None


@dataclass
class Results:
    records: list[Record] = field(default_factory=list)
    broken: Counter = field(default_factory=Counter)
    created: list[str] = field(default_factory=list)
    # Imports handed over (answered 200 or 202): sequence unique_id -> Mapillary key.
    imported: dict[str, str] = field(default_factory=dict)
    # Hand-offs refused for a reason other than a 503.
    refused: list[tuple[str, int, str]] = field(default_factory=list)
    # Hand-offs still waiting for a 2xx: (when to send again, unique_id, key).
    pending: list[tuple[float, str, str]] = field(default_factory=list)
    restart: tuple[float, float] | None = None
    began: float = 0.0
    ended: float = 0.0


class Load:
    def __init__(self, args, clients, servers, keys, results: Results) -> None:
        self.args = args
        self.clients = clients
        self.servers = servers
        self.keys = list(keys)
        self.results = results
        self.given = 0
        self.deadline = 0.0
        # Who owns each sequence handed an import, to send a hand-off again for them.
        self.owners: dict[str, Client] = {}

    async def request(
        self, http: httpx.AsyncClient, kind: str, method: str, url: str, **options
    ) -> httpx.Response | None:
        started = time.monotonic()
        try:
            reply = await http.request(method, url, **options)
        except httpx.HTTPError as error:
            self.results.broken[f"{kind}: {type(error).__name__}"] += 1
            return None
        self.results.records.append(
            Record(
                kind,
                started - self.results.began,
                time.monotonic() - started,
                reply.status_code,
                reply.headers.get("Retry-After"),
            )
        )
        return reply

    def import_due(self) -> bool:
        """Whether an import should be handed over now, to spread them over the run."""
        elapsed = time.monotonic() - self.results.began
        due = min(len(self.keys), math.floor(elapsed / self.args.duration * len(self.keys)) + 1)
        if self.given < due:
            self.given += 1
            return True
        return False

    async def hand_over(self, http, client: Client, unique_id: str, key: str) -> None:
        self.owners[unique_id] = client
        reply = await self.request(
            http,
            "import",
            "PUT",
            f"/api/v1/sequence/import/{unique_id}",
            headers={"Authorization": f"Bearer {client.token}"},
            json={"mapillary_user_token": OWNER.token, "mapillary_sequence_key": key},
        )
        if reply is not None and reply.status_code in (200, 202):
            self.results.imported[unique_id] = key
        elif reply is not None and reply.status_code != 503:
            self.results.refused.append((unique_id, reply.status_code, reply.text[:200]))
        else:
            # A 503 (or a broken connection): the uploader tries again after Retry-After.
            wait = 1.0
            if reply is not None and (reply.headers.get("Retry-After") or "").isdigit():
                wait = float(reply.headers["Retry-After"])
            self.results.pending.append((time.monotonic() + min(wait, 10.0), unique_id, key))

    async def client(self, number: int, client: Client) -> None:
        base = self.servers[number % len(self.servers)]
        auth = {"Authorization": f"Bearer {client.token}"}
        mine: list[str] = []
        timeout = httpx.Timeout(30.0)
        async with httpx.AsyncClient(base_url=base, timeout=timeout) as http:
            # Start at different moments, as real clients do.
            await asyncio.sleep(random.uniform(0, 0.5))
            step = 0
            while time.monotonic() < self.deadline:
                step += 1
                reply = await self.request(
                    http,
                    "create",
                    "POST",
                    "/api/v1/sequence/create/",
                    headers=auth,
                    data={
                        "name": f"Walk {step} of {client.username}",
                        "description": "Along the river",
                        "transport_type": "Walk",
                        "tag": "river,morning",
                        "source": "mtpdu",
                    },
                )
                if reply is not None and reply.status_code == 201:
                    unique_id = reply.json()["unique_id"]
                    self.results.created.append(unique_id)
                    mine.append(unique_id)
                if mine:
                    await self.request(
                        http, "read", "GET", f"/api/v1/sequence/{random.choice(mine)}", headers=auth
                    )
                await self.request(
                    http,
                    "list",
                    "GET",
                    "/api/v1/sequences",
                    params={"user": client.username, "limit": 20},
                    headers=auth,
                )
                if step % 4 == 0:
                    # The website too: its home page lists the latest published sequences.
                    await self.request(http, "page", "GET", "/")
                now = time.monotonic()
                due = [item for item in self.results.pending if item[0] <= now]
                if due:
                    item = due[0]
                    self.results.pending.remove(item)
                    await self.hand_over(http, self.owners[item[1]], item[1], item[2])
                elif mine and self.import_due():
                    await self.hand_over(http, client, mine.pop(), self.keys[self.given - 1])

    async def run(self) -> None:
        self.results.began = time.monotonic()
        self.deadline = self.results.began + self.args.duration
        tasks = [
            asyncio.create_task(self.client(number, client))
            for number, client in enumerate(self.clients)
        ]
        restart = None
        if not self.args.no_restart:
            restart = asyncio.create_task(self.restart())
        await asyncio.gather(*tasks)
        if restart is not None:
            await restart
        self.results.ended = time.monotonic()

    async def restart(self) -> None:
        command = restart_command(self.args)
        await asyncio.sleep(self.results.began + self.args.restart_at - time.monotonic())
        began = time.monotonic() - self.results.began
        say(f"restarting PostgreSQL: {' '.join(command)}")
        finished = await asyncio.to_thread(
            subprocess.run, command, capture_output=True, text=True, check=False
        )
        ended = time.monotonic() - self.results.began
        self.results.restart = (began, ended)
        say(f"PostgreSQL restarted in {ended - began:.2f} s (exit {finished.returncode})")
        if finished.returncode != 0:
            say(finished.stderr.strip())

    async def send_pending(self) -> None:
        """Hand-offs still answered 503 at the end: send them again until accepted (bounded)."""
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(base_url=self.servers[0], timeout=30.0) as http:
            while self.results.pending and time.monotonic() < deadline:
                when, unique_id, key = min(self.results.pending)
                await asyncio.sleep(max(0.0, when - time.monotonic()))
                self.results.pending.remove((when, unique_id, key))
                await self.hand_over(http, self.owners[unique_id], unique_id, key)


# -- checks and figures ------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def wait_for_imports(results: Results, settle: float) -> dict[str, tuple[str, str, int, int]]:
    """Each imported sequence's last job: (status, error, image count, attempts), once none is
    active."""
    from django.db import connections

    from mtp.imports.models import ImportJob
    from mtp.sequences.models import Sequence

    connections.close_all()
    deadline = time.monotonic() + settle
    ids = list(results.imported)
    while True:
        rows = Sequence.objects.filter(unique_id__in=ids).values_list("unique_id", "pk")
        sequences = {str(unique_id): pk for unique_id, pk in rows}
        jobs = {}
        for job in ImportJob.objects.filter(sequence_id__in=sequences.values()).order_by(
            "created_at", "id"
        ):
            jobs[job.sequence_id] = job
        active = [job for job in jobs.values() if job.is_active]
        if not active or time.monotonic() > deadline:
            break
        time.sleep(1)
    rows = Sequence.objects.filter(unique_id__in=ids).values_list("unique_id", "image_count")
    counts = {str(unique_id): count for unique_id, count in rows}
    outcome = {}
    for unique_id in ids:
        pk = sequences.get(unique_id)
        job = jobs.get(pk)
        if job is None:
            outcome[unique_id] = ("missing", "", 0, 0)
        else:
            outcome[unique_id] = (
                job.status,
                job.last_error,
                counts.get(unique_id, 0),
                job.attempts,
            )
    durations = [
        (job.finished_at - job.started_at).total_seconds()
        for job in jobs.values()
        if job.finished_at and job.started_at
    ]
    if durations:
        say(
            f"imports took {percentile(durations, 0.5):.2f} s (median), "
            f"{max(durations):.2f} s at most, from a worker taking the job to its end"
        )
    return outcome


def stored(unique_ids: list[str]) -> int:
    from mtp.sequences.models import Sequence

    found = 0
    for start in range(0, len(unique_ids), 1000):
        chunk = unique_ids[start : start + 1000]
        found += Sequence.objects.filter(unique_id__in=chunk).count()
    return found


def report(args, results: Results, outcome, processes, logs) -> tuple[dict, list[str]]:
    failures = []
    wall = results.ended - results.began
    records = results.records
    statuses = Counter(record.status for record in records)
    bad = [r for r in records if r.status >= 500 and not (r.status == 503 and r.retry_after)]
    if bad:
        failures.append(
            f"{len(bad)} replies were a 5xx other than 503 with Retry-After: "
            + ", ".join(f"{r.kind} {r.status} at {r.started:.1f}s" for r in bad[:10])
        )
    if results.broken:
        failures.append(f"broken connections: {dict(results.broken)}")
    in_db = stored(results.created)
    if in_db != len(results.created):
        failures.append(f"{len(results.created) - in_db} sequences answered 201 are not stored")
    if results.refused:
        failures.append(f"import hand-offs refused: {results.refused[:5]}")
    if results.pending:
        failures.append(f"{len(results.pending)} import hand-offs never accepted")
    not_done = {uid: o for uid, o in outcome.items() if o[0] != "succeeded" or o[2] != args.images}
    if not_done:
        failures.append(f"imports that did not succeed whole: {list(not_done.items())[:5]}")
    for name, process in processes.items():
        if process.poll() is not None:
            failures.append(f"{name} exited with {process.returncode}; see {logs[name]}")

    kinds = {}
    for kind in KINDS:
        mine = [r for r in records if r.kind == kind]
        ok = [r.seconds for r in mine if r.status < 400]
        kinds[kind] = {
            "requests": len(mine),
            "per_second": round(len(mine) / wall, 1),
            "p50_ms": round(percentile(ok, 0.5) * 1000, 1) if ok else None,
            "p99_ms": round(percentile(ok, 0.99) * 1000, 1) if ok else None,
            "statuses": dict(sorted(Counter(r.status for r in mine).items())),
        }
    unavailable = sorted(r.started for r in records if r.status == 503)
    worker_log = "".join(logs[name].read_text() for name in ("worker-1", "worker-2"))
    figures = {
        "clients": args.clients,
        "duration_s": round(wall, 1),
        "requests": len(records),
        "per_second": round(len(records) / wall, 1),
        "p50_ms": round(percentile([r.seconds for r in records], 0.5) * 1000, 1),
        "p99_ms": round(percentile([r.seconds for r in records], 0.99) * 1000, 1),
        "statuses": dict(sorted(statuses.items())),
        "kinds": kinds,
        "restart_s": [round(t, 2) for t in results.restart] if results.restart else None,
        "503": {
            "count": len(unavailable),
            "first_s": round(unavailable[0], 2) if unavailable else None,
            "last_s": round(unavailable[-1], 2) if unavailable else None,
        },
        "created": len(results.created),
        "created_stored": in_db,
        "imports": len(results.imported),
        "imports_succeeded": sum(1 for o in outcome.values() if o[0] == "succeeded"),
        "images_per_import": args.images,
        "import_attempts": dict(sorted(Counter(o[3] for o in outcome.values()).items())),
        "worker_log": {
            "database unavailable": worker_log.count("the database is unavailable"),
            "imports given back": worker_log.count("giving the job back"),
            "tracebacks": worker_log.count("Traceback"),
        },
        "load_average_after": round(os.getloadavg()[0], 2),
        "slowest": [
            (r.kind, round(r.started, 2), round(r.seconds * 1000), r.status)
            for r in sorted(records, key=lambda r: r.seconds)[-8:]
        ],
    }
    # Throughput outside and around the restart, in 5-second slices.
    slices = defaultdict(int)
    for record in records:
        slices[int(record.started // 5) * 5] += 1
    figures["per_second_by_5s"] = {start: round(n / 5, 1) for start, n in sorted(slices.items())}
    return figures, failures


def show(figures: dict, failures: list[str]) -> None:
    print()
    print(
        f"{figures['clients']} clients for {figures['duration_s']} s: {figures['requests']} "
        f"requests, {figures['per_second']} req/s, p50 {figures['p50_ms']} ms, "
        f"p99 {figures['p99_ms']} ms"
    )
    print(f"{'kind':8s} {'requests':>8s} {'req/s':>7s} {'p50 ms':>8s} {'p99 ms':>8s}  statuses")
    for kind, row in figures["kinds"].items():
        print(
            f"{kind:8s} {row['requests']:8d} {row['per_second']:7.1f} "
            f"{row['p50_ms'] or 0:8.1f} {row['p99_ms'] or 0:8.1f}  {row['statuses']}"
        )
    if figures["restart_s"]:
        began, ended = figures["restart_s"]
        print(f"PostgreSQL restart from {began} s to {ended} s into the run")
    unavailable = figures["503"]
    span = f", from {unavailable['first_s']} s to {unavailable['last_s']} s"
    print(f"503 with Retry-After: {unavailable['count']}" + (span if unavailable["count"] else ""))
    print("req/s by 5 s:", " ".join(f"{v:.0f}" for v in figures["per_second_by_5s"].values()))
    print(
        f"created {figures['created']}, stored {figures['created_stored']}; imports "
        f"{figures['imports']}, succeeded {figures['imports_succeeded']} "
        f"({figures['images_per_import']} images each)"
    )
    print(f"import attempts (attempts: imports): {figures['import_attempts']}")
    print(f"worker logs: {figures['worker_log']}")
    print(f"load average after: {figures['load_average_after']}")
    print("slowest (kind, started s, ms, status):", figures["slowest"])
    print()
    for failure in failures:
        print(f"FAILED: {failure}")
    print("PASSED" if not failures else f"{len(failures)} check(s) failed")


def ensure_postgres_running(args: argparse.Namespace) -> None:
    """Never leave PostgreSQL stopped: start the cluster if it does not answer."""
    parts = urlsplit(args.pg)
    ready = ["pg_isready", "-q", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    for _ in range(30):
        if subprocess.run(ready, check=False).returncode == 0:
            return
        time.sleep(1)
    command = restart_command(args)
    if command[:1] == ["pg_ctlcluster"]:
        say("PostgreSQL does not answer: starting it")
        subprocess.run([*command[:-1], "start"], check=False)


def main() -> int:
    args = parse_args()
    data_dir = ROOT / "var" / "bench-load"
    data_dir.mkdir(parents=True, exist_ok=True)
    for old in data_dir.glob("*.log"):
        old.unlink()
    if not args.no_restart:
        restart_command(args)  # fail early when there is no cluster to restart

    stand_in_port = free_port()
    stand_in_url = f"http://127.0.0.1:{stand_in_port}"
    env = environment(args, data_dir, stand_in_url)
    os.environ.update(env)
    import django

    django.setup()
    say(f"creating the database {DATABASE} with {args.clients} users")
    recreate_database(args.pg)
    clients, _client_id = seed(args.clients)
    from django.db import connections

    connections.close_all()

    keys = [f"load-{number:04d}" for number in range(args.imports)]
    logs = {
        name: data_dir / f"{name}.log"
        for name in ("stand-in", "server-1", "server-2", "worker-1", "worker-2")
    }
    processes: dict[str, subprocess.Popen] = {}
    try:
        processes["stand-in"] = start(
            [sys.executable, "-m", "testing.fake_mapillary", "--port", str(stand_in_port)]
            + ["--latency", str(args.latency)]
            + [item for key in keys for item in ("--sequence", f"{key}={args.images}")],
            env,
            logs["stand-in"],
        )
        wait_for_http(f"{stand_in_url}/me", process=processes["stand-in"])
        servers = []
        for name in ("server-1", "server-2"):
            port = free_port()
            processes[name] = start(
                mtp_command("serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port))
                + ["--workers", "1", "--threads", str(args.threads)],
                env,
                logs[name],
            )
            # One after the other: each applies migrations and collects static files first.
            wait_for_http(f"http://127.0.0.1:{port}/healthz", 120, processes[name])
            servers.append(f"http://127.0.0.1:{port}")
        for name in ("worker-1", "worker-2"):
            processes[name] = start(mtp_command("worker"), env, logs[name])
        say(
            f"servers on {', '.join(servers)}; 2 workers; stand-in on {stand_in_url} "
            f"({args.imports} sequences of {args.images} images, {args.latency * 1000:.0f} ms)"
        )
        results = Results()
        load = Load(args, clients, servers, keys, results)
        say(
            f"{args.clients} clients for {args.duration:.0f} s"
            + ("" if args.no_restart else f", PostgreSQL restarted at {args.restart_at:.0f} s")
        )
        asyncio.run(load.run())
        if results.pending:
            say(f"sending {len(results.pending)} import hand-offs again")
            asyncio.run(load.send_pending())
        say(f"waiting for {len(results.imported)} imports to end (at most {args.settle:.0f} s)")
        outcome = wait_for_imports(results, args.settle)
        figures, failures = report(args, results, outcome, processes, logs)
    finally:
        for process in processes.values():
            stop(process)
        if not args.no_restart:
            ensure_postgres_running(args)
    show(figures, failures)
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "failures": failures}, indent=2))
    if failures:
        say(f"logs are in {data_dir}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
