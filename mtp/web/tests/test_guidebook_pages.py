"""Guidebook pages: the list on Explore's tab, the reader, the editor, and profiles."""

import json
import re
from collections import Counter

import pytest
from django.utils import timezone

from mtp.guidebooks.models import MAX_GUIDEBOOK_POIS, MAX_POIS, Category, Guidebook, Poi, Scene
from testing.builders import publish
from testing.pages import InlineCodeFinder

pytestmark = pytest.mark.django_db


def make_guidebook(owner, *, name="River guide", published=True, scenes=3) -> Guidebook:
    sequence = publish(owner, "River walk", photos=max(scenes, 1))
    guidebook = Guidebook.objects.create(
        owner=owner,
        name=name,
        category=Category.objects.get(slug="nature"),
        published_at=timezone.now() if published else None,
    )
    for position, image in enumerate(sequence.images.order_by("position")[:scenes]):
        scene = Scene.objects.create(
            guidebook=guidebook, image=image, position=position, title=f"Scene {position + 1}"
        )
        Poi.objects.create(scene=scene, title=f"Heron {position + 1}", x=0.25, y=0.5)
    return guidebook


def test_explore_has_a_guidebooks_tab_listing_published_ones(client, owner):
    make_guidebook(owner, name="River guide")
    make_guidebook(owner, name="Secret guide", published=False)
    home = client.get("/")
    assert b'href="/guidebooks/"' in home.content
    page = client.get("/guidebooks/")
    assert page.status_code == 200
    assert b"River guide" in page.content and b"Secret guide" not in page.content
    assert b"3 scenes" in page.content
    assert b"River guide" not in client.get("/guidebooks/", {"q": "nothing"}).content
    assert b"River guide" in client.get("/guidebooks/", {"category": "nature"}).content


def test_the_reader_shows_one_scene_its_points_and_links_to_the_next(client, owner):
    guidebook = make_guidebook(owner)
    page = client.get(guidebook.get_absolute_url(), {"scene": 2})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Scene 2 of 3" in html
    assert "Heron 2" in html and "Heron 1" not in html.split('id="poi-list"')[1].split("</ol>")[0]
    assert 'href="?scene=3"' in html and 'href="?scene=1"' in html
    assert 'class="poi-marker"' in html
    data = json.loads(html.split('id="guidebook-data" type="application/json">')[1].split("<")[0])
    assert [scene["title"] for scene in data["scenes"]] == ["Scene 1", "Scene 2", "Scene 3"]


def test_a_draft_is_read_by_its_owner_only(client, owner, owner_client, other_client):
    guidebook = make_guidebook(owner, published=False)
    assert owner_client.get(guidebook.get_absolute_url()).status_code == 200
    assert other_client.get(guidebook.get_absolute_url()).status_code == 404
    assert client.get(guidebook.get_absolute_url()).status_code == 404


def test_the_owner_creates_a_guidebook_and_adds_moves_and_deletes_scenes(owner, owner_client):
    sequence = publish(owner, "Lake walk", photos=3)
    keys = list(sequence.images.order_by("position").values_list("mapillary_key", flat=True))
    response = owner_client.post(
        "/guidebooks/new/", {"name": "Lake guide", "category": "water", "tags": "lake"}
    )
    guidebook = Guidebook.objects.get()
    assert response.status_code == 302 and response["Location"].endswith("/edit/")
    assert (guidebook.category.slug, guidebook.tag_names(), guidebook.is_published) == (
        "water",
        ["lake"],
        False,
    )
    edit = f"/guidebooks/{guidebook.unique_id}/edit/"
    for key in keys[:2]:
        assert owner_client.post(edit, {"action": "add-scene", "image": key}).status_code == 302
    address = f"https://mtp.example.org{sequence.get_absolute_url()}?photo={keys[2]}"
    assert owner_client.post(edit, {"action": "add-scene", "image": address}).status_code == 302
    refused = owner_client.post(edit, {"action": "add-scene", "image": "nope"})
    assert refused.status_code == 200 and b"No photo of a published sequence" in refused.content
    first, second, third = guidebook.scenes.order_by("position")
    owner_client.post(edit, {"action": "down", "scene": first.unique_id})
    assert [s.pk for s in guidebook.scenes.order_by("position")] == [second.pk, first.pk, third.pk]
    owner_client.post(edit, {"action": "delete-scene", "scene": second.unique_id})
    assert list(guidebook.scenes.order_by("position").values_list("position", flat=True)) == [0, 1]
    owner_client.post(
        edit, {"action": "save", "name": "Lake guide", "category": "", "published": "on"}
    )
    guidebook.refresh_from_db()
    assert guidebook.is_published and guidebook.category is None


def test_the_scene_editor_places_a_point_and_refuses_one_off_the_photo(owner, owner_client):
    guidebook = make_guidebook(owner, scenes=1)
    scene = guidebook.scenes.get()
    url = f"/guidebooks/{guidebook.unique_id}/scenes/{scene.unique_id}/edit/"
    page = owner_client.get(url)
    assert page.status_code == 200 and b'data-editor="1"' in page.content
    off = owner_client.post(url, {"action": "add-poi", "title": "Off", "x": "1.5", "y": "0.5"})
    assert off.status_code == 200 and scene.pois.count() == 1
    placed = owner_client.post(
        url,
        {"action": "add-poi", "title": "Bridge", "x": "0.75", "y": "0.1", "category": "history"},
    )
    assert placed.status_code == 302
    poi = scene.pois.get(title="Bridge")
    assert (poi.x, poi.y, poi.category.slug) == (0.75, 0.1, "history")
    guidebook.refresh_from_db()
    assert guidebook.updated_at >= poi.created_at


def test_the_scene_editor_holds_a_scene_to_the_most_points_the_api_does(owner, owner_client):
    guidebook = make_guidebook(owner, scenes=1)
    scene = guidebook.scenes.get()
    Poi.objects.bulk_create(
        Poi(scene=scene, title=f"Point {number}", x=0.5, y=0.5) for number in range(MAX_POIS - 1)
    )
    url = f"/guidebooks/{guidebook.unique_id}/scenes/{scene.unique_id}/edit/"
    refused = owner_client.post(
        url, {"action": "add-poi", "title": "One more", "x": "0.5", "y": "0.5"}
    )
    assert refused.status_code == 200
    assert f"A scene holds at most {MAX_POIS} points of interest.".encode() in refused.content
    assert scene.pois.count() == MAX_POIS


def test_the_scene_editor_holds_a_guidebook_to_the_most_points_in_all(owner, owner_client):
    guidebook = make_guidebook(owner, scenes=4)
    scenes = list(guidebook.scenes.order_by("position"))
    Poi.objects.filter(scene__guidebook=guidebook).delete()
    Poi.objects.bulk_create(
        Poi(scene=scene, title=f"Point {number}", x=0.5, y=0.5)
        for scene in scenes[:3]
        for number in range(MAX_GUIDEBOOK_POIS // 3)
    )
    url = f"/guidebooks/{guidebook.unique_id}/scenes/{scenes[3].unique_id}/edit/"
    refused = owner_client.post(
        url, {"action": "add-poi", "title": "One more", "x": "0.5", "y": "0.5"}
    )
    assert refused.status_code == 200
    message = f"A guidebook holds at most {MAX_GUIDEBOOK_POIS} points of interest in all."
    assert message.encode() in refused.content
    assert Poi.objects.filter(scene__guidebook=guidebook).count() == MAX_GUIDEBOOK_POIS


def test_no_one_else_edits_a_guidebook(owner, other_client):
    guidebook = make_guidebook(owner)
    assert other_client.get(f"/guidebooks/{guidebook.unique_id}/edit/").status_code == 404
    response = other_client.post(f"/guidebooks/{guidebook.unique_id}/edit/", {"action": "delete"})
    assert response.status_code == 404
    assert Guidebook.objects.exists()


def test_a_profile_lists_the_persons_published_guidebooks(client, owner, owner_client):
    make_guidebook(owner, name="River guide")
    make_guidebook(owner, name="Unfinished guide", published=False)
    public = client.get(owner.get_absolute_url()).content.decode()
    assert "River guide" in public and "Unfinished guide" not in public
    own = owner_client.get(owner.get_absolute_url()).content.decode()
    assert "Unfinished guide" in own


def test_guidebook_pages_carry_no_inline_code(client, owner, owner_client, settings):
    guidebook = make_guidebook(owner)
    scene = guidebook.scenes.first()
    pages = [
        (client, "/guidebooks/"),
        (client, guidebook.get_absolute_url()),
        (owner_client, "/guidebooks/new/"),
        (owner_client, f"/guidebooks/{guidebook.unique_id}/edit/"),
        (owner_client, f"/guidebooks/{guidebook.unique_id}/scenes/{scene.unique_id}/edit/"),
    ]
    for browser, path in pages:
        response = browser.get(path)
        assert response.status_code == 200, path
        finder = InlineCodeFinder()
        finder.feed(response.content.decode())
        # Photos come from this site's own stable links, absolute like every link it gives.
        problems = [text for text in finder.problems if f"loads {settings.SITE_URL}/" not in text]
        assert problems == [], (path, problems)
        # Each id once: the scene editor has two forms with a title and a description.
        ids = Counter(re.findall(r'\sid="([^"]+)"', response.content.decode()))
        assert [name for name, count in ids.items() if count > 1] == [], path
