"""Owner-only access, route by route: anyone else finds nothing (404) and changes nothing."""

import json

import pytest

from mtp.sequences.models import Sequence
from testing.builders import API, make_sequence

WRITES = [
    ("put", "/sequence/import/{id}", {"strava": "1"}),
    ("patch", "/sequence/{id}", {"name": "taken"}),
    ("delete", "/sequence/{id}", None),
]
READS = ["/sequence/{id}", "/sequence/{id}/images"]


def call(client, method, path, sequence, body, headers):
    url = API + path.format(id=sequence.unique_id)
    if body is None:
        return getattr(client, method)(url, **headers)
    return getattr(client, method)(
        url, json.dumps(body), content_type="application/json", **headers
    )


def snapshot(sequence):
    return Sequence.objects.filter(pk=sequence.pk).values().first()


@pytest.mark.parametrize("status", ["draft", "importing", "published", "failed"])
@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_by_another_user_find_nothing(
    client, owner, other_headers, status, method, path, body
):
    sequence = make_sequence(owner, status=status)
    before = snapshot(sequence)
    response = call(client, method, path, sequence, body, other_headers)
    assert response.status_code == 404
    assert response.json()["error"] == "No sequence with this id."
    assert snapshot(sequence) == before


@pytest.mark.parametrize("status", ["draft", "importing", "published", "failed"])
@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_by_the_owner_succeed(client, owner, owner_headers, status, method, path, body):
    sequence = make_sequence(owner, status=status)
    response = call(client, method, path, sequence, body, owner_headers)
    assert response.status_code in (200, 204)


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_without_a_token_are_refused(client, app, owner, method, path, body):
    sequence = make_sequence(owner)
    before = snapshot(sequence)
    response = call(client, method, f"{path}?client_id={app.client_id}", sequence, body, {})
    assert response.status_code == 401
    assert snapshot(sequence) == before


@pytest.mark.parametrize("status", ["draft", "importing", "failed"])
@pytest.mark.parametrize("path", READS)
def test_unpublished_reads_are_the_owners_only(
    client, app, owner, owner_headers, other_headers, status, path
):
    sequence = make_sequence(owner, status=status)
    assert call(client, "get", path, sequence, None, owner_headers).status_code == 200
    assert call(client, "get", path, sequence, None, other_headers).status_code == 404
    anonymous = f"{path}?client_id={app.client_id}"
    assert call(client, "get", anonymous, sequence, None, {}).status_code == 404


@pytest.mark.parametrize("path", READS)
def test_published_reads_are_anyones(client, app, owner, other_headers, path):
    sequence = make_sequence(owner)
    assert call(client, "get", path, sequence, None, other_headers).status_code == 200
    anonymous = f"{path}?client_id={app.client_id}"
    assert call(client, "get", anonymous, sequence, None, {}).status_code == 200


@pytest.mark.parametrize("status", ["draft", "importing", "failed"])
def test_unpublished_sequences_are_in_no_one_elses_search(
    client, app, owner, other_headers, status
):
    make_sequence(owner, status=status)
    for params in ({}, {"user": "olivia"}, {"bbox": "6,46,7,47"}, {"q": "lake"}):
        found = client.get(f"{API}/sequences", params, **other_headers).json()["results"]
        assert found == []
        found = client.get(f"{API}/sequences", {**params, "client_id": app.client_id})
        assert found.json()["results"] == []
