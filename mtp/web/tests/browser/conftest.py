"""A real browser (Debian's Chromium, driven by Playwright) against a live server of the site.

Nothing leaves 127.0.0.1: every request for another address is refused and recorded, and the
base map points at a local address that answers 404 (a base map that fails must not break a
page). Pages are served with the strict Content Security Policy the site is meant to run
under, and any violation is recorded. Screenshots go to ``test-output/browser/<test module>/``,
emptied when a run starts (conftest.py at the top).
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Pages reach the Mapillary stand-in on another port of 127.0.0.1 (photo links redirect
    # there); Chromium's local network access checks would ask the user first, as the pages
    # the tests fulfil have no address of their own. Mapillary's CDN is not a local address.
    "--disable-features=LocalNetworkAccessChecks",
]
SCREENSHOTS = settings.BASE_DIR.parent / "test-output" / "browser"
VENDOR = settings.BASE_DIR / "web" / "static" / "vendor" / "maplibre-gl" / "maplibre-gl.mjs"
# The accessibility checker (npm, a development dependency): WCAG 2.1 A and AA rules.
AXE = settings.BASE_DIR.parent / "node_modules" / "axe-core" / "axe.min.js"
# A part of the page that goes busy while axe runs (the list refreshing after the map settled)
# is caught faded: the run says so, and is made again once the page is still.
AXE_RUN = """async () => {
  let busy = false;
  const watch = new MutationObserver(() => {
    busy = true;
  });
  watch.observe(document, {subtree: true, attributes: true, attributeFilter: ["aria-busy"]});
  let result;
  try {
    result = await axe.run(document, {
      runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
      resultTypes: ["violations"],
    });
  } finally {
    watch.disconnect();
  }
  if (busy) return null;
  return result.violations.map((violation) => ({
    rule: violation.id,
    impact: violation.impact,
    where: violation.nodes.slice(0, 3).map((node) => node.target.join(" ")),
  }));
}"""

# The policy the pages are written for: nothing inline, nothing from elsewhere. The map's
# worker is a same-origin module script; its icons are data: URLs in its stylesheet.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def _needs(path: str, what: str) -> None:
    if Path(path).exists():
        return
    message = f"{what} is missing ({path}): run scripts/setup.sh --browser"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Browsing:
    """What the browser did that a test should know about."""

    base_url: str
    folder: Path = SCREENSHOTS
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    inaccessible: dict[str, list] = field(default_factory=dict)
    # Other origins a test lets the browser reach (the Mapillary stand-in's photo links).
    allowed: list[str] = field(default_factory=list)
    shots: int = 0
    # Starts the screenshots' names, for a module whose tests each take some.
    prefix: str = ""

    def screenshot(self, page, name: str, *, full_page: bool = False) -> Path:
        self.shots += 1
        prefix = f"{self.prefix}-" if self.prefix else ""
        path = self.folder / f"{prefix}{self.shots:02}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    def check_accessibility(self, page, name: str) -> None:
        """Run axe-core on the page while no part of it is updating itself (``aria-busy``,
        shown faded while it waits); keep what it finds under ``name``."""
        if not page.evaluate("() => typeof axe !== 'undefined'"):
            page.evaluate(AXE.read_text())
        for _ in range(10):
            page.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")
            found = page.evaluate(AXE_RUN)
            if found is not None:
                break
        else:
            found = [{"rule": "page-never-still", "where": ["[aria-busy]"]}]
        if found:
            self.inaccessible[name] = found


@pytest.fixture
def live_site(seeded, settings) -> Iterator[str]:
    """The site served on 127.0.0.1 at a free port, by a thread sharing the test database."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("127.0.0.1:0")
    server._live_server_modified_settings.enable()
    url = server.url
    settings.SITE_URL = url
    # A local base map address that does not exist: the map must carry on without it.
    settings.MTP_BASEMAP_TILE_URL = f"{url}/basemap-offline/{{z}}/{{x}}/{{y}}.png"
    try:
        yield url
    finally:
        server._live_server_modified_settings.disable()
        server.stop()


@pytest.fixture
def browser():
    _needs(CHROMIUM, "Chromium")
    _needs(str(VENDOR), "The map library (npm ci)")
    _needs(str(AXE), "The accessibility checker (npm ci)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browsing(request, live_site, browser) -> Iterator[tuple[object, Browsing]]:
    """A page in a fresh browser context, guarded as the module docstring says. Screenshots
    go to a folder per test module: ``test-output/browser/<module>/``."""
    folder = SCREENSHOTS / request.module.__name__.rsplit(".", 1)[-1]
    folder.mkdir(parents=True, exist_ok=True)
    log = Browsing(base_url=live_site, folder=folder)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(live_site))
    # Reduced motion: no transition is caught half-way when a page is checked for contrast.
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-GB", reduced_motion="reduce"
    )

    def route(route, request) -> None:
        if not any(request.url.startswith(f"{allowed}/") for allowed in [origin, *log.allowed]):
            log.blocked.append(request.url)
            route.abort()
            return
        if request.resource_type != "document":
            route.continue_()
            return
        # Redirects go back to the browser, which follows them itself.
        response = route.fetch(max_redirects=0)
        headers = dict(response.headers)
        # Pages with a policy of their own (the consent page) keep it.
        if "default-src" not in headers.get("content-security-policy", ""):
            headers["content-security-policy"] = CSP
        route.fulfill(response=response, headers=headers)

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda error: log.errors.append(str(error)))

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            log.violations.append(message.text)

    page.on("console", on_console)
    try:
        yield page, log
    finally:
        context.close()
