"""The guidebook actions: what each writes, the one event a publication sends, the limits
counted under the guidebook's lock, and whom they refuse."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mtp.guidebooks import actions
from mtp.guidebooks.models import Category, Guidebook, Poi, Scene, TooManyPois, TooManyScenes
from mtp.sequences.models import Image
from mtp.webhooks.events import GUIDEBOOK_PUBLISHED
from mtp.webhooks.models import WebhookDelivery
from testing.builders import make_sequence


@pytest.fixture
def photos(other_user) -> list[Image]:
    """Photos of a published sequence (anyone's may be in a guidebook), in order."""
    sequence = make_sequence(other_user)
    return list(Image.objects.filter(sequence=sequence).order_by("position"))


@pytest.fixture
def guidebook(owner) -> Guidebook:
    return actions.create_guidebook(owner, name="Old Geneva", published=True)


@pytest.fixture
def listening_app(app):
    app.webhook_url = "https://hooks.example.org/mtp"
    app.save()
    return app


def events() -> list[dict]:
    deliveries = WebhookDelivery.objects.filter(event_type=GUIDEBOOK_PUBLISHED).order_by("id")
    return [json.loads(delivery.body) for delivery in deliveries]


def scene_titles(guidebook: Guidebook) -> list[str]:
    return list(guidebook.scenes.order_by("position").values_list("title", flat=True))


def add_scenes(owner, guidebook: Guidebook, photos: list[Image], *titles: str) -> list[Scene]:
    return [
        actions.add_scene(owner, guidebook.pk, photo, title=title)
        for photo, title in zip(photos, titles, strict=False)
    ]


# Guidebooks ---------------------------------------------------------------------------------


def test_creating_a_guidebook_keeps_its_fields_and_tags(owner):
    category = Category.objects.first()
    guidebook = actions.create_guidebook(
        owner, name="Lakes", description="Swims", category=category, tags=["lake", "swim"]
    )
    guidebook.refresh_from_db()
    assert (guidebook.name, guidebook.description, guidebook.category) == (
        "Lakes",
        "Swims",
        category,
    )
    assert guidebook.tag_names() == ["lake", "swim"]
    assert not guidebook.is_published


def test_a_guidebook_created_published_sends_its_event_once(owner, listening_app):
    guidebook = actions.create_guidebook(
        owner, name="Lakes", published=True, application=listening_app
    )
    assert [event["data"]["guidebook"]["unique_id"] for event in events()] == [
        str(guidebook.unique_id)
    ]


def test_publishing_a_draft_sends_its_event_once(owner, listening_app):
    guidebook = actions.create_guidebook(owner, name="Lakes", application=listening_app)
    assert events() == []
    actions.change_guidebook(owner, guidebook.pk, published=True)
    actions.change_guidebook(owner, guidebook.pk, published=True, name="Lakes, renamed")
    assert len(events()) == 1
    actions.change_guidebook(owner, guidebook.pk, published=False)
    guidebook.refresh_from_db()
    assert not guidebook.is_published
    actions.change_guidebook(owner, guidebook.pk, published=True)
    assert len(events()) == 2


def test_changing_a_guidebook_leaves_what_is_not_given(owner):
    category = Category.objects.first()
    guidebook = actions.create_guidebook(
        owner, name="Lakes", description="Swims", category=category, tags=["lake"]
    )
    actions.change_guidebook(owner, guidebook.pk, name="Ponds")
    guidebook.refresh_from_db()
    assert (guidebook.name, guidebook.description, guidebook.category) == (
        "Ponds",
        "Swims",
        category,
    )
    assert guidebook.tag_names() == ["lake"]
    actions.change_guidebook(owner, guidebook.pk, category=None, tags=[])
    guidebook.refresh_from_db()
    assert guidebook.category is None and guidebook.tag_names() == []


def test_someone_else_may_not_change_or_delete_a_guidebook(owner, other_user, guidebook, photos):
    scene = actions.add_scene(owner, guidebook.pk, photos[0], title="Cathedral")
    poi = actions.add_poi(owner, guidebook.pk, scene.pk, title="Tower", x=0.5, y=0.2)
    refused = [
        lambda: actions.change_guidebook(other_user, guidebook.pk, name="Mine"),
        lambda: actions.delete_guidebook(other_user, guidebook.pk),
        lambda: actions.add_scene(other_user, guidebook.pk, photos[1]),
        lambda: actions.reorder_scenes(other_user, guidebook.pk, [scene.unique_id]),
        lambda: actions.change_scene(other_user, guidebook.pk, scene.pk, title="Mine"),
        lambda: actions.shift_scene(other_user, guidebook.pk, scene.pk, 1),
        lambda: actions.delete_scene(other_user, guidebook.pk, scene.pk),
        lambda: actions.add_poi(other_user, guidebook.pk, scene.pk, title="Mine", x=0, y=0),
        lambda: actions.change_poi(other_user, guidebook.pk, poi.pk, title="Mine"),
        lambda: actions.delete_poi(other_user, guidebook.pk, poi.pk),
    ]
    for action in refused:
        with pytest.raises(PermissionDenied):
            action()
    guidebook.refresh_from_db()
    assert guidebook.name == "Old Geneva"
    assert scene_titles(guidebook) == ["Cathedral"]
    assert list(Poi.objects.filter(scene=scene).values_list("title", flat=True)) == ["Tower"]


def test_deleting_a_guidebook_takes_its_scenes_and_points(owner, guidebook, photos):
    scene = actions.add_scene(owner, guidebook.pk, photos[0])
    actions.add_poi(owner, guidebook.pk, scene.pk, title="Tower", x=0.5, y=0.2)
    actions.delete_guidebook(owner, guidebook.pk)
    assert not Guidebook.objects.filter(pk=guidebook.pk).exists()
    assert not Scene.objects.filter(pk=scene.pk).exists()
    assert not Poi.objects.exists()


# Scenes ---------------------------------------------------------------------------------------


def test_a_scene_goes_at_the_end_or_where_asked(owner, guidebook, photos):
    add_scenes(owner, guidebook, photos, "A", "B")
    actions.add_scene(owner, guidebook.pk, photos[2], title="first", position=0)
    actions.add_scene(owner, guidebook.pk, photos[3], title="far", position=99)
    assert scene_titles(guidebook) == ["first", "A", "B", "far"]


def test_a_full_guidebook_takes_no_more_scenes(owner, guidebook, photos, monkeypatch):
    monkeypatch.setattr("mtp.guidebooks.models.MAX_SCENES", 2)
    add_scenes(owner, guidebook, photos, "A", "B")
    with pytest.raises(TooManyScenes):
        actions.add_scene(owner, guidebook.pk, photos[2], title="C")
    assert scene_titles(guidebook) == ["A", "B"]


def test_reordering_names_every_scene_once(owner, guidebook, photos):
    a, b, c = add_scenes(owner, guidebook, photos, "A", "B", "C")
    actions.reorder_scenes(owner, guidebook.pk, [c.unique_id, a.unique_id, b.unique_id])
    assert scene_titles(guidebook) == ["C", "A", "B"]
    for wrong in ([a.unique_id, b.unique_id], [a.unique_id, a.unique_id, b.unique_id, c.unique_id]):
        with pytest.raises(actions.SceneOrderError):
            actions.reorder_scenes(owner, guidebook.pk, wrong)
    assert scene_titles(guidebook) == ["C", "A", "B"]


def test_a_scene_is_changed_and_moved(owner, guidebook, photos):
    a, _b, _c = add_scenes(owner, guidebook, photos, "A", "B", "C")
    actions.change_scene(owner, guidebook.pk, a.pk, title="Alpha", position=2)
    assert scene_titles(guidebook) == ["B", "C", "Alpha"]
    actions.shift_scene(owner, guidebook.pk, a.pk, -1)
    assert scene_titles(guidebook) == ["B", "Alpha", "C"]
    actions.shift_scene(owner, guidebook.pk, a.pk, -5)
    assert scene_titles(guidebook) == ["Alpha", "B", "C"]
    a.refresh_from_db()
    assert a.description == ""


def test_deleting_a_scene_moves_the_others_up(owner, guidebook, photos):
    _a, b, _c = add_scenes(owner, guidebook, photos, "A", "B", "C")
    actions.delete_scene(owner, guidebook.pk, b.pk)
    assert list(guidebook.scenes.order_by("position").values_list("title", "position")) == [
        ("A", 0),
        ("C", 1),
    ]


def test_a_change_of_a_scene_or_a_point_touches_the_guidebook(owner, guidebook, photos):
    long_ago = guidebook.updated_at - timedelta(days=1)
    scene = actions.add_scene(owner, guidebook.pk, photos[0])
    changes = [
        lambda: actions.change_scene(owner, guidebook.pk, scene.pk, title="New"),
        lambda: actions.shift_scene(owner, guidebook.pk, scene.pk, 1),
        lambda: actions.add_poi(owner, guidebook.pk, scene.pk, title="Tower", x=0.1, y=0.1),
        lambda: actions.change_poi(owner, guidebook.pk, Poi.objects.get().pk, title="Spire"),
        lambda: actions.delete_poi(owner, guidebook.pk, Poi.objects.get().pk),
        lambda: actions.delete_scene(owner, guidebook.pk, scene.pk),
    ]
    for change in changes:
        Guidebook.objects.filter(pk=guidebook.pk).update(updated_at=long_ago)
        change()
        guidebook.refresh_from_db()
        assert guidebook.updated_at > long_ago


# Points of interest ---------------------------------------------------------------------------


def test_a_point_is_placed_changed_and_deleted(owner, guidebook, photos):
    category = Category.objects.first()
    scene = actions.add_scene(owner, guidebook.pk, photos[0])
    poi = actions.add_poi(
        owner, guidebook.pk, scene.pk, title="Tower", x=0.25, y=0.75, category=category
    )
    actions.change_poi(owner, guidebook.pk, poi.pk, x=0.5, y=0.5, url="https://example.org")
    poi.refresh_from_db()
    assert (poi.title, poi.x, poi.y, poi.category, poi.url) == (
        "Tower",
        0.5,
        0.5,
        category,
        "https://example.org",
    )
    actions.change_poi(owner, guidebook.pk, poi.pk, category=None, url="")
    poi.refresh_from_db()
    assert (poi.category, poi.url) == (None, "")
    assert actions.delete_poi(owner, guidebook.pk, poi.pk) is True
    assert actions.delete_poi(owner, guidebook.pk, poi.pk) is False


def test_a_full_scene_takes_no_more_points(owner, guidebook, photos, monkeypatch):
    monkeypatch.setattr("mtp.guidebooks.models.MAX_POIS", 1)
    scene = actions.add_scene(owner, guidebook.pk, photos[0])
    actions.add_poi(owner, guidebook.pk, scene.pk, title="One", x=0, y=0)
    with pytest.raises(TooManyPois):
        actions.add_poi(owner, guidebook.pk, scene.pk, title="Two", x=1, y=1)
    assert Poi.objects.filter(scene=scene).count() == 1


def test_a_point_of_another_guidebook_is_not_found(owner, guidebook, photos):
    other = actions.create_guidebook(owner, name="Elsewhere")
    scene = actions.add_scene(owner, other.pk, photos[0])
    poi = actions.add_poi(owner, other.pk, scene.pk, title="Tower", x=0, y=0)
    with pytest.raises(Poi.DoesNotExist):
        actions.change_poi(owner, guidebook.pk, poi.pk, title="Moved")
    with pytest.raises(Scene.DoesNotExist):
        actions.add_poi(owner, guidebook.pk, scene.pk, title="Here", x=0, y=0)
    assert actions.delete_poi(owner, guidebook.pk, poi.pk) is False


@pytest.mark.skipif(
    not connection.features.has_select_for_update,
    reason="SQLite has no row locks: a write locks the whole database",
)
def test_points_are_counted_under_the_guidebooks_row_lock(owner, guidebook, photos):
    scene = actions.add_scene(owner, guidebook.pk, photos[0])
    with CaptureQueriesContext(connection) as queries:
        actions.add_poi(owner, guidebook.pk, scene.pk, title="Tower", x=0, y=0)
    reads = [query["sql"] for query in queries if query["sql"].startswith("SELECT")]
    assert 'FOR UPDATE OF "guidebooks_guidebook"' in reads[0]
    assert any("COUNT(" in read for read in reads[1:])
