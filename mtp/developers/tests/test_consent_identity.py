"""The consent page cannot be made to read like the real one: it names the owner's username,
where the browser goes, whether staff verified the app; look-alike names are refused."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from mtp.developers.models import Application, redirect_destination
from testing.builders import CODE_REDIRECT_URI, pkce_pair
from testing.pages import authorize_url

pytestmark = pytest.mark.django_db


def consent_page(client: Client, application: Application, **params) -> str:
    response = client.get(authorize_url(client_id=application.client_id, **params))
    assert response.status_code == 200, response.content[:300]
    return re.sub(r"\s+", " ", response.content.decode())


def code_request(application: Application) -> dict:
    _, challenge = pkce_pair()
    return {
        "client_id": application.client_id,
        "response_type": "code",
        "redirect_uri": CODE_REDIRECT_URI,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def test_the_page_names_the_owners_username_beside_the_display_name(owner_client, app, developer):
    developer.display_name = "Dana Developer"
    developer.save()
    page = consent_page(owner_client, app, response_type="token")
    assert "Dana Developer" in page
    assert '(user <strong class="username">dana</strong>)' in page


def test_the_page_says_where_the_browser_goes(owner_client, app, code_app):
    page = consent_page(owner_client, app, response_type="token")
    assert "your browser goes to <strong>an app on this device</strong>" in page
    page = owner_client.get(authorize_url(**code_request(code_app))).content.decode()
    assert "your browser goes to <strong>app.example.org</strong>" in re.sub(r"\s+", " ", page)


@pytest.mark.parametrize(
    ("uri", "destination"),
    [
        ("https://app.example.org/cb?x=1", "app.example.org"),
        ("https://APP.Example.org:8443/cb", "app.example.org"),
        # Look-alike letters in a host show as what they are.
        ("https://аpp.example.org/cb", "xn--pp-6kc.example.org"),
        ("http://127.0.0.1:5000/cb", "an app on this device"),
        ("http://[::1]/cb", "an app on this device"),
        ("app.mtp.desktop://app", "an app on this device"),
    ],
)
def test_redirect_destinations_in_words(uri, destination):
    assert redirect_destination(uri) == destination


def test_apps_verified_by_staff_are_marked_and_others_are_not(owner_client, app):
    page = consent_page(owner_client, app, response_type="token")
    assert "Not verified by Map the Paths" in page
    app.is_verified = True
    app.save()
    page = consent_page(owner_client, app, response_type="token")
    assert '<span class="badge verified">Verified by Map the Paths</span>' in page
    assert "Not verified" not in page


@pytest.mark.parametrize(
    "name",
    [
        "Map the Paths",
        "map the paths",
        "Map-the-Paths",
        "MapThePaths Uploader",
        "Ｍａｐ ｔｈｅ Ｐａｔｈｓ",  # full-width
        "Мар thе Раths",  # Cyrillic М, а, р, е, Р
        "Μap the Ρaths",  # Greek Μ and Ρ
        "Map\u200b the\u00ad Paths",  # zero-width space, soft hyphen
        "Máp the Päths",
    ],
)
def test_app_names_that_imitate_the_sites_are_refused(developer_client, name):
    response = developer_client.post(
        "/developers/register/",
        {
            "name": name,
            "client_type": "public",
            "flows": ["implicit"],
            "redirect_uris": "https://evil.example.org/cb",
        },
    )
    assert response.status_code == 200
    assert "reads like Map the Paths" in response.content.decode()
    assert not Application.objects.filter(name=name).exists()


def test_app_names_that_imitate_a_verified_app_are_refused(app, developer):
    app.is_verified = True
    app.save()
    for name in ["MTP Desktop Uploader", "МТР Dеsktор Uрlоаdеr", "MTP Desktop Uploader (new)"]:
        impostor = Application(
            name=name,
            user=developer,
            client_type=Application.CLIENT_PUBLIC,
            authorization_grant_type=Application.GRANT_IMPLICIT,
            redirect_uris="https://evil.example.org/cb",
        )
        with pytest.raises(ValidationError, match="verified application MTP Desktop Uploader"):
            impostor.full_clean()
    # Before it is verified, the name is anybody's; a verified app keeps its own.
    app.full_clean()


def test_an_unverified_apps_name_may_be_shared(app, developer):
    Application(
        name="MTP Desktop Uploader",
        user=developer,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_IMPLICIT,
        redirect_uris="https://other.example.org/cb",
    ).full_clean()


@pytest.mark.parametrize(
    ("display_name", "message"),
    [
        ("Map the Paths", "reads like Map the Paths"),
        ("MAP THE PATHS team", "reads like Map the Paths"),
        ("Мар the Раths", "reads like Map the Paths"),
        ("MTP Desktop Uploader", "reads like the verified application"),
        ("\u200b\u200b", "needs visible characters"),
        ("\u3164", "needs visible characters"),
        ("Dana \u202eevil", "reverse the text"),
        ("\u2066Dana\u2069", "reverse the text"),
    ],
)
def test_display_names_that_imitate_or_hide_are_refused(owner, app, display_name, message):
    app.is_verified = True
    app.save()
    client = Client()
    client.force_login(owner)
    response = client.post(
        "/accounts/settings/",
        {
            "save_profile": "1",
            "profile-display_name": display_name,
            "profile-email": owner.email,
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    owner.refresh_from_db()
    assert owner.display_name == ""


def test_the_admin_can_verify_an_app(admin_client, app):
    response = admin_client.get(f"/admin/developers/application/{app.pk}/change/")
    assert 'name="is_verified"' in response.content.decode()
    listing = admin_client.get("/admin/developers/application/?is_verified__exact=1")
    assert listing.status_code == 200
