"""``panoramax_cli login``: a token that works once a signed-in person claims it on the site,
then shows among their authorized apps and can be revoked there."""

import pytest
from django.test import Client

from mtp.developers.models import authorized_applications
from testing import builders

pytestmark = pytest.mark.django_db


def generate(client):
    response = client.post("/api/auth/tokens/generate")
    assert response.status_code == 200
    body = response.json()
    claim = next(link["href"] for link in body["links"] if link["rel"] == "claim")
    return body, claim


def test_a_generated_token_works_only_once_claimed(client, owner):
    body, claim_url = generate(client)
    token = body["jwt_token"]
    assert claim_url.endswith(f"/api/auth/tokens/{body['id']}/claim")
    assert client.get("/api/users/me", **builders.bearer(token)).status_code == 401

    browser = Client()
    browser.force_login(owner)
    path = f"/api/auth/tokens/{body['id']}/claim"
    page = browser.get(path)
    assert page.status_code == 200
    assert b"Panoramax command-line client" in page.content
    assert b"olivia" in page.content
    assert browser.post(path).status_code == 200

    me = client.get("/api/users/me", **builders.bearer(token))
    assert me.status_code == 200
    assert me.json()["id"] == "olivia"
    names = [entry["application"].name for entry in authorized_applications(owner)]
    assert names == ["Panoramax command-line client"]


def test_a_claim_link_works_once(client, owner, other_user):
    body, _ = generate(client)
    path = f"/api/auth/tokens/{body['id']}/claim"
    first, second = Client(), Client()
    first.force_login(owner)
    second.force_login(other_user)
    assert first.post(path).status_code == 200
    assert second.post(path).status_code == 404
    me = client.get("/api/users/me", **builders.bearer(body["jwt_token"]))
    assert me.json()["id"] == "olivia"


def test_the_claim_page_asks_to_sign_in_first(client):
    body, _ = generate(client)
    response = client.get(f"/api/auth/tokens/{body['id']}/claim")
    assert response.status_code == 302
    assert "/accounts/login" in response["Location"]
