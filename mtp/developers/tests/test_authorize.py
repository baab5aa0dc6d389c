"""The authorization endpoint: /api/v1/authorize (and /accounts/authorize), consent, errors."""

import re
from urllib.parse import quote

import pytest
from django.test import Client
from oauth2_provider.models import get_access_token_model, get_grant_model

from mtp.developers.models import Application
from testing.builders import CODE_REDIRECT_URI, UPLOADER_REDIRECT_URI, issue_token, pkce_pair
from testing.pages import authorize_url, consent, consent_data, redirect_params

AccessToken = get_access_token_model()
Grant = get_grant_model()


def code_params(application, **extra) -> dict:
    _, challenge = pkce_pair()
    return {
        "client_id": application.client_id,
        "response_type": "code",
        "redirect_uri": CODE_REDIRECT_URI,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def test_an_anonymous_user_logs_in_and_comes_back_to_the_consent_page(owner, app):
    client = Client()
    url = authorize_url(client_id=app.client_id, response_type="token")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    login = client.post(
        "/accounts/login/",
        {"username": "olivia", "password": "correct horse battery", "next": url},
    )
    assert login.status_code == 302
    assert login["Location"] == url
    assert client.get(url).status_code == 200


def test_the_consent_page_names_the_app_its_owner_and_what_it_may_do(owner_client, app):
    response = owner_client.get(authorize_url(client_id=app.client_id, response_type="token"))
    page = response.content.decode()
    assert "MTP Desktop Uploader" in page
    assert "dana" in page  # the developer who registered it
    assert "Create, import, edit and delete sequences for you" in page
    assert "See your sequences, including drafts" in page
    assert re.search(r'<button type="submit" name="allow"', page)


def test_the_older_accounts_authorize_address_works_too(owner_client, app):
    response = consent(
        owner_client,
        authorize_url("/accounts/authorize", client_id=app.client_id, response_type="token"),
    )
    base, _, fragment = redirect_params(response)
    assert base == UPLOADER_REDIRECT_URI
    assert fragment["access_token"]


def test_response_type_implicit_is_a_synonym_of_token(owner_client, app):
    response = consent(
        owner_client, authorize_url(client_id=app.client_id, response_type="implicit")
    )
    _, _, fragment = redirect_params(response)
    assert fragment["token_type"] == "Bearer"
    assert fragment["access_token"]


@pytest.mark.checklist(1, "RFC 6749 3.1.2.2, RFC 9700 2.1, RFC 8252 7.3")
@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://app.example.org/cb/",
        "https://app.example.org/cb?x=1",
        "https://app.example.org/cb#f",
        "https://evil@app.example.org/cb",
        "https://app.example.org.evil/cb",
        "https://app.example.org/CB",
        "https://app.example.org:8443/cb",
        "http://app.example.org/cb",
        "http://127.0.0.2/callback",
    ],
)
def test_a_redirect_uri_must_equal_a_registered_one_exactly(owner_client, code_app, redirect_uri):
    response = owner_client.get(authorize_url(**code_params(code_app, redirect_uri=redirect_uri)))
    assert response.status_code == 400
    assert "Location" not in response
    assert not Grant.objects.exists()


@pytest.mark.checklist(1, "RFC 8252 7.3")
def test_only_a_loopback_redirect_uri_may_change_its_port(owner_client, code_app):
    params = code_params(code_app, redirect_uri="http://127.0.0.1:53123/callback")
    base, query, _ = redirect_params(consent(owner_client, authorize_url(**params)))
    assert base == "http://127.0.0.1:53123/callback"
    assert query["code"]


@pytest.mark.checklist(2, "RFC 6749 4.1.2.1, RFC 6819 4.2.4")
@pytest.mark.parametrize("logged_in", [True, False])
def test_an_unknown_client_or_bad_redirect_uri_never_redirects_to_it(logged_in, owner, code_app):
    client = Client()
    if logged_in:
        client.force_login(owner)
    for params in (
        {"client_id": "nobody", "response_type": "code", "redirect_uri": "https://evil.example/cb"},
        {**code_params(code_app), "redirect_uri": "https://evil.example/cb"},
        {"response_type": "code", "redirect_uri": "https://evil.example/cb"},
    ):
        response = client.get(authorize_url(**params))
        assert response.status_code == 400
        assert "evil.example" not in response.get("Location", "")
        assert "Location" not in response


@pytest.mark.checklist(3, "RFC 6749 4.1.2.1")
def test_once_client_and_redirect_are_valid_errors_go_back_with_error_and_state(
    owner_client, code_app
):
    params = {**code_params(code_app), "response_type": "bogus", "state": "S"}
    base, query, _ = redirect_params(owner_client.get(authorize_url(**params)))
    assert base == CODE_REDIRECT_URI
    assert query["error"] == "unsupported_response_type"
    assert query["state"] == "S"


@pytest.mark.checklist(3, "RFC 6749 4.2.2.1")
def test_implicit_flow_errors_come_back_in_the_fragment(owner_client, code_app):
    # Trail Notes may use only the code flow: asking for a token is an error, in the fragment.
    params = {"client_id": code_app.client_id, "response_type": "token", "state": "S"}
    params["redirect_uri"] = CODE_REDIRECT_URI
    response = owner_client.get(authorize_url(**params))
    base, query, fragment = redirect_params(response)
    assert query == {}
    assert fragment["error"] == "unauthorized_client"
    assert fragment["state"] == "S"


@pytest.mark.checklist(4, "RFC 6749 4.1.2, 4.2.2")
@pytest.mark.parametrize("outcome", ["allow", "deny", "error"])
def test_state_comes_back_unchanged(owner_client, code_app, app, outcome):
    state = "a b&c=%2F"
    if outcome == "error":
        params = {**code_params(code_app), "scope": "admin", "state": state}
        _, query, _ = redirect_params(owner_client.get(authorize_url(**params)))
        assert query["error"] == "invalid_scope"
        assert query["state"] == state
        return
    params = {"client_id": app.client_id, "response_type": "token", "state": state}
    response = consent(owner_client, authorize_url(**params), allow=outcome == "allow")
    _, _, fragment = redirect_params(response)
    assert fragment["state"] == state
    assert ("access_token" in fragment) == (outcome == "allow")


@pytest.mark.checklist(4, "RFC 6749 4.2.2")
def test_no_state_in_the_request_means_no_state_in_the_answer(owner_client, app):
    response = consent(owner_client, authorize_url(client_id=app.client_id, response_type="token"))
    _, _, fragment = redirect_params(response)
    assert "state" not in fragment


@pytest.mark.checklist(5, "RFC 6749 4.1.2.1")
def test_deny_gives_access_denied_and_no_code(owner_client, code_app):
    response = consent(owner_client, authorize_url(**code_params(code_app, state="S")), allow=False)
    base, query, _ = redirect_params(response)
    assert base == CODE_REDIRECT_URI
    assert query["error"] == "access_denied"
    assert query["state"] == "S"
    assert "code" not in query
    assert not Grant.objects.exists()


@pytest.mark.checklist(5, "RFC 6749 4.1.2.1, RFC 6819 4.2.4")
def test_a_tampered_deny_never_redirects_to_an_unregistered_uri(owner_client, code_app):
    url = authorize_url(**code_params(code_app))
    data = consent_data(owner_client.get(url), allow=False)
    data["redirect_uri"] = "https://evil.example/cb"
    response = owner_client.post(url, data)
    assert response.status_code == 400
    assert "Location" not in response


@pytest.mark.checklist(12, "RFC 7636 4.4.1, RFC 9700 2.1.1")
def test_pkce_is_required_for_the_code_flow(owner_client, code_app):
    params = code_params(code_app, state="S")
    del params["code_challenge"], params["code_challenge_method"]
    _, query, _ = redirect_params(owner_client.get(authorize_url(**params)))
    assert query["error"] == "invalid_request"
    assert "code" not in query


@pytest.mark.checklist(12, "RFC 7636 4.2, RFC 9700 2.1.1")
@pytest.mark.parametrize("method", ["plain", None, "s256"])
def test_pkce_plain_is_refused_before_the_consent_page(owner_client, code_app, method):
    params = code_params(code_app, code_challenge="x" * 43)
    if method is None:
        del params["code_challenge_method"]
    else:
        params["code_challenge_method"] = method
    response = owner_client.get(authorize_url(**params))
    _, query, _ = redirect_params(response)
    assert query["error"] == "invalid_request"
    assert not Grant.objects.exists()


@pytest.mark.checklist(13, "RFC 7636 4.4, RFC 9700 4.8.2")
def test_no_code_without_a_challenge_so_no_pkce_downgrade(owner_client, confidential_app):
    application, _ = confidential_app
    params = {
        "client_id": application.client_id,
        "response_type": "code",
        "redirect_uri": "https://server.example.org/cb",
    }
    _, query, _ = redirect_params(owner_client.get(authorize_url(**params)))
    assert query["error"] == "invalid_request"
    assert not Grant.objects.exists()


@pytest.mark.checklist(14, "RFC 6749 4.2.2, RFC 9700 2.1.2")
def test_implicit_puts_the_token_only_in_the_fragment_and_never_a_refresh_token(owner_client, app):
    response = consent(owner_client, authorize_url(client_id=app.client_id, response_type="token"))
    location = response["Location"]
    base, query, fragment = redirect_params(response)
    assert "#access_token=" in location
    assert "?access_token" not in location and query == {}
    assert "refresh_token" not in fragment
    assert fragment["token_type"] == "Bearer"


@pytest.mark.checklist(15, "RFC 6749 4.2.2.1")
def test_implicit_must_be_enabled_for_the_application(owner_client, code_app):
    params = {"client_id": code_app.client_id, "response_type": "token"}
    params["redirect_uri"] = CODE_REDIRECT_URI
    _, _, fragment = redirect_params(owner_client.get(authorize_url(**params)))
    assert fragment["error"] == "unauthorized_client"
    assert not AccessToken.objects.exists()


@pytest.mark.checklist(15, "RFC 6749 4.2")
def test_implicit_tokens_are_bound_to_the_application(owner_client, app):
    consent(owner_client, authorize_url(client_id=app.client_id, response_type="token"))
    assert list(AccessToken.objects.values_list("application_id", flat=True)) == [app.pk]


def test_an_application_may_allow_several_flows(owner_client, app):
    app.set_grant_types([Application.GRANT_IMPLICIT, Application.GRANT_AUTHORIZATION_CODE])
    app.save()
    _, challenge = pkce_pair()
    params = {
        "client_id": app.client_id,
        "response_type": "code",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    _, query, _ = redirect_params(consent(owner_client, authorize_url(**params)))
    assert query["code"]
    implicit = consent(owner_client, authorize_url(client_id=app.client_id, response_type="token"))
    assert "#access_token=" in implicit["Location"]


def test_an_inactive_application_cannot_sign_anyone_in(owner_client, app):
    app.is_active = False
    app.save()
    response = owner_client.get(authorize_url(client_id=app.client_id, response_type="token"))
    assert response.status_code == 400
    assert "Location" not in response


def test_a_user_who_already_granted_the_app_is_not_asked_again(owner, owner_client, app):
    issue_token(owner, app)
    response = owner_client.get(authorize_url(client_id=app.client_id, response_type="token"))
    _, _, fragment = redirect_params(response)
    assert fragment["access_token"]


def test_an_app_asking_for_more_than_was_granted_asks_again(owner, owner_client, app):
    token = issue_token(owner, app)
    AccessToken.objects.exclude(token_checksum="").update(scope="read")
    assert token
    response = owner_client.get(authorize_url(client_id=app.client_id, response_type="token"))
    assert response.status_code == 200
    assert b"Allow" in response.content


@pytest.mark.checklist(17, "RFC 9700 4.2.4, RFC 6819 4.4.1.9")
def test_authorize_consent_and_login_pages_leak_no_referrer_and_load_nothing_from_elsewhere(
    owner_client, app
):
    pages = [
        owner_client.get(authorize_url(client_id=app.client_id, response_type="token")),
        Client().get("/accounts/login/"),
        owner_client.get(authorize_url(client_id="nobody", response_type="token")),
    ]
    for page in pages:
        # same-origin: no referrer to any other site (the redirect to the app included), while
        # the page's own form posts keep their Origin (with no-referrer it is "null").
        assert page["Referrer-Policy"] == "same-origin"
        html = page.content.decode()
        for url in re.findall(r'(?:src|href|action)="([^"]*)"', html):
            assert not re.match(r"^(https?:)?//", url), url


@pytest.mark.checklist(25, "RFC 6749 10.12, RFC 6819 4.4.1.8")
def test_consent_needs_a_post_with_a_csrf_token(owner, app):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    url = authorize_url(client_id=app.client_id, response_type="token")
    data = consent_data(client.get(url))
    data.pop("csrfmiddlewaretoken", None)
    response = client.post(url, data)
    assert response.status_code == 403
    assert not AccessToken.objects.exists()


@pytest.mark.checklist(25, "RFC 6749 10.12")
def test_allow_in_a_get_issues_nothing(owner_client, app):
    url = authorize_url(client_id=app.client_id, response_type="token") + "&allow=1"
    response = owner_client.get(url)
    assert response.status_code == 200
    assert not AccessToken.objects.exists()


@pytest.mark.checklist(26, "RFC 6819 4.4.1.9, RFC 9700 4.16")
def test_login_and_consent_pages_cannot_be_framed(owner_client, app):
    for page in (
        owner_client.get(authorize_url(client_id=app.client_id, response_type="token")),
        Client().get("/accounts/login/"),
        owner_client.get("/device"),
    ):
        assert page["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


@pytest.mark.checklist(27, "RFC 9700 4.12")
def test_no_307_after_a_post_that_carried_credentials(owner, app):
    client = Client()
    url = authorize_url(client_id=app.client_id, response_type="token")
    login = client.post(
        "/accounts/login/", {"username": "olivia", "password": "correct horse battery", "next": url}
    )
    assert login.status_code in (302, 303)
    assert consent(client, url, allow=False).status_code in (302, 303)
    assert consent(client, url, allow=True).status_code in (302, 303)


def test_a_state_with_odd_characters_is_not_mangled_in_the_consent_form(owner_client, app):
    state = quote("ü/?&#")
    params = {"client_id": app.client_id, "response_type": "token", "state": state}
    _, _, fragment = redirect_params(consent(owner_client, authorize_url(**params)))
    assert fragment["state"] == state


@pytest.mark.checklist(2, "RFC 6749 4.1.2.1")
@pytest.mark.parametrize(
    "query",
    [
        "client_id=a%00b&response_type=token",
        "client_id=x&client_id=y&response_type=token",
        "response_type=token",
        "client_id=" + "a" * 5000 + "&response_type=token",
        "%%%",
        "client_id=x&state=%zz",
    ],
)
def test_malformed_authorization_requests_get_an_error_page_and_no_redirect(owner_client, query):
    response = owner_client.get("/api/v1/authorize?" + query)
    assert response.status_code == 400
    assert "Location" not in response


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1/callback\n",
        "http://127.0.0.1:53123/callback\n",
        "http://127.0.0.1/callback%0A",
        "https://app.example.org/cb\n",
    ],
)
def test_a_redirect_uri_must_match_exactly_without_a_trailing_newline(
    owner_client, code_app, redirect_uri
):
    response = owner_client.get(authorize_url(**code_params(code_app, redirect_uri=redirect_uri)))
    assert response.status_code == 400
    assert "Location" not in response
    assert not code_app.redirect_uri_allowed("http://127.0.0.1:53123/callback\n")


@pytest.mark.checklist(12, "RFC 7636 4.2")
@pytest.mark.parametrize(
    "challenge", ["x" * 42, "x" * 129, "a" * 42 + "!", "a" * 42 + " ", "é" * 43, "x" * 42 + "\n"]
)
def test_a_code_challenge_is_43_to_128_unreserved_characters(owner_client, code_app, challenge):
    response = owner_client.get(authorize_url(**code_params(code_app, code_challenge=challenge)))
    _, query, _ = redirect_params(response)
    assert query["error"] == "invalid_request"
    assert "code_challenge" in query["error_description"]
    assert not Grant.objects.exists()


@pytest.mark.parametrize("challenge", ["x" * 43, "A-._~" * 25 + "abc"])
def test_code_challenges_of_43_to_128_characters_are_taken(owner_client, code_app, challenge):
    response = owner_client.get(authorize_url(**code_params(code_app, code_challenge=challenge)))
    assert response.status_code == 200
