"""Body and field size limits on the site's forms and the OAuth endpoints (the API has its own)."""

import pytest
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm
from django.test import Client

from mtp.accounts.forms import ProfileForm, SignUpForm
from mtp.developers.forms import ApplicationForm, ConsentForm, UserCodeForm
from mtp.web.forms import ExploreForm, ImportForm, SequenceForm

URLENCODED = "application/x-www-form-urlencoded"
# Password fields: PBKDF2 costs the same whatever a password's length, and the body limit
# bounds them anyway.
UNBOUNDED_ON_PURPOSE = {"password", "password1", "password2", "old_password", "new_password1"}
UNBOUNDED_ON_PURPOSE |= {"new_password2", "current_password"}


def text_fields(form: forms.BaseForm) -> list[str]:
    return [
        name
        for name, field in form.fields.items()
        if isinstance(field, forms.CharField) and name not in UNBOUNDED_ON_PURPOSE
    ]


@pytest.mark.parametrize(
    "make",
    [
        lambda user: SignUpForm,
        lambda user: ProfileForm,
        lambda user: PasswordResetForm,
        lambda user: ApplicationForm,
        lambda user: ConsentForm,
        lambda user: UserCodeForm,
        lambda user: ExploreForm,
        lambda user: ImportForm,
        lambda user: SequenceForm,
    ],
    ids=lambda make: make(None).__name__,
)
def test_every_text_field_of_the_site_refuses_a_novel(make, owner):
    form_class = make(owner)
    fields = text_fields(form_class())
    assert fields
    # Longer than the longest text a person may type (a description: 50,000 characters).
    form = form_class(data={name: "x" * 100_000 for name in fields})
    assert not form.is_valid()
    for name in fields:
        assert name in form.errors, f"{form_class.__name__}.{name} took 100,000 characters"


def test_the_password_forms_are_bounded_by_the_body_limit_only(owner):
    assert text_fields(PasswordChangeForm(owner)) == []
    # Log-in: Django's form checks no length; the user name is only looked up (and throttling
    # counts its first 150 characters).
    assert text_fields(AuthenticationForm()) == ["username"]


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/", "/my/", "/device"])
def test_a_body_over_the_limit_is_a_413_before_anything_reads_it(client, settings, path, db):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post(path, "name=" + "x" * 2000, content_type=URLENCODED)
    assert response.status_code == 413
    assert b"over the limit of 1024 bytes" in response.content
    assert response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/token", "/api/v1/revoke", "/api/v1/introspect", "/api/v1/device_authorization"],
)
def test_a_body_over_the_limit_at_an_oauth_endpoint_is_a_413_in_its_error_shape(
    client, settings, path, db
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post(path, "token=" + "x" * 2000, content_type=URLENCODED)
    assert response.status_code == 413
    assert response.json()["error"] == "invalid_request"


def test_the_api_answers_its_own_413_in_its_own_shape(client, settings, owner_token, db):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post(
        "/api/v1/sequence/create",
        "name=" + "x" * 2000,
        content_type=URLENCODED,
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
    )
    assert response.status_code == 413
    assert response.json()["status"] is False


def test_too_many_fields_are_refused_at_the_site_and_the_token_endpoint(client, db):
    body = "&".join(f"f{number}=1" for number in range(300))
    assert client.post("/accounts/login/", body, content_type=URLENCODED).status_code == 400
    assert client.post("/api/v1/token", body, content_type=URLENCODED).status_code == 400


def test_a_long_email_is_a_form_error_not_a_database_error(client, db):
    response = Client().post(
        "/accounts/signup/",
        {
            "username": "newcomer",
            "email": "x" * 250 + "@example.org",
            "password1": "a long walk by the river",
            "password2": "a long walk by the river",
        },
    )
    assert response.status_code == 200
    assert b"at most 254 characters" in response.content
