"""OAuth scopes: a token needs ``write`` to change sequences and ``read`` to see them."""

import json

import pytest

from mtp.sequences.models import Sequence
from testing.builders import API, token_with_scope


@pytest.fixture
def read_only(owner, app) -> dict[str, str]:
    return token_with_scope(owner, app, "read")


@pytest.fixture
def write_only(owner, app) -> dict[str, str]:
    return token_with_scope(owner, app, "write")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/sequence/create", {"name": "x", "transport_type": "Walk"}),
        ("put", "/sequence/import/{id}", {"strava": "1"}),
        ("patch", "/sequence/{id}", {"name": "renamed"}),
        ("delete", "/sequence/{id}", None),
    ],
)
def test_changes_need_the_write_scope(client, read_only, draft, method, path, body):
    before = Sequence.objects.values().get(pk=draft.pk)
    url = API + path.format(id=draft.unique_id)
    if body is None:
        response = getattr(client, method)(url, **read_only)
    else:
        response = getattr(client, method)(
            url, json.dumps(body), content_type="application/json", **read_only
        )
    assert response.status_code == 403
    assert response.json()["detail"] == {"required_scope": "write"}
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert Sequence.objects.count() == 1
    assert Sequence.objects.values().get(pk=draft.pk) == before


@pytest.mark.parametrize(
    "path",
    [
        "/me",
        "/sequence/{id}",
        "/sequence/{id}/images",
        "/sequences?user=olivia",
        "/tags",
        "/transport-types",
    ],
)
def test_reading_with_a_token_needs_the_read_scope(client, read_only, write_only, draft, path):
    url = API + path.format(id=draft.unique_id)
    assert client.get(url, **write_only).status_code == 403
    assert client.get(url, **read_only).status_code == 200


def test_the_default_scopes_do_everything(client, owner_headers):
    response = client.post(
        f"{API}/sequence/create",
        json.dumps({"name": "x", "transport_type": "Walk"}),
        content_type="application/json",
        **owner_headers,
    )
    assert response.status_code == 201
