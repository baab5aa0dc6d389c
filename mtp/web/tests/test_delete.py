"""Deleting a sequence: asked first, the owner only."""

import pytest

from mtp.sequences.models import Image, Sequence
from testing.builders import failed_import, publish


def delete_url(sequence: Sequence) -> str:
    return f"/my/sequences/{sequence.unique_id}/delete/"


@pytest.mark.django_db
def test_the_owner_is_asked_first_and_a_get_deletes_nothing(owner_client, owner):
    sequence = publish(owner, "River walk", photos=4)
    html = owner_client.get(delete_url(sequence)).content.decode()
    assert "Delete “River walk”?" in html and "4 photo records" in html
    assert Sequence.objects.filter(pk=sequence.pk).exists()


@pytest.mark.django_db
def test_the_owner_deletes_a_sequence_with_its_images_and_import_history(owner_client, owner):
    sequence = publish(owner, "River walk", photos=4)
    failed = failed_import(owner)
    for target in (sequence, failed):
        response = owner_client.post(delete_url(target))
        assert response.status_code == 302 and response["Location"] == "/my/"
    assert not Sequence.objects.exists()
    assert not Image.objects.exists()
    assert "“River walk” is deleted." in owner_client.get("/my/").content.decode()


@pytest.mark.django_db
def test_anyone_else_gets_a_404_and_deletes_nothing(other_client, client, owner):
    sequence = publish(owner)
    assert other_client.get(delete_url(sequence)).status_code == 404
    assert other_client.post(delete_url(sequence)).status_code == 404
    assert client.post(delete_url(sequence)).status_code == 302  # to the log-in page
    assert Sequence.objects.filter(pk=sequence.pk).exists()
