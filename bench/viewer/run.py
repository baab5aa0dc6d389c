"""Sequence page benchmark: the first photo painted, and the next photo when it was preloaded.

Usage (from the project root, after ``scripts/setup.sh --browser``):

    .venv/bin/python bench/viewer/run.py [--runs 15] [--steps 60] [--latency 0.05]

It starts the Mapillary stand-in in this process with ``--latency`` seconds added to every
answer (its Graph API and its photo links alike), an instance of its own (SpatiaLite in
``var/bench-photos``, ``mtp serve``, the stand-in's application token), and publishes
``--runs`` sequences of 60 photos whose photos the stand-in serves. Then, in Chromium:

- **First photo.** For each sequence, a fresh browser (no cache) opens its page, and the time
  from the start of the navigation to the first photo's paint is read from the Element Timing
  API (``elementtiming`` on the page's ``<img>``). Every sequence is opened once with the
  server's link cache empty (``cold``: the server resolves the link through the Graph API),
  then again (``warm``: the link is cached, the browser's cache is not). Beside it, the time
  to fetch that photo alone from the stand-in, in the same run: the Graph API call for its
  link and the photo at that link (``alone``), and the photo alone at a link already known
  (``photo only``). Target: the page's median within 1.5x of ``alone``. It also prints when
  the page's HTML had arrived, the part of the wait that is not the photo's.
- **Next photo.** On one page, ``--steps`` times: wait until the next photo is preloaded,
  step (as the arrow key does), and time until the new photo is on screen (the viewer's
  ``photoshown`` event, then the next animation frame). Target: p95 under 100 ms.
"""

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from testing.fake_mapillary.photos import jpeg  # noqa: E402
from testing.fake_mapillary.server import APPLICATION_TOKEN, FakeMapillary  # noqa: E402
from testing.processes import free_port, mtp_command, running, wait_for_http  # noqa: E402

PHOTOS = 60
# Thumbnails in the page's strip (mtp.web.views).
STRIP = 11
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="sequences opened (first photo)")
    parser.add_argument("--steps", type=int, default=60, help="steps timed (next photo)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added upstream")
    return parser.parse_args()


def publish(fake: FakeMapillary, runs: int) -> list[tuple[str, str]]:
    """Migrate, and publish ``runs`` sequences of the stand-in's photos.

    Returns each sequence's page path and its first photo's key.
    """
    from django.contrib.gis.geos import Point
    from django.core.management import call_command
    from django.utils import timezone

    from mtp.accounts.models import User
    from mtp.sequences.models import Image, Sequence, TransportType

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    owner = User.objects.create_user("bench", "bench@example.org", None)
    walk = TransportType.objects.filter(parent__isnull=False).first()
    pages = []
    for run in range(runs):
        served = fake.add_sequence(f"benchphotos{run:03d}", PHOTOS)
        keys = served.all_ids()
        sequence = Sequence.objects.create(owner=owner, name=f"Walk {run}", transport_type=walk)
        points = [(10.39 + 0.0002 * i, 63.43 + 0.0001 * run) for i in range(PHOTOS)]
        start = timezone.now()
        sequence.set_route(points, [start] * PHOTOS)
        sequence.image_count = PHOTOS
        sequence.status = Sequence.Status.PUBLISHED
        sequence.published_at = start
        sequence.save()
        Image.objects.bulk_create(
            Image(
                sequence=sequence,
                key=key,
                mapillary_key=key,
                position=i,
                point=Point(*points[i], srid=4326),
                captured_at=start,
                compass_angle=90.0,
            )
            for i, key in enumerate(keys)
        )
        pages.append((sequence.get_absolute_url(), keys[0]))
        # Mapillary's CDN serves files it already has, where the stand-in draws each photo the
        # first time it is asked for it: draw what the page asks for first (the photo, the two
        # preloaded after it, the strip's thumbnails), so the page is not timed drawing them.
        for key in keys[:3]:
            jpeg(key, "1024", False)
        for key in keys[:STRIP]:
            jpeg(key, "256", False)
    return pages


FIRST_PAINT = """() => new Promise((resolve) => {
  const done = (entry) => {
    const page = performance.getEntriesByType("navigation")[0];
    resolve([entry.renderTime || entry.loadTime, page.responseEnd]);
  };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.identifier === "first-photo") done(entry);
    }
  }).observe({ type: "element", buffered: true });
})"""

STEP = """async () => {
  const root = document.getElementById("viewer");
  const viewer = root.mtpViewer;
  const next = viewer.photos[viewer.position + 1][0];
  await viewer.images.get(next).ready;
  const shown = new Promise((resolve) => {
    root.addEventListener("photoshown", resolve, { once: true });
  });
  const start = performance.now();
  viewer.step(1);
  await shown;
  await new Promise((resolve) => requestAnimationFrame(() => resolve()));
  return performance.now() - start;
}"""


def time_alone(fake: FakeMapillary, key: str) -> tuple[float, float]:
    """The photo fetched alone from the stand-in: Graph API + photo, and the photo only (s)."""
    with httpx.Client() as http:
        start = time.perf_counter()
        answer = http.get(
            f"{fake.url}/images",
            params={"image_ids": key, "fields": "id,thumb_1024_url"},
            headers={"Authorization": f"OAuth {APPLICATION_TOKEN}"},
        )
        link = answer.json()["data"][0]["thumb_1024_url"]
        photo_start = time.perf_counter()
        photo = http.get(link)
        end = time.perf_counter()
        assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    return end - start, end - photo_start


def main() -> int:
    args = parse_args()
    from playwright.sync_api import sync_playwright

    data_dir = ROOT / "var" / "bench-photos"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with FakeMapillary(latency=args.latency) as fake:
        env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        env.update(
            SITE_URL=base,
            MTP_DATA_DIR=str(data_dir),
            SECRET_KEY="photos-benchmark-secret-key-" + "x" * 40,
            DJANGO_SETTINGS_MODULE="mtp.settings",
            MAPILLARY_API_URL=fake.url,
            MAPILLARY_CLIENT_TOKEN=APPLICATION_TOKEN,
            MTP_KEEP_PHOTOS="0",
            LOG_LEVEL="WARNING",
            DEBUG="0",
        )
        os.environ.update(env)
        import django

        django.setup()
        say(f"publishing {args.runs} sequences of {PHOTOS} photos")
        pages = publish(fake, args.runs)
        from django.db import connections

        connections.close_all()
        command = mtp_command("serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port))
        with running(command, env, data_dir / "server.log") as server:
            wait_for_http(f"{base}/healthz", 120, server)
            say(f"server on {base}; stand-in on {fake.url} with {args.latency * 1000:.0f} ms")
            figures = measure(args, base, fake, pages, sync_playwright)
    show(args, figures)
    return 0


def measure(args, base: str, fake: FakeMapillary, pages, sync_playwright) -> dict:
    cold, warm, alone, photo_only, steps, html = [], [], [], [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # One page first, so that the server, the browser and the stand-in are warmed up.
            first_photo(browser, base, pages[-1][0])
            for path, key in pages[:-1]:
                painted, page_end = first_photo(browser, base, path)
                cold.append(painted)
                html.append(page_end)
                warm.append(first_photo(browser, base, path)[0])
                both, only = time_alone(fake, key)
                alone.append(both * 1000)
                photo_only.append(only * 1000)
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.goto(f"{base}{pages[0][0]}")
            page.wait_for_function("() => document.getElementById('viewer').mtpViewer")
            for _ in range(min(args.steps, PHOTOS - 1)):
                steps.append(page.evaluate(STEP))
            context.close()
        finally:
            browser.close()
    return {
        "cold": cold,
        "warm": warm,
        "alone": alone,
        "photo_only": photo_only,
        "steps": steps,
        "html": html,
    }


def first_photo(browser, base: str, path: str) -> float:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{base}{path}", wait_until="commit")
        painted, html = page.evaluate(FIRST_PAINT)
        return painted, html
    finally:
        context.close()


def show(args, figures: dict) -> None:
    median = statistics.median
    alone = median(figures["alone"])
    latency = args.latency * 1000
    print()
    print(f"Sequence page, {latency:.0f} ms added upstream latency, {len(figures['cold'])} pages")
    print(f"  photo alone from the stand-in (Graph API + photo): median {alone:7.1f} ms")
    only = median(figures["photo_only"])
    print(f"  photo alone at a known link (photo only):          median {only:7.1f} ms")
    html = median(figures["html"])
    print(f"  the page's HTML received (cold):                   median {html:7.1f} ms")
    for name in ("cold", "warm"):
        values = figures[name]
        print(
            f"  first photo painted, server link cache {name:4}: median {median(values):7.1f} ms"
            f"  p90 {percentile(values, 0.9):7.1f} ms  ratio to alone {median(values) / alone:.2f}x"
        )
    steps = figures["steps"]
    print(f"Next photo when preloaded, {len(steps)} steps")
    print(
        f"  p50 {percentile(steps, 0.5):6.1f} ms  p95 {percentile(steps, 0.95):6.1f} ms"
        f"  max {max(steps):6.1f} ms  (target: p95 under 100 ms)"
    )


if __name__ == "__main__":
    sys.exit(main())
