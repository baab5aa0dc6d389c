"""A sequence that joined another (two drafts of one Mapillary sequence): its id still answers."""

import json

from mtp.sequences.models import Sequence, SequenceAlias, merge_into
from testing.builders import API, make_sequence


def joined(owner):
    holder = make_sequence(owner, name="Holder", mapillary_sequence_key="held-key")
    duplicate = make_sequence(owner, name="Second draft", status="draft", route=[], images=False)
    merge_into(duplicate, holder)
    return holder, duplicate


def test_reads_and_edits_of_the_joined_id_are_redirected_to_the_holder(
    client, owner, owner_headers
):
    holder, duplicate = joined(owner)
    for path in (f"sequence/{duplicate.unique_id}", f"sequence/{duplicate.unique_id}/images"):
        response = client.get(f"{API}/{path}?limit=5", **owner_headers)
        assert response.status_code == 308
        assert response["Location"].endswith(
            f"{API}/{path.replace(str(duplicate.unique_id), str(holder.unique_id))}?limit=5"
        )
    patch = client.patch(
        f"{API}/sequence/{duplicate.unique_id}",
        json.dumps({"name": "Renamed"}),
        content_type="application/json",
        **owner_headers,
    )
    assert patch.status_code == 308
    holder.refresh_from_db()
    # Neither draft was edited: the later one's name stands, and a redirect changes nothing.
    assert holder.name == "Second draft"


def test_deleting_the_joined_id_forgets_it_and_keeps_the_holder(client, owner, owner_headers):
    holder, duplicate = joined(owner)
    response = client.delete(f"{API}/sequence/{duplicate.unique_id}", **owner_headers)
    assert response.status_code == 204
    assert Sequence.objects.filter(pk=holder.pk).exists()
    assert not SequenceAlias.objects.exists()
    assert client.get(f"{API}/sequence/{duplicate.unique_id}", **owner_headers).status_code == 404


def test_someone_else_sees_the_joined_id_only_if_the_holder_is_published(
    client, owner, other_headers
):
    holder, duplicate = joined(owner)
    assert client.get(f"{API}/sequence/{duplicate.unique_id}", **other_headers).status_code == 308
    Sequence.objects.filter(pk=holder.pk).update(status="importing", published_at=None)
    assert client.get(f"{API}/sequence/{duplicate.unique_id}", **other_headers).status_code == 404
    # Nor may they delete it: for them it does not exist.
    assert (
        client.delete(f"{API}/sequence/{duplicate.unique_id}", **other_headers).status_code == 404
    )
    assert SequenceAlias.objects.count() == 1


def test_a_chain_of_joins_leads_to_the_last_holder(client, owner, owner_headers):
    holder, first = joined(owner)
    third = make_sequence(owner, name="Third", status="draft", route=[], images=False)
    merge_into(third, holder)
    for gone in (first, third):
        response = client.get(f"{API}/sequence/{gone.unique_id}", **owner_headers)
        assert response.json()["unique_id"] == str(holder.unique_id)
