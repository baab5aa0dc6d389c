"""Every form of the site, filled in by a fuzzer as its owner: a page or a redirect, never a 5xx."""

import os
import re

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Hypothesis: hundreds of forms each.
pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("MTP_FUZZ_EXAMPLES", "40"))
FIELD_NAME = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')
# Plausible values mostly, for the checks behind the first ones; anything now and then.
VALUE = st.one_of(
    st.sampled_from(["", "Walk", "public", "confidential", "authorization-code", "implicit"]),
    st.sampled_from(
        ["accept", "deny", "on", "1", "https://example.org/cb", "7nfcwfvjdtphz7yj6zat6a"]
    ),
    st.text(max_size=80),
)
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def form_paths(olivia: dict) -> list[str]:
    draft = olivia["draft"].unique_id
    return [
        "/accounts/settings/",
        "/developers/register/",
        f"/developers/{olivia['app'].pk}/edit/",
        f"/my/sequences/{draft}/edit/",
        f"/my/sequences/{draft}/import/",
        "/device",
    ]


@pytest.fixture
def owner_client(olivia, owner, fake_mapillary) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def field_names(client: Client, path: str) -> list[str]:
    page = client.get(path)
    assert page.status_code == 200, path
    names = sorted(set(FIELD_NAME.findall(page.content.decode())) - {"csrfmiddlewaretoken"})
    assert names, path
    return names


@pytest.mark.parametrize("index", range(6))
def test_every_form_takes_anything_without_a_crash(olivia, owner_client, index):
    path = form_paths(olivia)[index]
    names = field_names(owner_client, path)

    @HYPOTHESIS
    @given(st.dictionaries(st.sampled_from(names), VALUE, min_size=1))
    def post(data: dict) -> None:
        response = owner_client.post(path, data)
        assert response.status_code in (200, 302, 400, 404, 429), (path, data)

    post()


@given(st.dictionaries(st.sampled_from(["username", "email", "password1", "password2"]), VALUE))
@HYPOTHESIS
@pytest.mark.django_db
def test_sign_up_and_log_in_take_anything_without_a_crash(data):
    for path in ("/accounts/signup/", "/accounts/login/"):
        response = Client().post(path, {**data, "username": data.get("username", "x")})
        assert response.status_code in (200, 302, 400, 429), (path, data)
