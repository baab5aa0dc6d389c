"""Rate limiter benchmark: what counting costs, and whether counts stay exact under concurrency.

For each store (the database cache on SpatiaLite and on PostgreSQL, and Redis) it prints:
- microseconds per count (``mtp.lib.ratelimit.hit``), against Django's cache API doing the same
  (``add``, then ``get`` and ``set``), and their ratio (target: the limiter's own path at least
  3 times cheaper on the databases);
- counts lost when 4 processes count 500 requests each on one key (target: 0), against the
  cache API's read-and-write;
- the cost of a whole authenticated API read (GET /api/v1/me, in-process) with the limit on
  and off, and the share the limit takes.

Each figure is the median of 5 interleaved rounds of ``--count`` calls, and the machine's
load average is printed: on a shared machine the figures move with it.

Usage: bench/ratelimit/run.sh [--count N]. MTP_BENCH_PG names the PostgreSQL server (default
postgres://postgres@127.0.0.1:5432); the benchmark drops and re-creates mtp_bench_ratelimit.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("MTP_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DATABASE = "mtp_bench_ratelimit"
PROCESSES = 4
PER_PROCESS = 500
ROUNDS = 5


def say(message: str) -> None:
    print(message, flush=True)


# -- inside one Django process -----------------------------------------------------------------


def _cache_api_count(key: str, timeout: int) -> int:
    """What counting through Django's cache API takes: add, else read and write back."""
    from django.core.cache import cache

    if cache.add(key, 1, timeout=timeout):
        return 1
    count = int(cache.get(key) or 0) + 1
    cache.set(key, count, timeout=timeout)
    return count


def _per_call(function, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        function()
    return (time.perf_counter() - start) / count * 1e6


def measure(count: int) -> dict:
    """Microseconds per count, by the limiter and by the cache API, and per API read."""
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model, get_application_model

    from mtp.accounts.models import User
    from mtp.lib import ratelimit
    from mtp.lib.ratelimit import Policy

    policy = Policy("bench", 10**9, 3600)
    rounds: dict[str, list[float]] = {
        "limiter_us": [],
        "cache_api_us": [],
        "request_on_us": [],
        "request_off_us": [],
    }
    user, _ = User.objects.get_or_create(username="bench")
    application, _ = get_application_model().objects.get_or_create(
        name="bench", user=user, client_type="public", authorization_grant_type="implicit"
    )
    raw = "bench-token-" + os.urandom(8).hex()
    token = get_access_token_model()(
        user=user,
        application=application,
        scope="read write",
        expires=timezone.now() + timezone.timedelta(days=1),
    )
    from oauth2_provider.models import set_token_value

    set_token_value(token, raw)
    token.save()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_HOST="localhost")
    assert client.get("/api/v1/me").status_code == 200
    # The machine is shared: interleaved rounds, and the median of each figure.
    for _ in range(ROUNDS):
        rounds["limiter_us"].append(_per_call(lambda: ratelimit.hit(policy, "client"), count))
        rounds["cache_api_us"].append(
            _per_call(lambda: _cache_api_count("bench-cache-api", 3600), count)
        )
        settings.MTP_API_RATE_TOKEN = 10**9
        rounds["request_on_us"].append(_per_call(lambda: client.get("/api/v1/me"), count))
        settings.MTP_API_RATE_TOKEN = 0
        rounds["request_off_us"].append(_per_call(lambda: client.get("/api/v1/me"), count))
    return {name: statistics.median(values) for name, values in rounds.items()}


def hammer(which: str, key: str) -> None:
    """Count PER_PROCESS requests on one key (run in several processes at once)."""
    import django

    django.setup()
    from mtp.lib import ratelimit
    from mtp.lib.ratelimit import Policy

    policy = Policy(key, 10**9, 3600)
    for _ in range(PER_PROCESS):
        if which == "limiter":
            ratelimit.hit(policy, "client")
        else:
            _cache_api_count(f"bench-{key}", 3600)


def final_count(which: str, key: str) -> int:
    import django

    django.setup()
    from django.core.cache import cache

    from mtp.lib import ratelimit
    from mtp.lib.ratelimit import Policy

    if which == "limiter":
        return ratelimit.peek(Policy(key, 10**9, 3600), "client").count - 1
    return int(cache.get(f"bench-{key}") or 0)


# -- the driver ----------------------------------------------------------------------------------


def run_python(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(result.stdout + result.stderr)
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def prepare(env: dict) -> None:
    subprocess.run(
        [sys.executable, "-m", "mtp.cli", "migrate", "--noinput", "-v", "0"], env=env, check=True
    )
    subprocess.run([sys.executable, "-m", "mtp.cli", "createcachetable"], env=env, check=True)


def lost_counts(env: dict, which: str, key: str) -> int:
    processes = [
        subprocess.Popen([sys.executable, __file__, "--hammer", which, key], env=env)
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.wait()
    counted = int(run_python(env, "--final", which, key))
    return PROCESSES * PER_PROCESS - counted


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    from testing.processes import free_port

    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        cwd=folder,
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--measure", action="store_true")
    parser.add_argument("--hammer", nargs=2)
    parser.add_argument("--final", nargs=2)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.count)))
        return
    if args.hammer:
        hammer(*args.hammer)
        return
    if args.final:
        print(final_count(*args.final))
        return

    folder = Path(tempfile.mkdtemp(prefix="mtp-bench-ratelimit-"))
    base = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mtp.settings",
        "MTP_DATA_DIR": str(folder),
        "LOG_LEVEL": "WARNING",
    }
    base.pop("DATABASE_URL", None)
    base.pop("REDIS_URL", None)
    subprocess.run(
        ["psql", PG_ADMIN + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {DATABASE}"], check=True
    )
    subprocess.run(
        ["psql", PG_ADMIN + "/postgres", "-qc", f"CREATE DATABASE {DATABASE}"], check=True
    )
    redis, redis_url = start_redis(folder)
    stores = {
        "SpatiaLite": base,
        "PostgreSQL": {**base, "DATABASE_URL": f"{PG_ADMIN}/{DATABASE}"},
        "Redis (SpatiaLite beside)": {**base, "REDIS_URL": redis_url},
    }
    say(f"load average: {' '.join(f'{value:.1f}' for value in os.getloadavg())}")
    try:
        for name, env in stores.items():
            prepare(env)
            figures = json.loads(run_python(env, "--measure", "--count", str(args.count)))
            key = f"lost-{int(time.time())}"
            lost = {which: lost_counts(env, which, key) for which in ("limiter", "cache-api")}
            share = (figures["request_on_us"] - figures["request_off_us"]) / figures[
                "request_on_us"
            ]
            say(f"== {name} ==")
            say(
                f"count: limiter {figures['limiter_us']:.0f} us, cache API "
                f"{figures['cache_api_us']:.0f} us, ratio "
                f"{figures['cache_api_us'] / figures['limiter_us']:.1f}x"
            )
            say(
                f"lost of {PROCESSES * PER_PROCESS} counts from {PROCESSES} processes: "
                f"limiter {lost['limiter']}, cache API {lost['cache-api']}"
            )
            say(
                f"GET /api/v1/me: {figures['request_off_us']:.0f} us without the limit, "
                f"{figures['request_on_us']:.0f} us with it ({share:.0%} of the request)"
            )
    finally:
        redis.terminate()
        redis.wait()
        subprocess.run(
            ["psql", PG_ADMIN + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {DATABASE}"],
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
