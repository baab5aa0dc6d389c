"""Import from Mapillary on the website, in a real browser: from My sequences, a new sequence
with its name, way of travel and tags and the Mapillary sequence key and token; a refusal is
shown on the form; a real worker runs the import from the Mapillary stand-in and the sequence
is published.

Screenshots are kept in ``test-output/browser/test_import_from_mapillary/``.
"""

import subprocess

import pytest
from django.conf import settings
from playwright.sync_api import expect

from testing.fake_mapillary import OWNER, RECORDED_SEQUENCE, STRANGER
from testing.processes import fresh_instance_env, mtp_command
from testing.workers import database_url

PASSWORD = "correct horse battery"
WAIT_MS = 20_000


def run_worker(fake_mapillary, log_path) -> None:
    """Run the queued imports with a real ``mtp worker`` process on the test database."""
    with log_path.open("wb") as log:
        finished = subprocess.run(
            mtp_command("worker", "--batch", "--interval", "0"),
            env=fresh_instance_env(
                settings.DATA_DIR,
                DATABASE_URL=database_url(),
                SECRET_KEY=settings.SECRET_KEY,
                MAPILLARY_API_URL=fake_mapillary.url,
                MAPILLARY_BACKOFF="0.05",
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=False,
        )
    assert finished.returncode == 0, log_path.read_text()[-3000:]


# Before the browser starts: its event loop makes the database calls of this thread fail.
@pytest.fixture
def strangers_walk(seeded, owner, fake_mapillary) -> str:
    fake_mapillary.add_sequence("strangers-walk", 3, owner=STRANGER)
    return "strangers-walk"


def fill(page, key: str) -> None:
    page.get_by_label("Name").fill("Harbour morning")
    page.get_by_label("Way of travel").select_option(label="Walk")
    page.get_by_label("Tags").fill("harbour, morning")
    page.get_by_label("Mapillary sequence key").fill(key)
    page.get_by_label("Mapillary access token").fill(OWNER.token)


@pytest.mark.django_db(transaction=True)
def test_a_sequence_is_imported_from_mapillary_from_the_website_and_published(
    strangers_walk, browsing, fake_mapillary, tmp_path
):
    page, log = browsing
    page.set_viewport_size({"width": 1366, "height": 900})
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    page.goto(log.base_url + "/accounts/login/")
    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(log.base_url + "/my/")
    page.get_by_role("link", name="Import from Mapillary").first.click()
    expect(page.get_by_role("heading", name="Import from Mapillary", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Mapillary's developer dashboard")).to_have_attribute(
        "href", "https://www.mapillary.com/dashboard/developers"
    )
    log.screenshot(page, "form", full_page=True)
    log.check_accessibility(page, "import-form")

    # Someone else's Mapillary sequence: said on the form, and nothing is made.
    fill(page, strangers_walk)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("You can import only your own sequences.")
    expect(page.get_by_label("Name")).to_have_value("Harbour morning")
    log.screenshot(page, "refused", full_page=True)
    log.check_accessibility(page, "import-refused")
    page.set_viewport_size({"width": 390, "height": 844})
    log.screenshot(page, "phone-refused", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(log.base_url + "/my/")
    expect(page.get_by_text("Harbour morning")).to_have_count(0)

    # Their own: created, importing, then published once the worker has run.
    page.get_by_role("link", name="Import from Mapillary").first.click()
    fill(page, RECORDED_SEQUENCE)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("The import of “Harbour morning” has started.")).to_be_visible()
    importing = page.get_by_role("region", name="Importing")
    expect(importing.get_by_role("link", name="Harbour morning", exact=True)).to_be_visible()
    log.screenshot(page, "importing", full_page=True)
    run_worker(fake_mapillary, tmp_path / "worker.log")
    page.reload()
    published = page.get_by_role("region", name="Published")
    expect(published.get_by_role("link", name="Harbour morning", exact=True)).to_be_visible()
    expect(published.get_by_text("8 photos")).to_be_visible()
    log.screenshot(page, "published", full_page=True)
    log.check_accessibility(page, "my-sequences-published")
    published.get_by_role("link", name="Harbour morning", exact=True).click()
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Walk")
    expect(page.get_by_role("link", name="harbour", exact=True)).to_be_visible()
    assert log.inaccessible == {}, log.inaccessible
    assert not log.violations and not log.errors, (log.violations, log.errors)
