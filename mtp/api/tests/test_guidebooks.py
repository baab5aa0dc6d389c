"""Guidebooks through API v1: guidebooks, their scenes and points of interest, search, and
what happens to scenes when their sequence goes away."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mtp.api.guidebooks import GuidebookListOut, GuidebookOut, PoiWriteOut, SceneWriteOut
from mtp.guidebooks.models import (
    MAX_GUIDEBOOK_POIS,
    MAX_SCENES,
    Category,
    Guidebook,
    Poi,
    Scene,
)
from mtp.lib.http import json_bytes
from mtp.sequences.models import CameraMake, CameraModel, Image, Sequence
from mtp.webhooks.models import WebhookDelivery
from testing.builders import API, bearer, issue_token, make_sequence

pytestmark = pytest.mark.django_db


def post(client, url, data, headers):
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


def patch(client, url, data, headers):
    return client.patch(url, json.dumps(data), content_type="application/json", **headers)


def put(client, url, data, headers):
    return client.put(url, json.dumps(data), content_type="application/json", **headers)


def make_guidebook(client, headers, **fields) -> str:
    body = {"name": "Old town walk", "category": "history", "tags": ["geneva"], **fields}
    response = post(client, f"{API}/guidebooks", body, headers)
    assert response.status_code == 201, response.content
    return response.json()["unique_id"]


def add_scene(client, headers, guidebook_id, image_key, **fields) -> str:
    response = post(
        client,
        f"{API}/guidebooks/{guidebook_id}/scenes",
        {"image": image_key, "title": "Scene", **fields},
        headers,
    )
    assert response.status_code == 201, response.content
    return response.json()["unique_id"]


def keys(sequence: Sequence) -> list[str]:
    return list(sequence.images.order_by("position").values_list("key", flat=True))


@pytest.fixture
def guidebook_id(client, owner_headers, published) -> str:
    return make_guidebook(client, owner_headers, published=True)


# Guidebooks --------------------------------------------------------------------------------


def test_the_categories_are_seeded_and_listed_by_slug(client, app):
    response = client.get(f"{API}/guidebook-categories", {"client_id": app.client_id})
    assert response.status_code == 200
    slugs = [item["slug"] for item in response.json()]
    assert {"nature", "history", "viewpoint", "other"} <= set(slugs)


def test_a_new_guidebook_is_a_draft_seen_by_its_owner_only(
    client, owner_headers, other_headers, app
):
    response = post(
        client,
        f"{API}/guidebooks",
        {"name": " Old town ", "description": "Stones.", "category": "history", "tags": "a,b"},
        owner_headers,
    )
    assert response.status_code == 201, response.content
    unique_id = response.json()["unique_id"]
    assert response["Location"].endswith(f"/api/v1/guidebooks/{unique_id}")
    guidebook = response.json()["guidebook"]
    GuidebookOut.model_validate(guidebook)
    assert guidebook["name"] == "Old town"
    assert guidebook["published"] is False and guidebook["published_at"] is None
    assert guidebook["category"] == {"slug": "history", "name": "History"}
    assert guidebook["tags"] == ["a", "b"]
    assert guidebook["scenes"] == [] and guidebook["scene_count"] == 0
    url = f"{API}/guidebooks/{unique_id}"
    assert client.get(url, **owner_headers).status_code == 200
    assert client.get(url, **other_headers).status_code == 404
    assert client.get(url, {"client_id": app.client_id}).status_code == 404


def test_a_guidebook_with_an_unknown_category_or_no_name_is_refused_and_not_written(
    client, owner_headers
):
    response = post(
        client, f"{API}/guidebooks", {"name": "A", "category": "cooking"}, owner_headers
    )
    assert response.status_code == 422
    assert response.json()["error"].startswith("category:")
    response = post(client, f"{API}/guidebooks", {"name": "  "}, owner_headers)
    assert response.status_code == 422
    assert Guidebook.objects.count() == 0


def test_a_read_token_cannot_create_a_guidebook(client, owner, app):
    token = issue_token(owner, app)
    from oauth2_provider.models import get_access_token_model

    get_access_token_model().objects.update(scope="read")
    response = post(client, f"{API}/guidebooks", {"name": "A"}, bearer(token))
    assert response.status_code == 403
    assert Guidebook.objects.count() == 0


def test_only_the_owner_changes_a_published_guidebook(client, guidebook_id, other_headers):
    url = f"{API}/guidebooks/{guidebook_id}"
    assert patch(client, url, {"name": "Mine"}, other_headers).status_code == 403
    assert client.delete(url, **other_headers).status_code == 403
    assert Guidebook.objects.get().name == "Old town walk"


def test_the_owner_changes_and_deletes_a_guidebook(client, guidebook_id, owner_headers):
    url = f"{API}/guidebooks/{guidebook_id}"
    response = patch(
        client, url, {"name": "New town", "category": None, "tags": ["x"]}, owner_headers
    )
    assert response.status_code == 200, response.content
    data = response.json()["guidebook"]
    assert (data["name"], data["category"], data["tags"]) == ("New town", None, ["x"])
    assert patch(client, url, {"name": None}, owner_headers).status_code == 422
    assert client.delete(url, **owner_headers).status_code == 204
    assert client.get(url, **owner_headers).status_code == 404


# Scenes and points -------------------------------------------------------------------------


def test_scenes_come_in_order_with_their_image_and_points(
    client, owner_headers, app, guidebook_id, published
):
    first, second = keys(published)[:2]
    scene_b = add_scene(client, owner_headers, guidebook_id, second, title="B")
    scene_a = add_scene(client, owner_headers, guidebook_id, first, title="A", position=0)
    response = post(
        client,
        f"{API}/guidebooks/{guidebook_id}/scenes/{scene_a}/pois",
        {
            "title": "Fountain",
            "x": 0.25,
            "y": 0.75,
            "category": "water",
            "url": "https://a.example/",
        },
        owner_headers,
    )
    assert response.status_code == 201, response.content
    PoiWriteOut.model_validate(response.json())
    response = client.get(f"{API}/guidebooks/{guidebook_id}", {"client_id": app.client_id})
    assert response.status_code == 200
    data = GuidebookOut.model_validate(response.json()).model_dump()
    assert [scene["title"] for scene in data["scenes"]] == ["A", "B"]
    assert [scene["unique_id"] for scene in data["scenes"]] == [scene_a, scene_b]
    assert [scene["position"] for scene in data["scenes"]] == [0, 1]
    image = data["scenes"][0]["image"]
    assert image["mapillary_key"] == first
    assert image["thumb_1024_url"].endswith(f"/api/v1/images/{first}/thumbnail?size=1024")
    [poi] = data["scenes"][0]["pois"]
    assert (poi["title"], poi["x"], poi["y"], poi["yaw"]) == ("Fountain", 0.25, 0.75, None)
    assert poi["category"]["slug"] == "water"
    assert data["scenes"][0]["sequence"]["unique_id"] == str(published.unique_id)
    assert data["scene_count"] == 2
    assert data["bbox"][0] <= image["lon"] <= data["bbox"][2]


def test_a_scenes_image_reads_as_the_image_does_everywhere_else(
    client, owner_headers, app, guidebook_id, published
):
    first, second = published.images.order_by("position")[:2]
    make = CameraMake.objects.create(name="GoPro")
    first.camera_make = make
    first.camera_model = CameraModel.objects.create(make=make, name="MAX")
    first.compass_angle, first.altitude, first.width, first.height = 123.25, 371.5, 5760, 2880
    first.is_pano = True
    first.save()
    for image in (first, second):
        add_scene(client, owner_headers, guidebook_id, image.mapillary_key)
    response = client.get(f"{API}/guidebooks/{guidebook_id}", {"client_id": app.client_id})
    assert response.status_code == 200
    images = [scene["image"] for scene in response.json()["scenes"]]
    expected = [
        json.loads(json_bytes(Image.objects.get(pk=image.pk).to_dict()))
        for image in (first, second)
    ]
    assert images == expected
    assert [list(image) for image in images] == [list(image) for image in expected]  # key order
    assert images[0]["camera_model"] == "MAX" and images[1]["camera_model"] is None


def test_geojson_gives_a_point_per_scene_in_order(client, owner_headers, guidebook_id, published):
    for key in keys(published)[:3]:
        add_scene(client, owner_headers, guidebook_id, key)
    response = client.get(
        f"{API}/guidebooks/{guidebook_id}", HTTP_ACCEPT="application/geo+json", **owner_headers
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    points = [feature["geometry"] for feature in body["features"]]
    expected = [list(image.point.coords) for image in published.images.order_by("position")[:3]]
    assert [point["coordinates"] for point in points] == expected
    assert {point["type"] for point in points} == {"Point"}


def test_an_image_this_server_does_not_hold_or_of_a_draft_is_refused(
    client, owner, owner_headers, guidebook_id
):
    hidden = make_sequence(owner, name="Draft with photos", status="draft", route=[(6.0, 46.0)])
    for key in ("no-such-image", keys(hidden)[0]):
        response = post(
            client, f"{API}/guidebooks/{guidebook_id}/scenes", {"image": key}, owner_headers
        )
        assert response.status_code == 422, key
        assert response.json()["error"].startswith("image:")
    assert Scene.objects.count() == 0


def test_points_must_lie_on_the_photo(client, owner_headers, guidebook_id, published):
    scene = add_scene(client, owner_headers, guidebook_id, keys(published)[0])
    url = f"{API}/guidebooks/{guidebook_id}/scenes/{scene}/pois"
    for body in (
        {"title": "Off", "x": 1.5, "y": 0.5},
        {"title": "Off", "x": -0.1, "y": 0.5},
        {"title": "Half", "x": 0.5},
        {"title": "Flat", "yaw": 10, "pitch": 5},
        {"title": "Both", "x": 0.5, "y": 0.5, "yaw": 0, "pitch": 0},
        {"title": "", "x": 0.5, "y": 0.5},
        {"title": "Nowhere"},
        {"title": "Link", "x": 0.5, "y": 0.5, "url": "javascript:alert(1)"},
    ):
        response = post(client, url, body, owner_headers)
        assert response.status_code == 422, body
        assert response.json()["error"]
    assert Poi.objects.count() == 0


def test_a_panorama_takes_yaw_and_pitch_within_their_ranges(
    client, owner_headers, guidebook_id, published
):
    Image.objects.filter(sequence=published).update(is_pano=True)
    scene = add_scene(client, owner_headers, guidebook_id, keys(published)[0])
    url = f"{API}/guidebooks/{guidebook_id}/scenes/{scene}/pois"
    for body in (
        {"title": "Sky", "yaw": 0, "pitch": 91},
        {"title": "Back", "yaw": 181, "pitch": 0},
    ):
        assert post(client, url, body, owner_headers).status_code == 422
    response = post(client, url, {"title": "Tower", "yaw": 90, "pitch": 45}, owner_headers)
    assert response.status_code == 201, response.content
    poi = response.json()["poi"]
    assert (poi["x"], poi["y"], poi["yaw"], poi["pitch"]) == (0.75, 0.25, 90, 45)


def test_scenes_are_reordered_moved_and_deleted(client, owner_headers, guidebook_id, published):
    scenes = [add_scene(client, owner_headers, guidebook_id, key) for key in keys(published)[:3]]
    url = f"{API}/guidebooks/{guidebook_id}"
    order = [scenes[2], scenes[0], scenes[1]]
    response = put(client, f"{url}/scenes", {"scenes": order}, owner_headers)
    assert response.status_code == 200, response.content
    assert [scene["unique_id"] for scene in response.json()["guidebook"]["scenes"]] == order
    for wrong in ([scenes[0], scenes[1]], [scenes[0], scenes[0], scenes[1]]):
        assert put(client, f"{url}/scenes", {"scenes": wrong}, owner_headers).status_code == 422
    response = patch(client, f"{url}/scenes/{scenes[1]}", {"position": 0}, owner_headers)
    assert response.status_code == 200
    assert response.json()["scene"]["position"] == 0
    assert client.delete(f"{url}/scenes/{scenes[2]}", **owner_headers).status_code == 204
    listed = client.get(url, **owner_headers).json()["scenes"]
    assert [(scene["unique_id"], scene["position"]) for scene in listed] == [
        (scenes[1], 0),
        (scenes[0], 1),
    ]


def test_points_are_changed_and_deleted(
    client, owner_headers, other_headers, guidebook_id, published
):
    scene = add_scene(client, owner_headers, guidebook_id, keys(published)[0])
    url = f"{API}/guidebooks/{guidebook_id}/scenes/{scene}/pois"
    poi = post(client, url, {"title": "A", "x": 0.1, "y": 0.2}, owner_headers).json()["unique_id"]
    assert patch(client, f"{url}/{poi}", {"title": "B"}, other_headers).status_code == 403
    response = patch(client, f"{url}/{poi}", {"title": "B", "x": 0.9, "y": 0.8}, owner_headers)
    assert response.status_code == 200
    assert response.json()["poi"]["title"] == "B"
    assert (response.json()["poi"]["x"], response.json()["poi"]["y"]) == (0.9, 0.8)
    assert patch(client, f"{url}/{poi}", {"x": 2, "y": 0}, owner_headers).status_code == 422
    assert client.delete(f"{url}/{poi}", **owner_headers).status_code == 204
    assert client.delete(f"{url}/{poi}", **owner_headers).status_code == 404


def test_a_guidebook_holds_at_most_200_scenes(client, owner_headers, guidebook_id, published):
    guidebook = Guidebook.objects.get()
    image = published.images.first()
    Scene.objects.bulk_create(
        Scene(guidebook=guidebook, image=image, position=n) for n in range(MAX_SCENES)
    )
    response = post(
        client,
        f"{API}/guidebooks/{guidebook_id}/scenes",
        {"image": keys(published)[1]},
        owner_headers,
    )
    assert response.status_code == 422
    assert "200" in response.json()["error"]
    assert Scene.objects.count() == MAX_SCENES


def test_a_guidebook_holds_at_most_300_points_in_all_its_scenes(
    client, owner_headers, guidebook_id, published
):
    # Three scenes of 100 points each: every scene is under its own limit, the guidebook full.
    guidebook = Guidebook.objects.get()
    image = published.images.first()
    scenes = Scene.objects.bulk_create(
        Scene(guidebook=guidebook, image=image, position=n) for n in range(4)
    )
    Poi.objects.bulk_create(
        Poi(scene=scene, title=f"Point {n}", x=0.5, y=0.5)
        for scene in scenes[:3]
        for n in range(MAX_GUIDEBOOK_POIS // 3)
    )
    url = f"{API}/guidebooks/{guidebook_id}/scenes/{scenes[3].unique_id}/pois"
    response = post(client, url, {"title": "One more", "x": 0.1, "y": 0.2}, owner_headers)
    assert response.status_code == 422
    assert response.json()["error"] == (
        f"A guidebook holds at most {MAX_GUIDEBOOK_POIS} points of interest in all."
    )
    assert Poi.objects.count() == MAX_GUIDEBOOK_POIS
    # One fewer, and the point goes in.
    Poi.objects.filter(scene=scenes[0]).first().delete()
    response = post(client, url, {"title": "One more", "x": 0.1, "y": 0.2}, owner_headers)
    assert response.status_code == 201


# A sequence that goes away -----------------------------------------------------------------


def test_a_deleted_sequence_takes_its_scenes_away(
    client, owner, owner_headers, guidebook_id, published
):
    other = make_sequence(owner, name="Other", route=[(6.2, 46.3)])
    add_scene(client, owner_headers, guidebook_id, keys(published)[0])
    kept = add_scene(client, owner_headers, guidebook_id, keys(other)[0])
    assert (
        client.delete(f"{API}/sequence/{published.unique_id}", **owner_headers).status_code == 204
    )
    response = client.get(f"{API}/guidebooks/{guidebook_id}", **owner_headers)
    assert response.status_code == 200
    assert [scene["unique_id"] for scene in response.json()["scenes"]] == [kept]
    assert Scene.objects.count() == 1


def test_a_new_order_may_leave_hidden_scenes_out(
    client, owner, owner_headers, guidebook_id, published
):
    other = make_sequence(owner, name="Other", route=[(6.2, 46.3), (6.21, 46.3)])
    hidden = add_scene(client, owner_headers, guidebook_id, keys(published)[0])
    first, second = (add_scene(client, owner_headers, guidebook_id, key) for key in keys(other))
    Sequence.objects.filter(pk=published.pk).update(status="draft", published_at=None)
    url = f"{API}/guidebooks/{guidebook_id}/scenes"
    response = put(client, url, {"scenes": [second, first]}, owner_headers)
    assert response.status_code == 200, response.content
    assert [scene["unique_id"] for scene in response.json()["guidebook"]["scenes"]] == [
        second,
        first,
    ]
    order = Scene.objects.order_by("position").values_list("unique_id", flat=True)
    assert [str(scene_id) for scene_id in order] == [second, first, hidden]
    assert put(client, url, {"scenes": [second]}, owner_headers).status_code == 422


def test_a_sequence_no_longer_published_hides_its_scenes_until_it_is_again(
    client, owner_headers, app, guidebook_id, published
):
    add_scene(client, owner_headers, guidebook_id, keys(published)[0])
    Sequence.objects.filter(pk=published.pk).update(status="draft", published_at=None)
    for params in ({"client_id": app.client_id}, {}):
        response = client.get(f"{API}/guidebooks/{guidebook_id}", params, **owner_headers)
        assert response.status_code == 200
        assert response.json()["scenes"] == [] and response.json()["scene_count"] == 0
    listed = client.get(f"{API}/guidebooks", {"client_id": app.client_id}).json()["results"]
    assert listed[0]["scene_count"] == 0
    Sequence.objects.filter(pk=published.pk).update(
        status="published", published_at="2025-01-01T00:00Z"
    )
    response = client.get(f"{API}/guidebooks/{guidebook_id}", **owner_headers)
    assert len(response.json()["scenes"]) == 1


# Search ------------------------------------------------------------------------------------


def test_search_filters_by_text_tag_category_user_and_box(
    client, owner_headers, other_headers, app, published
):
    near = make_guidebook(client, owner_headers, name="Lake walk", tags=["lake"], published=True)
    add_scene(client, owner_headers, near, keys(published)[0])
    far = make_guidebook(client, other_headers, name="Alps", category="nature", published=True)
    make_guidebook(client, owner_headers, name="Secret lake")  # a draft

    def found(**params) -> list[str]:
        response = client.get(f"{API}/guidebooks", {"client_id": app.client_id, **params})
        assert response.status_code == 200, response.content
        return [item.unique_id for item in GuidebookListOut.model_validate(response.json()).results]

    assert found() == [far, near]
    assert found(q="lake") == [near]
    assert found(tag="lake") == [near]
    assert found(category="nature") == [far]
    assert found(user="oscar") == [far]
    assert found(bbox="6.1,46.1,6.2,46.3") == [near]
    assert found(bbox="7,45,8,46") == []
    assert (
        client.get(f"{API}/guidebooks", {"client_id": app.client_id, "category": "x"}).status_code
        == 422
    )
    mine = client.get(f"{API}/guidebooks", {"user": "olivia"}, **owner_headers).json()["results"]
    assert [item["name"] for item in mine] == ["Lake walk", "Secret lake"]


def test_search_pages_follow_the_next_link(client, owner_headers, app):
    made = [make_guidebook(client, owner_headers, name=f"G{n}", published=True) for n in range(3)]
    seen = []
    url, params = f"{API}/guidebooks", {"client_id": app.client_id, "limit": 2}
    while url:
        body = client.get(url, params).json()
        seen += [item["unique_id"] for item in body["results"]]
        url, params = body["next"], None
    assert seen == list(reversed(made))


# Cost and events ---------------------------------------------------------------------------


def test_reading_a_guidebook_takes_the_same_queries_for_5_or_50_scenes(
    client, owner, owner_headers, app, guidebook_id
):
    route = [(6.0 + n / 1000, 46.0) for n in range(50)]
    sequences = [make_sequence(owner, name=f"S{n}", route=route[n::5]) for n in range(5)]
    guidebook = Guidebook.objects.get()
    url = f"{API}/guidebooks/{guidebook_id}"

    def queries() -> int:
        client.get(url, {"client_id": app.client_id})  # the client_id is remembered
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"client_id": app.client_id})
        assert response.status_code == 200
        return len(captured)

    images = list(Image.objects.filter(sequence__in=sequences).order_by("id"))
    for position, image in enumerate(images[:5]):
        scene = Scene.objects.create(guidebook=guidebook, image=image, position=position)
        Poi.objects.create(scene=scene, title="P", x=0.5, y=0.5, category=Category.objects.first())
    few = queries()
    for position, image in enumerate(images[5:50], start=5):
        scene = Scene.objects.create(guidebook=guidebook, image=image, position=position)
        Poi.objects.create(scene=scene, title="P", x=0.5, y=0.5, category=Category.objects.first())
    assert len(client.get(url, {"client_id": app.client_id}).json()["scenes"]) == 50
    assert queries() == few <= 6


def test_publishing_tells_the_application_that_created_it_once(client, owner_headers, app):
    app.webhook_url = "https://hooks.example.org/mtp"
    app.save()
    unique_id = make_guidebook(client, owner_headers)
    assert not WebhookDelivery.objects.exists()
    url = f"{API}/guidebooks/{unique_id}"
    assert patch(client, url, {"published": True}, owner_headers).status_code == 200
    assert (
        patch(client, url, {"published": True, "name": "Again"}, owner_headers).status_code == 200
    )
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.event_type == "guidebook.published"
    event = json.loads(delivery.body)
    assert event["data"]["guidebook"]["unique_id"] == unique_id
    assert event["data"]["guidebook"]["api_url"].endswith(f"/api/v1/guidebooks/{unique_id}")


def test_scene_writes_return_the_scene(client, owner_headers, guidebook_id, published):
    response = post(
        client,
        f"{API}/guidebooks/{guidebook_id}/scenes",
        {"image": keys(published)[0], "title": "Start", "description": "Here."},
        owner_headers,
    )
    assert response.status_code == 201
    scene = SceneWriteOut.model_validate(response.json()).scene
    assert (scene.title, scene.description, scene.position, scene.pois) == ("Start", "Here.", 0, [])
