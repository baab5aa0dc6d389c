"""A new user's whole way, in a real browser: from signing up to their sequence on the map.

Sign up, log out and in again, register an app, authorize it (implicit flow), let the app
create a sequence and import it from the Mapillary stand-in through the API, watch the import
on "My sequences" while a real worker runs it, find the sequence on the explore map, open its
page, download its route, and revoke the app. A screenshot of each step is kept in
``test-output/browser/test_journey/``, some on a phone-sized screen.
"""

import json
import subprocess
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from django.conf import settings
from playwright.sync_api import expect

from testing.fake_mapillary import OWNER, RECORDED_SEQUENCE
from testing.processes import fresh_instance_env, mtp_command
from testing.workers import database_url

PASSWORD = "a long walk by the river"
PHONE = {"width": 390, "height": 844}
# Generous: the machine may be busy with other work; each wait ends as soon as it can.
WAIT_MS = 20_000


def run_worker(fake_mapillary, log_path) -> None:
    """Run the queued import with a real ``mtp worker`` process on the test database."""
    env = fresh_instance_env(
        settings.DATA_DIR,
        DATABASE_URL=database_url(),
        SECRET_KEY=settings.SECRET_KEY,
        MAPILLARY_API_URL=fake_mapillary.url,
        MAPILLARY_BACKOFF="0.05",
    )
    with log_path.open("wb") as log:
        finished = subprocess.run(
            mtp_command("worker", "--batch", "--interval", "0"),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=False,
        )
    assert finished.returncode == 0, log_path.read_text()[-3000:]


@pytest.fixture
def api():
    """The app's HTTP client; closed after the test, so no connection keeps the server busy."""
    with httpx.Client() as client:
        yield client


def rendered_route_ids(page) -> list[str]:
    return page.evaluate(
        """() => {
          const map = document.getElementById("map").mtpMap;
          if (!map || !map.getLayer("routes")) return [];
          const features = map.queryRenderedFeatures({layers: ["routes", "routes-dots"]});
          return [...new Set(features.map((feature) => feature.properties.id))];
        }"""
    )


@pytest.mark.django_db(transaction=True)
def test_a_new_user_goes_from_sign_up_to_their_imported_sequence_on_the_map(
    browsing, api, fake_mapillary, tmp_path
):
    page, log = browsing
    site = log.base_url
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)

    # The front page, before anything is shared.
    page.goto(site + "/")
    expect(page.get_by_role("heading", name="Explore")).to_be_visible()
    log.screenshot(page, "explore-empty")
    log.check_accessibility(page, "explore-empty")

    # Sign up: straight from the header.
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill("wanda")
    page.get_by_label("Email").fill("wanda@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    log.screenshot(page, "sign-up")
    log.check_accessibility(page, "sign-up")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Welcome, wanda! Your account is ready.")).to_be_visible()

    # Log out, and back in.
    nav.get_by_role("button", name="Log out").click()
    nav.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("wanda")
    page.get_by_label("Password").fill(PASSWORD)
    log.screenshot(page, "log-in")
    page.get_by_role("button", name="Log in").click()
    expect(nav.get_by_role("link", name="My sequences")).to_be_visible()

    # Register an app from Settings.
    nav.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="register and manage your applications").click()
    page.get_by_role("link", name="Register an application").click()
    callback = f"{site}/app-callback"
    page.get_by_label("Name").fill("Trail Uploader")
    page.get_by_label("Public", exact=False).check()
    page.get_by_label("Implicit", exact=False).check()
    page.get_by_label("Redirect URIs").fill(callback)
    log.screenshot(page, "register-app")
    log.check_accessibility(page, "register-app")
    page.get_by_role("button", name="Register").click()
    client_id = page.locator("dt:text('Client ID') + dd code").inner_text()
    assert client_id
    log.screenshot(page, "app-registered")

    # The app sends its user to the consent page (implicit flow), and gets a token back.
    page.route(
        f"{callback}*",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<p>Signed in</p>"),
    )
    query = urlencode({"client_id": client_id, "response_type": "token", "redirect_uri": callback})
    page.goto(f"{site}/api/v1/authorize?{query}")
    expect(
        page.get_by_role("heading", name="Allow Trail Uploader to use your account?")
    ).to_be_visible()
    log.screenshot(page, "consent")
    log.check_accessibility(page, "consent")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{callback}*")
    token = parse_qs(urlsplit(page.url).fragment)["access_token"][0]

    # The app creates a sequence for wanda and hands over her Mapillary sequence.
    api.base_url = f"{site}/api/v1"
    api.headers["Authorization"] = f"Bearer {token}"
    created = api.post(
        "/sequence/create/",
        data={
            "name": "Riverside morning",
            "description": "From the bridge to the old mill.",
            "transport_type": "Walk",
            "tag": "river,morning",
            "source": "trail-uploader",
        },
    )
    assert created.status_code == 201, created.text
    unique_id = created.json()["unique_id"]
    handed = api.put(
        f"/sequence/import/{unique_id}/",
        json={"mapillary_user_token": OWNER.token, "mapillary_sequence_key": RECORDED_SEQUENCE},
    )
    assert handed.status_code == 202, handed.text

    # My sequences shows it importing, then, as a worker runs it, published: no reload needed.
    nav.get_by_role("link", name="My sequences").click()
    importing = page.get_by_role("region", name="Importing")
    expect(importing.get_by_role("link", name="Riverside morning", exact=True)).to_be_visible()
    expect(importing.get_by_text("Waiting for a worker…")).to_be_visible()
    log.screenshot(page, "my-sequences-importing")
    log.check_accessibility(page, "my-sequences-importing")
    run_worker(fake_mapillary, tmp_path / "worker.log")
    published = page.get_by_role("region", name="Published")
    expect(published.get_by_role("link", name="Riverside morning", exact=True)).to_be_visible()
    expect(published.get_by_text("8 photos")).to_be_visible()
    log.screenshot(page, "my-sequences-published")

    # On the explore map: framed, drawn, and in the list beside it.
    nav.get_by_role("link", name="Explore").click()
    results = page.locator("#results")
    expect(results.get_by_role("heading", name="1 sequence in this area")).to_be_visible()
    page.wait_for_function(
        "id => document.getElementById('map').mtpMap"
        " && document.getElementById('map').mtpMap.queryRenderedFeatures("
        "{layers: ['routes', 'routes-dots']}).some(f => f.properties.id === id)",
        arg=unique_id,
    )
    assert rendered_route_ids(page) == [unique_id]
    log.screenshot(page, "explore-with-the-sequence")
    log.check_accessibility(page, "explore-with-the-sequence")

    # Keyboard: the map takes focus and moves with the arrow keys; the list follows.
    before = page.evaluate("document.getElementById('map').mtpMap.getCenter().toArray()")
    page.locator("#map canvas").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "before => document.getElementById('map').mtpMap.getCenter().lng > before[0]",
        arg=before,
    )

    # Its page, from the list.
    results.get_by_role("link", name="Riverside morning", exact=True).click()
    expect(page.get_by_role("heading", name="Riverside morning", level=1)).to_be_visible()
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Earth › Walk")
    expect(facts).to_contain_text("wanda")
    expect(facts.locator("dt:text('Photos') + dd")).to_have_text("8")
    expect(page.get_by_role("link", name="Mapillary")).to_have_attribute(
        "href", "https://www.mapillary.com/app/?pKey=148137757289079&focus=photo"
    )
    page.wait_for_function(
        "() => { const map = document.getElementById('map').mtpMap;"
        " return map && map.getLayer('photos')"
        " && map.queryRenderedFeatures({layers: ['photos']}).length === 8; }"
    )
    log.screenshot(page, "sequence-page")
    log.check_accessibility(page, "sequence-page")

    # Its route downloads as GeoJSON and GPX.
    with page.expect_download() as download:
        page.get_by_role("link", name="GeoJSON").click()
    geojson = json.loads(download.value.path().read_text())
    assert geojson["type"] == "Feature" and geojson["id"] == unique_id
    assert len(geojson["geometry"]["coordinates"]) == 8
    with page.expect_download() as download:
        page.get_by_role("link", name="GPX").click()
    assert download.value.path().read_text().count("<trkpt ") == 8

    # The same pages on a phone.
    page.set_viewport_size(PHONE)
    log.screenshot(page, "phone-sequence-page")
    nav.get_by_role("link", name="Explore").click()
    page.wait_for_function(
        "id => document.getElementById('map').mtpMap"
        " && document.getElementById('map').mtpMap.queryRenderedFeatures("
        "{layers: ['routes', 'routes-dots']}).some(f => f.properties.id === id)",
        arg=unique_id,
    )
    log.screenshot(page, "phone-explore")
    log.check_accessibility(page, "phone-explore")
    nav.get_by_role("link", name="My sequences").click()
    log.screenshot(page, "phone-my-sequences")
    log.check_accessibility(page, "phone-my-sequences")
    page.set_viewport_size({"width": 1280, "height": 800})

    # Revoke the app: its token stops working at once.
    assert api.get("/me").status_code == 200
    nav.get_by_role("link", name="Settings").click()
    apps = page.get_by_role("region", name="Authorized apps")
    expect(apps.get_by_text("Trail Uploader")).to_be_visible()
    log.screenshot(page, "settings-authorized-apps")
    log.check_accessibility(page, "settings-authorized-apps")
    apps.get_by_role("button", name="Revoke Trail Uploader").click()
    expect(page.get_by_role("region", name="Authorized apps")).to_contain_text(
        "No app can act for you."
    )
    log.screenshot(page, "settings-app-revoked")
    assert api.get("/me").status_code == 401

    # Nothing left 127.0.0.1, no script failed, and the strict policy held everywhere.
    assert log.blocked == []
    assert log.errors == []
    assert log.violations == []
    assert log.inaccessible == {}, log.inaccessible
    assert log.shots >= 15
