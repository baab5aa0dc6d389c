"""Resetting a forgotten password by e-mail."""

import re
import subprocess

import pytest
from django.core import mail
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from mtp.accounts.models import User
from testing.processes import fresh_instance_env, mtp_command

pytestmark = pytest.mark.django_db

RESET = "/accounts/password/reset/"
NEW_PASSWORD = "a brand new walking password"
LINK = re.compile(r"(https?://\S+/accounts/password/reset/[^/\s]+/[^/\s]+/)")


def ask(client: Client, email: str, **extra):
    return client.post(RESET, {"email": email}, **extra)


def link_in(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def test_a_forgotten_password_is_reset_through_the_emailed_link(client, owner, settings):
    settings.SITE_URL = "https://mtp.example.org"
    old_session = Client()
    old_session.force_login(owner)

    response = ask(client, "OLIVIA@example.org")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    [message] = mail.outbox
    assert message.to == ["olivia@example.org"]
    assert "reset your password" in message.subject
    assert "olivia" in message.body
    link = link_in(message)
    assert link.startswith("https://mtp.example.org/accounts/password/reset/")

    path = link.removeprefix("https://mtp.example.org")
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert done["Location"] == "/accounts/password/reset/complete/"

    assert User.objects.get(pk=owner.pk).check_password(NEW_PASSWORD)
    logged_in = client.post("/accounts/login/", {"username": "olivia", "password": NEW_PASSWORD})
    assert logged_in.status_code == 302
    # Browsers logged in with the old password are logged out.
    assert old_session.get("/accounts/settings/").status_code == 302
    # The link works once.
    again = client.get(path, follow=True).content.decode()
    assert "This link does not work" in again


def test_the_answer_does_not_tell_whether_an_account_has_the_address(client, owner):
    known = ask(client, "olivia@example.org")
    unknown = ask(client, "nobody@example.org")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1


def test_a_deactivated_account_gets_no_link(client, owner):
    owner.is_active = False
    owner.save()
    ask(client, "olivia@example.org")
    assert mail.outbox == []


def test_the_link_is_built_on_the_site_url_not_the_host_header(client, owner, settings):
    settings.SITE_URL = "https://mtp.example.org"
    settings.ALLOWED_HOSTS = ["*"]
    ask(client, "olivia@example.org", HTTP_HOST="evil.example")
    link = link_in(mail.outbox[0])
    assert link.startswith("https://mtp.example.org/")
    assert "evil.example" not in mail.outbox[0].body


def test_a_weak_new_password_is_refused(client, owner):
    ask(client, "olivia@example.org")
    path = "/" + link_in(mail.outbox[0]).split("/", 3)[3]
    form_url = client.get(path, follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    assert User.objects.get(pk=owner.pk).check_password("correct horse battery")


def test_a_tampered_link_does_not_work(client, owner, other_user):
    ask(client, "olivia@example.org")
    path = "/" + link_in(mail.outbox[0]).split("/", 3)[3]
    uid, token = path.rstrip("/").split("/")[-2:]
    response = client.get(f"/accounts/password/reset/{uid}/{token[:-2]}xx/")
    assert "This link does not work" in response.content.decode()
    # Olivia's token with Oscar's id: no way into Oscar's account.
    oscar = urlsafe_base64_encode(force_bytes(other_user.pk))
    other = client.get(f"/accounts/password/reset/{oscar}/{token}/", follow=True)
    assert "This link does not work" in other.content.decode()


def test_requests_are_limited_per_address_and_per_email(owner, settings):
    settings.PASSWORD_RESET_RATE_LIMIT = 2
    client = Client(REMOTE_ADDR="198.51.100.7")
    assert ask(client, "olivia@example.org").status_code == 302
    assert ask(client, "olivia@example.org").status_code == 302
    refused = ask(client, "olivia@example.org")
    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert "Too many reset requests" in refused.content.decode()
    assert len(mail.outbox) == 2
    # From another address, the same mailbox is not flooded either.
    assert ask(Client(REMOTE_ADDR="198.51.100.8"), "olivia@example.org").status_code == 429
    assert len(mail.outbox) == 2


def test_the_log_in_page_links_to_the_reset(client):
    assert 'href="/accounts/password/reset/"' in client.get("/accounts/login/").content.decode()


@pytest.mark.slow
def test_without_an_smtp_server_messages_are_files_in_the_data_folder(tmp_path):
    env = fresh_instance_env(tmp_path, MTP_DATA_DIR=str(tmp_path))
    env.pop("EMAIL_HOST", None)
    code = (
        "from django.conf import settings; from django.core.mail import send_mail; "
        "print(settings.EMAIL_BACKEND); "
        "send_mail('Subject here', 'Body here', None, ['someone@example.org'])"
    )
    result = subprocess.run(
        mtp_command("shell", "-c", code), env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "filebased" in result.stdout
    [written] = (tmp_path / "mail").iterdir()
    assert "Body here" in written.read_text()
