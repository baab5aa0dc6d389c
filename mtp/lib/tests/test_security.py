"""Security headers on every response: the Content-Security-Policy and Django's own headers."""

import pytest
from django.test import Client

from mtp.lib.security import ADMIN_POLICY, NOT_HTML_POLICY, _origin, page_policy

PAGES = ["/", "/accounts/login/", "/accounts/signup/", "/accounts/users/olivia/"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_strict_policy_and_the_usual_headers(client, owner, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert policy == page_policy()
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "form-action 'self'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_page_policy_lets_the_map_fetch_the_base_map_and_nothing_else(settings):
    settings.MTP_BASEMAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MAPILLARY_API_URL = "https://graph.mapillary.com"
    policy = dict(part.split(" ", 1) for part in page_policy().split("; "))
    assert policy["img-src"] == "'self' data: https://tiles.example.org https://*.fbcdn.net"
    assert policy["connect-src"] == "'self' https://tiles.example.org"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["default-src"] == "'self'"


def test_without_a_base_map_the_pages_load_only_from_this_site_and_the_photos(settings):
    settings.MTP_BASEMAP_TILE_URL = ""
    settings.MAPILLARY_API_URL = "https://graph.mapillary.com"
    policy = dict(part.split(" ", 1) for part in page_policy().split("; "))
    assert policy["img-src"] == "'self' data: https://*.fbcdn.net"
    assert policy["connect-src"] == "'self'"


@pytest.mark.parametrize(
    ("template", "origin"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tiles.example.org/{z}/{x}/{y}.png", "https://*.tiles.example.org"),
        ("http://127.0.0.1:8100/{z}/{x}/{y}.png", "http://127.0.0.1:8100"),
        ("", ""),
        ("javascript:alert(1)", ""),
    ],
)
def test_the_base_map_origin_comes_from_its_url_template(template, origin):
    assert _origin(template) == origin


def test_api_replies_load_nothing_and_cannot_be_framed(client, app):
    response = client.get("/api/v1/transport-types", {"client_id": app.client_id})
    assert response["Content-Security-Policy"] == NOT_HTML_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_the_api_docs_page_runs_under_the_pages_policy(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == page_policy()


def test_the_admin_has_its_own_looser_policy(client, db):
    response = client.get("/admin/login/")
    assert response["Content-Security-Policy"] == ADMIN_POLICY
    assert "frame-ancestors 'none'" in ADMIN_POLICY


def test_a_page_with_a_policy_of_its_own_keeps_it(client, owner, app):
    client.force_login(owner)
    response = client.get(
        "/api/v1/authorize", {"client_id": app.client_id, "response_type": "token"}
    )
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    # The consent form's answer is a redirect to the app: no form-action (see mtp/lib/security.py).
    assert "form-action" not in policy
    assert "frame-ancestors 'none'" in policy


def test_the_health_check_has_the_headers_too(db):
    response = Client().get("/healthz")
    assert response["Content-Security-Policy"] == NOT_HTML_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"


PRIVATE_PAGES = [
    "/accounts/settings/",
    "/accounts/delete/",
    "/my/",
    "/developers/",
    "/developers/register/",
    "/",
    "/accounts/users/olivia/",
]


@pytest.mark.parametrize("path", PRIVATE_PAGES)
def test_pages_shown_to_a_signed_in_person_are_never_stored(owner, path):
    client = Client()
    client.force_login(owner)
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Cache-Control"] == "private, no-store"


def test_pages_shown_to_nobody_in_particular_may_be_cached(client, owner):
    assert "Cache-Control" not in client.get("/accounts/users/olivia/")


def test_photos_redirect_to_the_mapillary_stand_in_when_the_api_points_at_it(settings):
    settings.MAPILLARY_API_URL = "http://127.0.0.1:8765"
    policy = dict(part.split(" ", 1) for part in page_policy().split("; "))
    assert policy["img-src"].endswith(" http://127.0.0.1:8765")
    assert "fbcdn" not in policy["img-src"]
