import re

import pytest
from django.core import mail

from mtp.lib import ratelimit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_window(monkeypatch):
    """The failures a test counts fall in one window, however slowly it runs."""
    monkeypatch.setattr(ratelimit, "now", lambda: 1_800_000_000)


def test_the_settings_page_needs_a_log_in(client):
    response = client.get("/accounts/settings/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_saving_the_profile_changes_display_name_and_email(client, owner):
    client.force_login(owner)
    response = client.post(
        "/accounts/settings/",
        {
            "save_profile": "1",
            "profile-display_name": "Olivia R.",
            "profile-email": "o.r@example.org",
            "profile-current_password": "correct horse battery",
        },
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert (owner.display_name, owner.email) == ("Olivia R.", "o.r@example.org")
    # The previous address hears of it: password reset links go elsewhere from now on.
    [message] = mail.outbox
    assert message.to == ["olivia@example.org"]
    assert "o.r@example.org" in message.body


def test_a_new_email_address_needs_the_password(client, owner):
    client.force_login(owner)
    for password in ("", "a wrong guess"):
        response = client.post(
            "/accounts/settings/",
            {
                "save_profile": "1",
                "profile-display_name": "Olivia R.",
                "profile-email": "attacker@example.org",
                "profile-current_password": password,
            },
        )
        assert response.status_code == 200
        assert "Give your password to change the email address." in response.content.decode()
    owner.refresh_from_db()
    assert (owner.display_name, owner.email) == ("", "olivia@example.org")
    assert mail.outbox == []


def test_the_display_name_alone_needs_no_password(client, owner):
    client.force_login(owner)
    response = client.post(
        "/accounts/settings/",
        {"save_profile": "1", "profile-display_name": "Liv", "profile-email": "OLIVIA@example.org"},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.display_name == "Liv"
    assert mail.outbox == []


def test_guessing_the_password_through_the_email_change_is_paused(client, owner, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client.force_login(owner)
    form = {
        "save_profile": "1",
        "profile-display_name": "",
        "profile-email": "attacker@example.org",
        "profile-current_password": "guess",
    }
    for _ in range(3):
        client.post("/accounts/settings/", form)
    paused = client.post(
        "/accounts/settings/", {**form, "profile-current_password": "correct horse battery"}
    )
    assert paused.status_code == 429
    owner.refresh_from_db()
    assert owner.email == "olivia@example.org"


def test_the_profile_refuses_an_email_another_account_has(client, owner, other_user):
    client.force_login(owner)
    response = client.post(
        "/accounts/settings/",
        {"save_profile": "1", "profile-display_name": "", "profile-email": "OSCAR@example.org"},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    owner.refresh_from_db()
    assert owner.email == "olivia@example.org"


def test_changing_the_password_keeps_the_session(client, owner):
    client.force_login(owner)
    response = client.post(
        "/accounts/settings/",
        {
            "change_password": "1",
            "password-old_password": "correct horse battery",
            "password-new_password1": "a brand new passphrase",
            "password-new_password2": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("a brand new passphrase")
    assert client.get("/accounts/settings/").status_code == 200


def test_changing_the_password_needs_the_old_one(client, owner):
    client.force_login(owner)
    client.post(
        "/accounts/settings/",
        {
            "change_password": "1",
            "password-old_password": "wrong",
            "password-new_password1": "a brand new passphrase",
            "password-new_password2": "a brand new passphrase",
        },
    )
    owner.refresh_from_db()
    assert owner.check_password("correct horse battery")


def test_failure_e_mails_are_on_by_default_and_turned_off_with_a_checkbox(client, owner):
    client.force_login(owner)
    page = client.get("/accounts/settings/").content.decode()
    assert "E-mail me when an import fails" in page
    assert re.search(
        r'<input type="checkbox" name="profile-import_failure_emails"[^>]* checked>', page
    )
    profile = {"save_profile": "1", "profile-display_name": "", "profile-email": owner.email}
    assert client.post("/accounts/settings/", profile).status_code == 302
    owner.refresh_from_db()
    assert owner.import_failure_emails is False
    ticked = {**profile, "profile-import_failure_emails": "on"}
    assert client.post("/accounts/settings/", ticked).status_code == 302
    owner.refresh_from_db()
    assert owner.import_failure_emails is True
