"""Deleting your own account, with everything in it."""

import pytest
from django.test import Client
from oauth2_provider.models import get_access_token_model

from mtp.accounts.models import User
from mtp.developers.models import Application
from mtp.sequences.models import Image, Sequence
from testing.builders import bearer, issue_token, make_sequence

pytestmark = pytest.mark.django_db

AccessToken = get_access_token_model()
DELETE = "/accounts/delete/"
PASSWORD = "correct horse battery"


@pytest.fixture
def olivias_things(owner, other_user, app):
    """Olivia's sequences, a token of hers, and an app of hers that Oscar authorized."""
    published = make_sequence(owner, name="Olivia's walk")
    draft = make_sequence(owner, name="Olivia's draft", status="draft")
    her_app = Application.objects.create(
        name="Olivia's app",
        user=owner,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_IMPLICIT,
        redirect_uris="https://olivia.example.org/cb",
    )
    oscars_walk = make_sequence(other_user, name="Oscar's walk")
    return {
        "sequences": [published, draft],
        "her_token": issue_token(owner, app),
        "her_app": her_app,
        "oscars_token_for_her_app": issue_token(other_user, her_app),
        "oscars_token": issue_token(other_user, app),
        "oscars_walk": oscars_walk,
    }


@pytest.fixture
def olivia(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def test_the_page_says_what_goes_and_deletes_nothing(olivia, olivias_things):
    page = olivia.get(DELETE)
    text = page.content.decode()
    assert page.status_code == 200
    assert "1 published sequence and 1 other" in text
    assert "8 photo points" in text
    assert "1 other user authorized" in text
    assert Sequence.objects.filter(owner__username="olivia").count() == 2


def test_the_settings_page_links_to_it(olivia):
    assert f'href="{DELETE}"' in olivia.get("/accounts/settings/").content.decode()


def test_a_wrong_password_deletes_nothing(olivia, owner, olivias_things):
    response = olivia.post(DELETE, {"password": "not it"})
    assert response.status_code == 200
    assert "That is not your password." in response.content.decode()
    assert User.objects.filter(pk=owner.pk).exists()
    assert Sequence.objects.filter(owner=owner).count() == 2


def test_the_account_goes_with_everything_in_it_and_nothing_of_others(
    olivia, owner, olivias_things
):
    sequence_ids = [sequence.pk for sequence in olivias_things["sequences"]]
    response = olivia.post(DELETE, {"password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "The account olivia and everything in it is deleted." in response.content.decode()

    assert not User.objects.filter(pk=owner.pk).exists()
    assert not Sequence.objects.filter(pk__in=sequence_ids).exists()
    assert not Image.objects.filter(sequence_id__in=sequence_ids).exists()
    assert not Application.objects.filter(pk=olivias_things["her_app"].pk).exists()
    client = Client()
    assert client.get("/api/v1/me", **bearer(olivias_things["her_token"])).status_code == 401
    # Oscar's token for her app ends with it; his own things stay.
    assert (
        client.get("/api/v1/me", **bearer(olivias_things["oscars_token_for_her_app"])).status_code
        == 401
    )
    assert client.get("/api/v1/me", **bearer(olivias_things["oscars_token"])).status_code == 200
    assert Sequence.objects.filter(pk=olivias_things["oscars_walk"].pk).exists()
    # She is logged out; her profile page is gone.
    assert olivia.get("/accounts/settings/").status_code == 302
    assert client.get("/accounts/users/olivia/").status_code == 404


def test_it_needs_a_log_in_and_a_post(client, olivia):
    response = client.get(DELETE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert olivia.put(DELETE).status_code == 405


def test_guessing_the_password_is_paused_as_log_in_is(olivia, owner, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        olivia.post(DELETE, {"password": "guess"})
    paused = olivia.post(DELETE, {"password": PASSWORD})
    assert paused.status_code == 429
    assert User.objects.filter(pk=owner.pk).exists()
