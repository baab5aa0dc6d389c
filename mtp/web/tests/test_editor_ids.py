"""The editors of guidebooks, scenes and tours with ids no page sends: an error page or a
message, never a 500, and nothing changed."""

import pytest
from django.utils import timezone

from mtp.guidebooks.models import Category, Guidebook, Poi, Scene
from mtp.tours.models import Tour, set_tour_sequences
from testing.builders import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(owner_client):
    # A 5xx must come back as a response to assert on, not as the exception behind it.
    owner_client.raise_request_exception = False
    return owner_client


@pytest.fixture
def guidebook(owner) -> Guidebook:
    sequence = publish(owner, "River walk", photos=2)
    guidebook = Guidebook.objects.create(
        owner=owner,
        name="River guide",
        category=Category.objects.get(slug="nature"),
        published_at=timezone.now(),
    )
    for position, image in enumerate(sequence.images.order_by("position")):
        scene = Scene.objects.create(
            guidebook=guidebook, image=image, position=position, title=f"Scene {position + 1}"
        )
        Poi.objects.create(scene=scene, title=f"Heron {position + 1}", x=0.25, y=0.5)
    return guidebook


def scene_order(guidebook: Guidebook) -> list[str]:
    return list(guidebook.scenes.order_by("position").values_list("title", flat=True))


@pytest.mark.parametrize("action", ["up", "down", "delete-scene"])
@pytest.mark.parametrize("scene", ["not-a-uuid", ""])
def test_the_guidebook_editor_answers_a_scene_id_that_is_not_one_with_a_404(
    owner_client, guidebook, action, scene
):
    url = f"/guidebooks/{guidebook.unique_id}/edit/"
    response = owner_client.post(url, {"action": action, "scene": scene})
    assert response.status_code == 404
    assert "Not found" in response.content.decode()
    assert scene_order(guidebook) == ["Scene 1", "Scene 2"]


def test_the_scene_editor_answers_a_point_id_that_is_not_one_with_a_404(owner_client, guidebook):
    scene = guidebook.scenes.order_by("position").first()
    url = f"/guidebooks/{guidebook.unique_id}/scenes/{scene.unique_id}/edit/"
    response = owner_client.post(url, {"action": "delete-poi", "poi": "not-a-uuid"})
    assert response.status_code == 404
    assert "Not found" in response.content.decode()
    assert scene.pois.count() == 1


@pytest.mark.parametrize("fields", [{"move": ""}, {"move": "", "remove": ""}, {"remove": ""}])
def test_the_tour_editor_answers_an_empty_move_with_a_400_and_a_message(
    owner_client, owner, fields
):
    routes = [publish(owner, "Bridges", photos=2), publish(owner, "Parks", photos=2)]
    tour = Tour.objects.create(owner=owner, name="London in a day")
    set_tour_sequences(tour, [route.pk for route in routes])
    response = owner_client.post(f"/tours/{tour.unique_id}/edit/", fields)
    assert response.status_code == 400
    assert "Choose a route to move or remove." in response.content.decode()
    order = tour.entries.order_by("position").values_list("sequence_id", flat=True)
    assert list(order) == [route.pk for route in routes]
