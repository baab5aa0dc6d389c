"""The OAuth endpoints, fed by a fuzzer: errors in their own shape, never a 5xx."""

import os
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("MTP_FUZZ_EXAMPLES", "100"))
NAMES = [
    "grant_type",
    "code",
    "code_verifier",
    "redirect_uri",
    "client_id",
    "client_secret",
    "refresh_token",
    "device_code",
    "token",
    "token_type_hint",
    "scope",
    "state",
    "response_type",
    "code_challenge",
    "code_challenge_method",
]
GRANTS = [
    "authorization_code",
    "refresh_token",
    "urn:ietf:params:oauth:grant-type:device_code",
    "password",
    "client_credentials",
]
VALUE = st.one_of(
    st.sampled_from(GRANTS + ["token", "code", "S256", "plain"]), st.text(max_size=60)
)
FIELDS = st.dictionaries(st.sampled_from(NAMES), VALUE, max_size=6)
AUTHORIZATION = st.one_of(
    st.none(),
    st.text(max_size=40).map(lambda text: f"Basic {text}"),
    st.binary(max_size=30).map(lambda raw: "Basic " + raw.hex()),
)
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def unlimited(settings) -> None:
    settings.OAUTH_RATE_LIMIT = 1_000_000


@pytest.mark.slow
@pytest.mark.django_db
@HYPOTHESIS
@given(
    path=st.sampled_from(
        ["/api/v1/token", "/api/v1/revoke", "/api/v1/introspect", "/api/v1/device_authorization"]
    ),
    fields=FIELDS,
    authorization=AUTHORIZATION,
    known_client=st.booleans(),
)
def test_the_token_endpoints_answer_any_form_in_the_rfc_6749_shape(
    unlimited, code_app, path, fields, authorization, known_client
):
    if known_client:
        fields = {**fields, "client_id": code_app.client_id}
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    response = Client().post(
        path, urlencode(fields), content_type="application/x-www-form-urlencoded", **headers
    )
    assert response.status_code < 500, (path, fields, response.content)
    assert response["Cache-Control"] == "no-store"
    if response.status_code >= 400:
        assert isinstance(response.json()["error"], str)


@pytest.mark.slow
@pytest.mark.django_db
@HYPOTHESIS
@given(query=FIELDS, known_client=st.booleans(), signed_in=st.booleans())
def test_the_authorization_endpoint_answers_any_query_without_a_crash(
    unlimited, owner, code_app, query, known_client, signed_in
):
    if known_client:
        query = {**query, "client_id": code_app.client_id}
    client = Client()
    if signed_in:
        client.force_login(owner)
    response = client.get("/api/v1/authorize?" + urlencode(query))
    assert response.status_code < 500, (query, response.status_code)


@pytest.mark.parametrize(
    "path",
    ["/api/v1/token", "/api/v1/revoke", "/api/v1/introspect", "/api/v1/device_authorization"],
)
def test_a_basic_header_that_is_not_ascii_is_an_error_not_a_crash(unlimited, db, path):
    # Found by the fuzz test above: base64 raised a plain ValueError, a 500.
    response = Client().post(
        path,
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION="Basic \x80\x81",
    )
    assert 400 <= response.status_code < 500
    assert isinstance(response.json()["error"], str)
