"""Compressed replies: bytes and server time of a sequence of 60 and of 2,000 photos, as its
page, its API JSON, its GeoJSON and its GPX, sent plain, in gzip and in brotli.

Usage (from the project root):

    .venv/bin/python bench/compression/run.py [--samples N]

It makes a SpatiaLite instance of its own in a temporary folder, seeds two published
sequences with testing/builders.py, and asks each through Django's test client in this
process (the middleware, the view, the template), with ``Accept-Encoding`` empty, ``gzip``
and ``gzip, deflate, br`` as browsers send it. It reports each reply's size in bytes and the
median time to answer it in full, so the cost of compressing shows beside what it saves.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ENCODINGS = {"plain": "", "gzip": "gzip", "brotli": "gzip, deflate, br"}


def configure(data_dir: Path) -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(
        {
            "MTP_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "mtp.settings",
            "LOG_LEVEL": "ERROR",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "testserver",
            "MTP_API_RATE_TOKEN": "0",
            "MTP_API_RATE_ADDRESS": "0",
            "MAPILLARY_CLIENT_TOKEN": "MLY|1|bench",
        }
    )
    import django

    django.setup()


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def measure(client, url: str, headers: dict[str, str], samples: int) -> dict[str, tuple]:
    figures = {}
    for name, accepted in ENCODINGS.items():
        extra = {**headers, "HTTP_ACCEPT_ENCODING": accepted}
        size = len(body(client.get(url, **extra)))
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            response = client.get(url, **extra)
            assert response.status_code == 200, (url, response.status_code)
            body(response)
            times.append((time.perf_counter() - started) * 1000)
        figures[name] = (size, statistics.median(times))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=20)
    options = parser.parse_args()
    configure(Path(tempfile.mkdtemp(prefix="mtp-bench-compression-")))

    from django.core.management import call_command
    from django.test import Client

    from testing import builders

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    owner = builders.persona("olivia")
    token = builders.issue_token(owner, builders.uploader_app(builders.persona("dana")))
    auth = builders.bearer(token)
    client = Client()
    print(f"load average at the start: {open('/proc/loadavg').read().split()[:3]}")
    print("| sequence | reply | plain | gzip | brotli |")
    print("|---|---|---|---|---|")
    for photos in (60, 2000):
        route = [
            (6.14 + index * 0.00005, 46.20 + (index % 40) * 0.00001) for index in range(photos)
        ]
        sequence = builders.make_sequence(owner, name=f"{photos} photos", route=route)
        api = f"/api/v1/sequence/{sequence.unique_id}"
        replies = {
            "page": (f"/sequences/{sequence.unique_id}/", {}),
            "API JSON": (api, auth),
            "GeoJSON": (api, {**auth, "HTTP_ACCEPT": "application/geo+json"}),
            "GPX": (api, {**auth, "HTTP_ACCEPT": "application/gpx+xml"}),
        }
        for label, (url, headers) in replies.items():
            figures = measure(client, url, headers, options.samples)
            cells = [f"{size / 1000:,.1f} KB, {ms:.1f} ms" for size, ms in figures.values()]
            print(f"| {photos} photos | {label} | " + " | ".join(cells) + " |", flush=True)
    print(f"load average at the end: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
