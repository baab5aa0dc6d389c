"""DOT's createapplication command, as operators script it: ``mtp createapplication ...``."""

import io

import pytest
from django.core.management import call_command

from mtp.developers.models import Application


def create(*args: str, **options) -> str:
    out = io.StringIO()
    call_command("createapplication", *args, stdout=out, **options)
    return out.getvalue()


def test_the_uploaders_registration_command_works(developer):
    output = create(
        "public",
        "implicit",
        name="MTP Desktop Uploader",
        client_id="mtpdu",
        user=str(developer.pk),
        redirect_uris="app.mtp.desktop://app",
    )
    assert "created successfully" in output
    application = Application.objects.get(client_id="mtpdu")
    assert application.user == developer
    assert application.allows_grant_type(Application.GRANT_IMPLICIT)
    assert application.redirect_uri_allowed("app.mtp.desktop://app")
    assert "app.mtp.desktop" in application.get_allowed_schemes()


def test_an_authorization_code_application_can_be_created_too(developer):
    create(
        "confidential",
        "authorization-code",
        name="Route Server",
        client_id="route-server",
        user=str(developer.pk),
        redirect_uris="https://server.example.org/cb",
    )
    application = Application.objects.get(client_id="route-server")
    assert application.grant_types == {Application.GRANT_AUTHORIZATION_CODE}


@pytest.mark.parametrize("uri", ["http://app.example.org/cb", "javascript:alert(1)"])
def test_the_command_refuses_unsafe_redirect_uris(developer, uri):
    output = create("public", "implicit", name="Bad", client_id="bad", redirect_uris=uri)
    assert "redirect_uris" in output
    assert not Application.objects.filter(client_id="bad").exists()
