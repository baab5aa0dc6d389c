"""A forgotten password reset by e-mail, then the account deleted, in a real browser.

Each page is checked for accessibility and kept as a screenshot in
``test-output/browser/test_account_pages/``.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from mtp.accounts.models import User

WAIT_MS = 20_000
OLD_PASSWORD = "an old and forgotten password"
NEW_PASSWORD = "a fresh password for the hills"


@pytest.fixture
def hiker(transactional_db) -> None:
    # Before the browser starts: its event loop makes the database calls of this thread fail.
    User.objects.create_user("hanna", "hanna@example.org", OLD_PASSWORD)


@pytest.mark.django_db(transaction=True)
def test_a_forgotten_password_is_reset_and_then_the_account_deleted(hiker, browsing):
    page, log = browsing
    site = log.base_url
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)

    page.goto(site + "/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    page.get_by_label("E-mail address").fill("hanna@example.org")
    log.screenshot(page, "password-reset")
    log.check_accessibility(page, "password-reset")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    log.screenshot(page, "password-reset-sent")
    log.check_accessibility(page, "password-reset-sent")

    [message] = mail.outbox
    link = re.search(r"http://\S+/accounts/password/reset/\S+/", message.body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    log.screenshot(page, "password-reset-choose")
    log.check_accessibility(page, "password-reset-choose")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()
    log.check_accessibility(page, "password-reset-complete")

    page.get_by_role("link", name="Log in").last.click()
    page.get_by_label("Username").fill("hanna")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Delete my account…").click()
    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
    page.get_by_label("Your password").fill(NEW_PASSWORD)
    log.screenshot(page, "delete-account")
    log.check_accessibility(page, "delete-account")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("The account hanna and everything in it is deleted.")).to_be_visible()
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()
    log.screenshot(page, "account-deleted")

    assert log.blocked == []
    assert log.errors == []
    assert log.violations == []
    assert log.inaccessible == {}, log.inaccessible
