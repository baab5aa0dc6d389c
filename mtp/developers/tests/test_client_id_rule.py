"""The client_id rule on /api/v1 (mtp/api/auth.py), and bearer tokens only in the header."""

import json
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.test import Client, RequestFactory

from mtp.api.auth import Caller, authenticate
from mtp.api.errors import ApiError
from mtp.developers.models import WEB_CLIENT_ID, Application
from testing.builders import bearer, issue_token


@pytest.fixture
def web_app(db) -> Application:
    """The website's first-party application (migration 0003; recreated after a flush)."""
    application, _ = Application.objects.get_or_create(
        client_id=WEB_CLIENT_ID,
        defaults={
            "name": "Map the Paths website",
            "client_type": Application.CLIENT_PUBLIC,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
        },
    )
    return application


def test_a_token_without_client_id_names_its_application(owner_token, app):
    response = Client().get("/api/v1/me", **bearer(owner_token))
    assert response.status_code == 200


def test_a_token_with_its_own_client_id_is_accepted(owner_token, app):
    response = Client().get(f"/api/v1/me?client_id={app.client_id}", **bearer(owner_token))
    assert response.status_code == 200


@pytest.mark.checklist(16, "RFC 6749 10.16, RFC 6819 4.6.4")
def test_a_token_with_another_apps_client_id_gets_401(owner_token, other_app):
    response = Client().get(f"/api/v1/me?client_id={other_app.client_id}", **bearer(owner_token))
    assert response.status_code == 401
    assert "error" in response.json()
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.checklist(16, "RFC 6749 10.16")
@pytest.mark.parametrize("content_type", ["form", "multipart", "json"])
def test_the_client_id_may_come_in_the_body(owner_token, other_app, app, content_type):
    factory = RequestFactory()
    for client_id, allowed in ((app.client_id, True), (other_app.client_id, False)):
        body = {"client_id": client_id}
        if content_type == "json":
            request = factory.post("/api/v1/x", json.dumps(body), content_type="application/json")
        elif content_type == "form":
            request = factory.post(
                "/api/v1/x",
                f"client_id={client_id}",
                content_type="application/x-www-form-urlencoded",
            )
        else:
            request = factory.post("/api/v1/x", body)
        request.META.update(bearer(owner_token))
        if allowed:
            assert authenticate(request, require_user=True).application == app
        else:
            with pytest.raises(ApiError) as refused:
                authenticate(request, require_user=True)
            assert refused.value.status == 401


@pytest.mark.checklist(18, "RFC 6750 2.3, RFC 9700 4.3.2")
def test_an_access_token_in_the_query_string_gets_401(owner_token):
    response = Client().get(f"/api/v1/me?access_token={owner_token}")
    assert response.status_code == 401
    assert "error" in response.json()


@pytest.mark.checklist(18, "RFC 6750 2.2, RFC 9700 4.3.2")
def test_an_access_token_in_a_form_body_is_refused_too(owner_token):
    request = RequestFactory().post("/api/v1/x", {"access_token": owner_token})
    with pytest.raises(ApiError) as refused:
        authenticate(request, require_user=False)
    assert refused.value.status == 401


def test_public_reads_without_any_credentials_get_401_with_a_challenge(db):
    for query in ("", "?client_id=", "?client_id=%20%20"):
        request = RequestFactory().get(f"/api/v1/sequences{query}")
        with pytest.raises(ApiError) as refused:
            authenticate(request, require_user=False)
        assert refused.value.status == 401
        assert refused.value.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_public_reads_with_an_unknown_or_inactive_client_id_get_401(app):
    with pytest.raises(ApiError) as unknown:
        authenticate(RequestFactory().get("/api/v1/x?client_id=nobody"), require_user=False)
    assert unknown.value.status == 401
    app.is_active = False
    app.save()
    with pytest.raises(ApiError) as inactive:
        authenticate(
            RequestFactory().get(f"/api/v1/x?client_id={app.client_id}"), require_user=False
        )
    assert inactive.value.status == 401


def test_the_website_reads_with_its_first_party_client_id(web_app):
    caller = authenticate(
        RequestFactory().get(f"/api/v1/x?client_id={WEB_CLIENT_ID}"), require_user=False
    )
    assert caller == Caller(application=web_app)
    assert not caller.is_authenticated


def test_the_first_party_application_comes_from_a_migration(db):
    migration = import_module("mtp.developers.migrations.0003_first_party_application")
    Application.objects.filter(client_id=WEB_CLIENT_ID).delete()
    migration.create_web_application(django_apps, None)
    migration.create_web_application(django_apps, None)  # running it again changes nothing
    web = Application.objects.get(client_id=WEB_CLIENT_ID)
    assert web.user is None
    assert web.client_type == Application.CLIENT_PUBLIC
    assert web.redirect_uris == ""  # no flow can sign anyone in through it


def test_a_revoked_or_disabled_token_gets_401(owner, app):
    token = issue_token(owner, app)
    app.revoke_for(owner)
    assert Client().get("/api/v1/me", **bearer(token)).status_code == 401
    token = issue_token(owner, app)
    owner.is_active = False
    owner.save()
    assert Client().get("/api/v1/me", **bearer(token)).status_code == 401


def test_the_api_looks_a_token_up_in_one_query(owner_token, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        request = RequestFactory().get("/api/v1/me")
        request.META.update(bearer(owner_token))
        authenticate(request, require_user=True)


def test_a_client_id_with_a_nul_byte_is_simply_unknown(db):
    with pytest.raises(ApiError) as refused:
        authenticate(RequestFactory().get("/api/v1/x?client_id=a%00b"), require_user=False)
    assert refused.value.status == 401


def test_a_client_id_in_a_put_form_body_is_checked_like_one_in_the_query(
    client, owner, owner_token, other_app
):
    from mtp.sequences.models import Sequence, TransportType

    sequence = Sequence.objects.create(
        owner=owner, name="Walk", transport_type=TransportType.objects.get(name="Walk")
    )
    response = client.put(
        f"/api/v1/sequence/import/{sequence.unique_id}",
        data=f"client_id={other_app.client_id}&strava=123",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
    )
    assert response.status_code == 401
    assert "client_id" in response.json()["error"]
    sequence.refresh_from_db()
    assert sequence.strava == ""
