"""The API docs and the admin work under their Content-Security-Policies (mtp/lib/security.py)."""

import pytest
from playwright.sync_api import expect

from mtp.accounts.models import User
from mtp.lib.security import ADMIN_POLICY, page_policy

WAIT_MS = 20_000


@pytest.fixture
def staff(transactional_db) -> None:
    # Before the browser starts: its event loop makes the database calls of this thread fail.
    User.objects.create_superuser("root", "root@example.org", "a staff member's password")


@pytest.mark.django_db(transaction=True)
def test_the_api_docs_and_the_admin_run_under_their_policies(staff, browsing):
    page, log = browsing
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)

    docs = page.goto(log.base_url + "/api/v1/docs")
    assert docs.headers["content-security-policy"] == page_policy()
    # Swagger UI builds the page from the OpenAPI document.
    expect(page.get_by_role("heading", name="Map the Paths API")).to_be_visible()
    expect(page.get_by_text("/api/v1/sequence/create").first).to_be_visible()

    admin = page.goto(log.base_url + "/admin/")
    assert admin.headers["content-security-policy"] == ADMIN_POLICY
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("a staff member's password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Sequences").first).to_be_visible()
    page.goto(log.base_url + "/admin/sequences/sequence/")
    expect(page.get_by_role("heading", name="Select sequence to change")).to_be_visible()

    assert log.violations == []
    assert log.errors == []
