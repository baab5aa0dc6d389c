"""Developer pages: list, register, edit, delete your applications; secrets shown once."""

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from django.test import Client

from mtp.developers.models import Application
from testing.pages import register


def test_the_settings_page_links_to_the_developer_pages(developer_client):
    page = developer_client.get("/accounts/settings/").content.decode()
    assert 'href="/developers/"' in page


def test_a_developer_registers_a_public_app_and_sees_its_client_id(developer_client, developer):
    response = register(developer_client)
    application = Application.objects.get(name="Trail Notes")
    assert response.status_code == 302
    assert response["Location"] == f"/developers/{application.pk}/"
    assert application.user == developer
    detail = developer_client.get(response["Location"]).content.decode()
    assert application.client_id in detail
    listing = developer_client.get("/developers/").content.decode()
    assert application.client_id in listing


def test_a_confidential_clients_secret_is_shown_once_and_stored_hashed(developer_client):
    response = register(developer_client, client_type="confidential")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["secret"]
    assert secret in response.content.decode()
    application = Application.objects.get(name="Trail Notes")
    assert identify_hasher(application.client_secret)
    assert check_password(secret, application.client_secret)
    assert secret not in developer_client.get(f"/developers/{application.pk}/").content.decode()


def test_a_new_secret_replaces_the_old_one(developer_client):
    first = register(developer_client, client_type="confidential").context["secret"]
    application = Application.objects.get(name="Trail Notes")
    response = developer_client.post(f"/developers/{application.pk}/secret/")
    second = response.context["secret"]
    application.refresh_from_db()
    assert check_password(second, application.client_secret)
    assert not check_password(first, application.client_secret)


def test_one_application_may_allow_several_flows(developer_client):
    register(
        developer_client,
        flows=["authorization-code", "implicit", "urn:ietf:params:oauth:grant-type:device_code"],
    )
    application = Application.objects.get(name="Trail Notes")
    assert application.grant_types == {
        Application.GRANT_AUTHORIZATION_CODE,
        Application.GRANT_IMPLICIT,
        Application.GRANT_DEVICE_CODE,
    }
    assert application.allows_grant_type(Application.GRANT_IMPLICIT)
    assert not application.allows_grant_type(Application.GRANT_PASSWORD)


@pytest.mark.parametrize(
    "uris",
    [
        "https://app.example.org/cb",
        "http://127.0.0.1/cb",
        "http://[::1]:8080/cb",
        "http://localhost:3000/callback",
        "app.mtp.desktop://app",
        "org.example.app:/oauth2redirect",
    ],
)
def test_https_loopback_http_and_native_app_schemes_are_accepted(developer_client, uris):
    response = register(developer_client, redirect_uris=uris, flows=["implicit"])
    assert response.status_code == 302, response.context["form"].errors


@pytest.mark.checklist(1, "RFC 6749 3.1.2, RFC 8252 7.1, 8.4")
@pytest.mark.parametrize(
    "uris",
    [
        "http://app.example.org/cb",
        "https://app.example.org/cb#fragment",
        "javascript:alert(1)",
        "data:text/html,hi",
        "myapp://cb",
        "https://user:pw@app.example.org/cb",
        "ftp://app.example.org/cb",
    ],
)
def test_unsafe_redirect_uris_are_refused(developer_client, uris):
    response = register(developer_client, redirect_uris=uris)
    assert response.status_code == 200
    assert "redirect_uris" in response.context["form"].errors
    assert not Application.objects.filter(name="Trail Notes").exists()


def test_redirecting_flows_need_a_redirect_uri_but_the_device_flow_does_not(developer_client):
    refused = register(developer_client, redirect_uris="")
    assert "redirect_uris" in refused.context["form"].errors
    accepted = register(
        developer_client, redirect_uris="", flows=["urn:ietf:params:oauth:grant-type:device_code"]
    )
    assert accepted.status_code == 302


def test_a_developer_edits_their_application(developer_client):
    register(developer_client)
    application = Application.objects.get(name="Trail Notes")
    response = developer_client.post(
        f"/developers/{application.pk}/edit/",
        {
            "name": "Trail Notes 2",
            "client_type": "public",
            "flows": ["authorization-code", "implicit"],
            "redirect_uris": "https://app.example.org/cb\nhttps://app.example.org/other",
        },
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.name == "Trail Notes 2"
    assert application.redirect_uris == "https://app.example.org/cb https://app.example.org/other"
    assert application.allows_grant_type(Application.GRANT_IMPLICIT)


def test_switching_to_confidential_makes_and_shows_a_secret(developer_client):
    register(developer_client)
    application = Application.objects.get(name="Trail Notes")
    response = developer_client.post(
        f"/developers/{application.pk}/edit/",
        {
            "name": "Trail Notes",
            "client_type": "confidential",
            "flows": ["authorization-code"],
            "redirect_uris": "https://app.example.org/cb",
        },
    )
    application.refresh_from_db()
    assert check_password(response.context["secret"], application.client_secret)


def test_a_developer_deletes_their_application_with_a_post(developer_client):
    register(developer_client)
    application = Application.objects.get(name="Trail Notes")
    confirm = developer_client.get(f"/developers/{application.pk}/delete/")
    assert confirm.status_code == 200
    assert Application.objects.filter(pk=application.pk).exists()
    response = developer_client.post(f"/developers/{application.pk}/delete/")
    assert response.status_code == 302
    assert not Application.objects.filter(pk=application.pk).exists()


def test_nobody_sees_or_changes_another_developers_application(developer_client, other_user, app):
    client = Client()
    client.force_login(other_user)
    for path in (
        f"/developers/{app.pk}/",
        f"/developers/{app.pk}/edit/",
        f"/developers/{app.pk}/delete/",
    ):
        assert client.get(path).status_code == 404
    assert client.post(f"/developers/{app.pk}/delete/").status_code == 404
    assert Application.objects.filter(pk=app.pk).exists()


def test_the_developer_pages_need_a_login(db):
    response = Client().get("/developers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
