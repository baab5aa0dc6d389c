"""A developer's application page: Copy puts the client ID on the clipboard, in a real browser.
Screenshots are kept in ``test-output/browser/test_copy_client_id/``."""

import pytest
from playwright.sync_api import expect

from testing import builders

WAIT_MS = 20_000
PASSWORD = builders.PERSONAS["dana"][1]


@pytest.fixture
def application(transactional_db):
    # Before the browser starts: its event loop makes the database calls of this thread fail.
    return builders.uploader_app(builders.persona("dana"))


@pytest.mark.django_db(transaction=True)
def test_copy_puts_the_client_id_on_the_clipboard(application, browsing):
    page, log = browsing
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(log.base_url + "/accounts/login/")
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"{log.base_url}/developers/{application.pk}/")
    page.get_by_role("button", name="Copy the client ID").click()
    button = page.locator("button[data-copy='#client-id']")
    expect(button).to_have_text("Copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == application.client_id
    log.screenshot(page, "copied")
    log.check_accessibility(page, "copied")
    assert not log.violations and not log.blocked and not log.errors, (
        log.violations,
        log.blocked,
        log.errors,
    )
