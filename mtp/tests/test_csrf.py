"""CSRF: every form carries a token, and every route but the token-authenticated ones checks it."""

import re
from urllib.parse import urlencode

import pytest
from django.test import Client

from testing.routes import FORM, URLENCODED, parameter_values, routes, urls

# Routes that take no cookie-authenticated writes, so skip the CSRF check: the API (a bearer
# token or a client_id, never the session) and the OAuth endpoints apps call with their own
# credentials.
CSRF_EXEMPT = {
    "api/v1/token",
    "api/v1/revoke",
    "api/v1/introspect",
    "api/v1/device_authorization",
}
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=\"?post\"?[^>]*>(.*?)</form>", re.I | re.S)


def is_api(pattern: str) -> bool:
    """API v1, the STAC API and the upload API (under ``/api``), but not the OAuth endpoints
    nor the page where a person claims a command-line client's token (a page of the site)."""
    if pattern.startswith("api/auth/tokens/") and pattern.endswith("/claim"):
        return False
    return (pattern == "api" or pattern.startswith("api/")) and not pattern.startswith(
        ("api/v1/authorize", "api/v1/token", "api/v1/revoke", "api/v1/introspect", "api/v1/device")
    )


def test_only_the_token_authenticated_routes_skip_the_csrf_check(db):
    exempt = {route.pattern for route in routes() if getattr(route.callback, "csrf_exempt", False)}
    api = {pattern for pattern in exempt if is_api(pattern)}
    assert exempt - api == CSRF_EXEMPT


def test_a_signed_in_post_without_the_token_is_refused_everywhere_else(olivia, owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    values = parameter_values(olivia)
    checked = 0
    for route in routes():
        if route.pattern in CSRF_EXEMPT or is_api(route.pattern):
            continue
        for url in urls(route, values):
            response = client.post(url, urlencode(FORM), content_type=URLENCODED)
            assert response.status_code == 403, f"POST {url}: {response.status_code}"
            assert b"CSRF" in response.content, url
            checked += 1
    assert checked > 50


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/settings/",
        "/developers/",
        "/developers/register/",
        "/device",
        "/my/",
    ],
)
def test_every_form_that_posts_carries_the_token(olivia, owner, path):
    client = Client()
    if path not in ("/accounts/login/", "/accounts/signup/"):
        client.force_login(owner)
    response = client.get(path)
    assert response.status_code == 200
    forms = POST_FORM.findall(response.content.decode())
    assert forms, f"{path} has no form to check"
    for form in forms:
        assert "csrfmiddlewaretoken" in form


def test_the_owners_sequence_and_application_pages_post_with_the_token(olivia, owner):
    client = Client()
    client.force_login(owner)
    draft = olivia["draft"].unique_id
    for path in (
        f"/my/sequences/{draft}/edit/",
        f"/my/sequences/{draft}/delete/",
        f"/my/sequences/{draft}/import/",
        f"/developers/{olivia['app'].pk}/",
        f"/developers/{olivia['app'].pk}/edit/",
        f"/developers/{olivia['app'].pk}/delete/",
    ):
        forms = POST_FORM.findall(client.get(path).content.decode())
        assert forms, path
        assert all("csrfmiddlewaretoken" in form for form in forms), path
