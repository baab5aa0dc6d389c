"""A guidebook's editor and a scene whose photo's sequence is no longer published: the
guidebook's owner sees that it is hidden, never what another person has made of it since."""

import pytest
from django.utils import timezone

from mtp.guidebooks.models import Guidebook, Scene
from mtp.sequences.models import Sequence
from testing.builders import publish

pytestmark = pytest.mark.django_db


def guidebook_with(owner, sequence: Sequence) -> Guidebook:
    guidebook = Guidebook.objects.create(
        owner=owner, name="River guide", published_at=timezone.now()
    )
    Scene.objects.create(
        guidebook=guidebook, image=sequence.images.all()[0], position=0, title="Heron"
    )
    return guidebook


def test_the_editor_hides_the_name_of_another_persons_unpublished_sequence(
    owner, other_user, owner_client
):
    sequence = publish(other_user, "Lake walk", photos=1)
    guidebook = guidebook_with(owner, sequence)
    Sequence.objects.filter(pk=sequence.pk).update(status="draft", name="Secret new name")
    html = owner_client.get(f"/guidebooks/{guidebook.unique_id}/edit/").content.decode()
    assert "hidden: its sequence is not published" in html
    assert "Secret new name" not in html


def test_the_editor_names_a_published_sequence_and_ones_own(owner, other_user, owner_client):
    theirs = publish(other_user, "Lake walk", photos=1)
    mine = publish(owner, "River walk", photos=1)
    guidebook = guidebook_with(owner, theirs)
    Scene.objects.create(guidebook=guidebook, image=mine.images.all()[0], position=1, title="Duck")
    Sequence.objects.filter(pk=mine.pk).update(status="draft", name="My renamed walk")
    html = owner_client.get(f"/guidebooks/{guidebook.unique_id}/edit/").content.decode()
    assert "Lake walk" in html
    assert "My renamed walk" in html
