"""End to end, over real HTTP: a public app signs a user in with the code flow and PKCE,
refreshes, and sees its tokens die when the user revokes it in Settings."""

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from testing.builders import pkce_pair
from testing.pages import authorized_apps, csrf_token, hidden_fields

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded")]


def test_a_public_app_signs_in_with_the_code_flow_and_is_revoked(live_server, owner, code_app):
    verifier, challenge = pkce_pair()
    redirect_uri = "http://127.0.0.1:49152/callback"  # a loopback port chosen at request time
    authorize = "/api/v1/authorize?" + urlencode(
        {
            "client_id": code_app.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "state": "s1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    with httpx.Client(base_url=live_server.url, follow_redirects=False, timeout=30) as browser:
        login_page = browser.get("/accounts/login/")
        browser.post(
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": csrf_token(login_page.text),
                "username": "olivia",
                "password": "correct horse battery",
            },
        )
        consent_page = browser.get(authorize)
        assert consent_page.status_code == 200
        response = browser.post(
            authorize,
            data={
                **hidden_fields(consent_page.text),
                "csrfmiddlewaretoken": csrf_token(consent_page.text),
                "allow": "Allow",
            },
        )
        location = response.headers["Location"]
        assert location.startswith(redirect_uri + "?")
        query = parse_qs(urlsplit(location).query)
        assert query["state"] == ["s1"]

        with httpx.Client(base_url=live_server.url, timeout=30) as app:
            tokens = app.post(
                "/api/v1/token",
                data={
                    "grant_type": "authorization_code",
                    "code": query["code"][0],
                    "code_verifier": verifier,
                    "redirect_uri": redirect_uri,
                    "client_id": code_app.client_id,
                },
            )
            assert tokens.status_code == 200
            assert tokens.headers["Cache-Control"] == "no-store"
            refreshed = app.post(
                "/api/v1/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": tokens.json()["refresh_token"],
                    "client_id": code_app.client_id,
                },
            ).json()
            auth = {"Authorization": f"Bearer {refreshed['access_token']}"}
            assert app.get("/api/v1/me", headers=auth).status_code == 200

            settings_page = browser.get("/accounts/settings/")
            assert "Trail Notes" in authorized_apps(settings_page.text)
            action = re.search(r'action="(/developers/authorized/\d+/revoke/)"', settings_page.text)
            browser.post(
                action.group(1), data={"csrfmiddlewaretoken": csrf_token(settings_page.text)}
            )

            assert app.get("/api/v1/me", headers=auth).status_code == 401
            again = app.post(
                "/api/v1/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": refreshed["refresh_token"],
                    "client_id": code_app.client_id,
                },
            )
            assert again.json()["error"] == "invalid_grant"
