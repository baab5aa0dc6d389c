"""A web application on another site calls the API from its page, in a real browser (CORS).

The application's page is served from a second local server (another port: another origin).
Chromium sends its preflights and enforces the replies' CORS fields itself, so what the page
can and cannot read here is what a real web application gets.
"""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mtp.accounts.models import User
from mtp.developers.models import Application
from testing.builders import issue_token

WAIT_MS = 20_000
APP_PAGE = b"<!doctype html><html lang=en><title>A map app</title><h1>A map app</h1></html>"


class _AppPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(APP_PAGE)))
        self.end_headers()
        self.wfile.write(APP_PAGE)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def app_origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AppPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def web_app(transactional_db) -> tuple[str, str]:
    """A web application's client_id and a user's token for it, stored before the browser runs."""
    developer = User.objects.create_user("wendy", "wendy@example.org", "a web developer's pass")
    walker = User.objects.create_user("walter", "walter@example.org", "a walker's long pass")
    application = Application.objects.create(
        name="A map app",
        user=developer,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://maps.example.org/callback",
    )
    return application.client_id, issue_token(walker, application)


FETCH = """async ([url, options]) => {
  try {
    const response = await fetch(url, options);
    const text = await response.text();
    return {
      status: response.status,
      body: text,
      location: response.headers.get("Location"),
      ratelimit: response.headers.get("RateLimit"),
    };
  } catch (error) {
    return {blocked: String(error)};
  }
}"""


@pytest.mark.django_db(transaction=True)
def test_a_page_on_another_site_uses_the_api(web_app, live_site, app_origin, browser):
    client_id, token = web_app
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(app_origin + "/")
        assert page.evaluate("() => location.origin") != live_site
        auth = {"Authorization": f"Bearer {token}"}

        # A bearer token: the browser asks first (preflight), then sends it.
        me = page.evaluate(FETCH, [f"{live_site}/api/v1/me", {"headers": auth}])
        assert me.get("status") == 200, me
        assert '"walter"' in me["body"]
        assert me["ratelimit"]

        # A JSON body: the new draft's address is readable.
        created = page.evaluate(
            FETCH,
            [
                f"{live_site}/api/v1/sequence/create",
                {
                    "method": "POST",
                    "headers": {**auth, "Content-Type": "application/json"},
                    "body": json.dumps({"name": "Harbour walk", "transport_type": "walk"}),
                },
            ],
        )
        assert created.get("status") == 201, created
        assert "/api/v1/sequence/" in created["location"]

        # Public reads with the client_id, and the tiles a map would load.
        listed = page.evaluate(
            FETCH, [f"{live_site}/api/v1/transport-types?client_id={client_id}", {}]
        )
        assert listed.get("status") == 200, listed
        tile = page.evaluate(
            FETCH, [f"{live_site}/api/v1/tiles/2/2/1.mvt?client_id={client_id}", {}]
        )
        assert tile.get("status") == 204, tile

        # An error is readable too, so the app can tell its user what went wrong.
        refused = page.evaluate(
            FETCH, [f"{live_site}/api/v1/me", {"headers": {"Authorization": "Bearer nope"}}]
        )
        assert refused.get("status") == 401, refused
        assert '"error"' in refused["body"]

        # The site's own pages stay closed to other sites: the browser refuses to hand them over.
        for path in ("/accounts/settings/", f"/api/v1/authorize?client_id={client_id}"):
            closed = page.evaluate(FETCH, [f"{live_site}{path}", {}])
            assert "blocked" in closed, (path, closed)
    finally:
        context.close()
