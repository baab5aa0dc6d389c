"""A password reset ends every app's tokens; a password change offers to, ticked by default."""

import re
import secrets

import pytest
from django.core import mail
from oauth2_provider.models import get_refresh_token_model, set_token_value

from mtp.developers.models import authorized_applications
from testing.builders import bearer, issue_token

pytestmark = pytest.mark.django_db

RefreshToken = get_refresh_token_model()
NEW_PASSWORD = "a brand new walking password"
ME = "/api/v1/me"


def with_refresh_token(user, app):
    """An access token and its refresh token, as the code flow leaves them."""
    raw = issue_token(user, app)
    refresh = RefreshToken(
        user=user, application=app, access_token=user.oauth2_provider_accesstoken.get()
    )
    set_token_value(refresh, secrets.token_urlsafe(32))
    refresh.save()
    return raw


def reset_password(client, email: str) -> None:
    client.post("/accounts/password/reset/", {"email": email})
    [message] = mail.outbox
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", str(message.body))
    assert link is not None, message.body
    path = link.group(1)
    form_page = client.get(path, follow=True)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302


def test_a_password_reset_ends_the_accounts_access_and_refresh_tokens(
    client, owner, other_user, app
):
    token = with_refresh_token(owner, app)
    others = issue_token(other_user, app)
    assert client.get(ME, **bearer(token)).status_code == 200

    reset_password(client, owner.email)

    assert "every app you authorized is signed out" in mail.outbox[0].body
    assert client.get(ME, **bearer(token)).status_code == 401
    assert not RefreshToken.objects.filter(user=owner, revoked__isnull=True).exists()
    assert authorized_applications(owner) == []
    # Nobody else's.
    assert client.get(ME, **bearer(others)).status_code == 200


def change_password(client, *, revoke: bool | None):
    data = {
        "change_password": "1",
        "password-old_password": "correct horse battery",
        "password-new_password1": NEW_PASSWORD,
        "password-new_password2": NEW_PASSWORD,
    }
    if revoke:
        data["password-revoke_apps"] = "on"
    response = client.post("/accounts/settings/", data)
    assert response.status_code == 302
    return response


def test_a_password_change_offers_to_end_every_apps_tokens_ticked(client, owner, app):
    client.force_login(owner)
    page = client.get("/accounts/settings/").content.decode()
    checkbox = re.search(r'<input[^>]*name="password-revoke_apps"[^>]*>', page).group(0)
    assert 'type="checkbox"' in checkbox
    assert "checked" in checkbox

    token = with_refresh_token(owner, app)
    change_password(client, revoke=True)
    assert client.get(ME, **bearer(token)).status_code == 401
    assert not RefreshToken.objects.filter(user=owner, revoked__isnull=True).exists()
    # The browser that changed it stays signed in.
    assert client.get("/accounts/settings/").status_code == 200


def test_a_password_change_left_unticked_keeps_the_apps(client, owner, app):
    client.force_login(owner)
    token = with_refresh_token(owner, app)
    change_password(client, revoke=False)
    assert client.get(ME, **bearer(token)).status_code == 200
    assert RefreshToken.objects.filter(user=owner, revoked__isnull=True).exists()
