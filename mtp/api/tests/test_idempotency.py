"""The Idempotency-Key header on create and import (draft-ietf-httpapi-idempotency-key-header)."""

import pytest

from mtp.sequences.models import Sequence
from testing.builders import API

URL = f"{API}/sequence/create/"
FORM = {"name": "Morning walk", "transport_type": "Walk", "tag": "lake"}


def create(client, headers, key, **changes):
    return client.post(URL, {**FORM, **changes}, HTTP_IDEMPOTENCY_KEY=key, **headers)


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "ünï"])
def test_a_malformed_key_is_a_400_and_nothing_is_created(client, owner_headers, key):
    response = create(client, owner_headers, key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]
    assert not Sequence.objects.exists()


def test_keys_are_each_users_own(client, owner_headers, other_headers):
    mine = create(client, owner_headers, "same-key")
    theirs = create(client, other_headers, "same-key")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["unique_id"] != theirs.json()["unique_id"]
    assert Sequence.objects.count() == 2


def test_an_error_is_not_kept_so_the_corrected_request_runs(client, owner_headers):
    refused = create(client, owner_headers, "k1", transport_type="Hoverboard")
    assert refused.status_code == 422
    created = create(client, owner_headers, "k1")
    assert created.status_code == 201
    assert "Idempotent-Replayed" not in created
    assert create(client, owner_headers, "k1").json() == created.json()
    assert Sequence.objects.count() == 1


def test_the_quoted_and_bare_forms_of_a_key_are_the_same_key(client, owner_headers):
    first = create(client, owner_headers, '"abc-123"')
    again = create(client, owner_headers, "abc-123")
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
