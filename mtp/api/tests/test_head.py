"""HEAD answers wherever GET does: the same status and fields, no body."""

import pytest

from testing.builders import API, bearer


@pytest.mark.parametrize(
    "path",
    ["/sequences", "/transport-types", "/tags", "/openapi.json", "/sequence/{id}"],
)
def test_head_is_get_without_the_body(client, app, published, path):
    url = f"{API}{path.format(id=published.unique_id)}?client_id={app.client_id}"
    got = client.get(url)
    head = client.head(url)
    assert got.status_code == 200
    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Type"] == got["Content-Type"]
    assert int(head["Content-Length"]) == len(got.content)
    assert "RateLimit" in head


def test_head_of_someone_elses_draft_is_a_404_without_a_body(client, draft, other_token):
    response = client.head(f"{API}/sequence/{draft.unique_id}", **bearer(other_token))
    assert response.status_code == 404
    assert response.content == b""


def test_head_needs_the_client_id_as_get_does(client, db):
    response = client.head(f"{API}/sequences")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer ")
    assert response.content == b""


def test_head_where_there_is_no_get_is_a_405(client, owner_token):
    response = client.head(f"{API}/sequence/create", **bearer(owner_token))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
