"""End to end, over real HTTP: the MTP Desktop Uploader's sign-in as uploader-contract.md describes.

Implicit flow, a public client whose redirect URI is the custom scheme app.mtp.desktop://app,
no state, no PKCE; then the token calls the API, shows under Authorized apps, and is revoked.
"""

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from django.core.management import call_command

from testing.builders import UPLOADER_REDIRECT_URI
from testing.pages import authorized_apps, csrf_token, hidden_fields

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded")]


def test_the_uploader_signs_in_calls_the_api_and_is_revoked(live_server, owner, developer):
    call_command(
        "createapplication",
        "public",
        "implicit",
        name="MTP Desktop Uploader",
        client_id="mtpdu-test",
        user=str(developer.pk),
        redirect_uris=UPLOADER_REDIRECT_URI,
        stdout=open("/dev/null", "w"),  # noqa: SIM115
    )
    with httpx.Client(base_url=live_server.url, follow_redirects=False, timeout=30) as browser:
        # The uploader opens the authorization URL in a browser: no state, no PKCE.
        authorize = "/api/v1/authorize?" + urlencode(
            {"client_id": "mtpdu-test", "response_type": "token"}
        )
        response = browser.get(authorize)
        assert response.status_code == 302
        login_url = response.headers["Location"]
        assert login_url.startswith("/accounts/login/")

        login_page = browser.get(login_url)
        next_url = parse_qs(urlsplit(login_url).query)["next"][0]
        response = browser.post(
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": csrf_token(login_page.text),
                "username": "olivia",
                "password": "correct horse battery",
                "next": next_url,
            },
        )
        assert response.status_code == 302
        assert response.headers["Location"] == authorize

        consent_page = browser.get(authorize)
        assert consent_page.status_code == 200
        assert "MTP Desktop Uploader" in consent_page.text
        fields = hidden_fields(consent_page.text)
        response = browser.post(
            authorize,
            data={**fields, "csrfmiddlewaretoken": csrf_token(consent_page.text), "allow": "Allow"},
        )
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location.startswith("app.mtp.desktop://app#access_token=")
        fragment = parse_qs(urlsplit(location).fragment)
        token = fragment["access_token"][0]
        assert fragment["token_type"] == ["Bearer"]
        assert "state" not in fragment and "refresh_token" not in fragment

    with httpx.Client(base_url=live_server.url, timeout=30) as uploader:
        me = uploader.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["username"] == "olivia"

    with httpx.Client(base_url=live_server.url, follow_redirects=False, timeout=30) as browser:
        browser.cookies.update(_logged_in_cookies(live_server.url))
        settings_page = browser.get("/accounts/settings/")
        assert "MTP Desktop Uploader" in authorized_apps(settings_page.text)
        revoke_action = re.search(
            r'action="(/developers/authorized/\d+/revoke/)"', settings_page.text
        )
        response = browser.post(
            revoke_action.group(1), data={"csrfmiddlewaretoken": csrf_token(settings_page.text)}
        )
        assert response.status_code == 302
        assert "MTP Desktop Uploader" not in authorized_apps(
            browser.get("/accounts/settings/").text
        )

    with httpx.Client(base_url=live_server.url, timeout=30) as uploader:
        me = uploader.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 401
        assert "error" in me.json()


def _logged_in_cookies(base_url: str) -> httpx.Cookies:
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as browser:
        page = browser.get("/accounts/login/")
        browser.post(
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": csrf_token(page.text),
                "username": "olivia",
                "password": "correct horse battery",
            },
        )
        return browser.cookies
