"""The MTP Desktop Uploader's requests, sent over real HTTP exactly as it sends them."""

import httpx
import pytest

from mtp.imports.models import ImportJob
from mtp.sequences.models import Sequence
from testing.fake_mapillary import OWNER, RECORDED_SEQUENCE

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded")]


@pytest.fixture
def uploader(live_server, owner_token):
    with httpx.Client(
        base_url=f"{live_server.url}/api/v1",
        headers={"Authorization": f"Bearer {owner_token}"},
        timeout=30,
    ) as client:
        yield client


def test_create_then_attach_a_street_view_link_and_a_strava_activity(uploader, owner):
    # POST with a trailing slash, urlencoded, no client_id.
    created = uploader.post(
        "/sequence/create/",
        data={
            "name": "Morning walk",
            "description": "Along the lake",
            "transport_type": "Walk",
            "tag": "lake,geneva",
            "source": "mtpdu",
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert "error" not in body
    unique_id = body["unique_id"]

    for attach in ({"google_street_view": "https://maps.app.goo.gl/abc"}, {"strava": "123"}):
        response = uploader.put(f"/sequence/import/{unique_id}/", json=attach)
        assert response.status_code == 200
        assert "error" not in response.json()

    sequence = Sequence.objects.get(unique_id=unique_id)
    assert sequence.owner == owner
    assert (sequence.google_street_view, sequence.strava) == ("https://maps.app.goo.gl/abc", "123")
    assert sorted(sequence.tags.values_list("name", flat=True)) == ["geneva", "lake"]


def test_a_failed_create_carries_an_error_key(uploader):
    response = uploader.post(
        "/sequence/create/", data={"name": "x", "transport_type": "Hoverboard", "tag": ""}
    )
    assert response.status_code == 422
    assert "Hoverboard" in response.json()["error"]


def test_the_seeds_curl_example_sends_multipart(uploader):
    response = uploader.post(
        "/sequence/create",
        files={
            "name": (None, "Paddle"),
            "description": (None, ""),
            "transport_type": (None, "Paddleboard"),
            "tag": (None, "sup"),
        },
    )
    assert response.status_code == 201
    assert response.json()["sequence"]["transport_type"] == "Paddleboard"


def test_the_whole_upload_street_view_then_mapillary_polled_then_strava(
    uploader, owner, fake_mapillary
):
    created = uploader.post(
        "/sequence/create/",
        data={"name": "Run", "description": "", "transport_type": "Walk", "tag": "a,b"},
    )
    unique_id = created.json()["unique_id"]
    url = f"/sequence/import/{unique_id}/"
    assert (
        "error"
        not in uploader.put(url, json={"google_street_view": "https://maps.app.goo.gl/x"}).json()
    )

    # The uploader polls every 5 minutes until the key is known, sending the same pair.
    pair = {"mapillary_user_token": OWNER.token, "mapillary_sequence_key": RECORDED_SEQUENCE}
    for _ in range(3):
        response = uploader.put(url, json=pair)
        assert response.status_code == 202
        assert "error" not in response.json()
    assert "error" not in uploader.put(url, json={"strava": "99"}).json()

    sequence = Sequence.objects.get(unique_id=unique_id)
    assert sequence.status == "importing"
    assert sequence.mapillary_sequence_key == RECORDED_SEQUENCE
    assert (sequence.google_street_view, sequence.strava) == ("https://maps.app.goo.gl/x", "99")
    assert ImportJob.objects.filter(sequence=sequence).count() == 1
    # Only the first call asked Mapillary: the repeats change nothing.
    assert fake_mapillary.count("/me") == 1


def test_a_refused_mapillary_token_carries_an_error_key(uploader, fake_mapillary):
    unique_id = uploader.post(
        "/sequence/create/", data={"name": "Run", "transport_type": "Walk"}
    ).json()["unique_id"]
    response = uploader.put(
        f"/sequence/import/{unique_id}/",
        json={"mapillary_user_token": "MLY|nope", "mapillary_sequence_key": RECORDED_SEQUENCE},
    )
    assert response.status_code == 400
    assert "Mapillary" in response.json()["error"]


def test_a_draft_handed_a_mapillary_key_ends_published_with_every_image_and_its_route(
    uploader, owner, fake_mapillary
):
    from django.core.management import call_command

    created = uploader.post(
        "/sequence/create/",
        data={"name": "Lake", "description": "Shore", "transport_type": "Walk", "tag": "lake"},
    )
    unique_id = created.json()["unique_id"]
    url = f"/sequence/import/{unique_id}/"
    pair = {"mapillary_user_token": OWNER.token, "mapillary_sequence_key": RECORDED_SEQUENCE}
    assert uploader.put(url, json=pair).status_code == 202
    # While it waits, the user edits the draft: the import must not undo it.
    edited = uploader.patch(
        f"/sequence/{unique_id}", json={"name": "Lake shore", "tags": ["shore"]}
    )
    assert edited.status_code == 200

    call_command("worker", "--batch", "--interval", "0")

    sequence = uploader.get(f"/sequence/{unique_id}").json()
    assert sequence["status"] == "published"
    assert sequence["image_count"] == 8
    assert sequence["distance_m"] > 0
    assert sequence["captured_at_start"] <= sequence["captured_at_end"]
    assert (sequence["name"], sequence["description"], sequence["tags"]) == (
        "Lake shore",
        "Shore",
        ["shore"],
    )
    assert sequence["import"]["status"] == "succeeded"
    assert sequence["import"]["progress"] == {"done": 8, "total": 8}
    images = uploader.get(f"/sequence/{unique_id}/images").json()["results"]
    assert len(images) == 8
    assert [image["position"] for image in images] == list(range(8))

    # The uploader keeps polling: the finished import is not fetched again...
    fetched = fake_mapillary.count("/image_ids")
    again = uploader.put(url, json=pair)
    assert again.status_code == 200
    assert again.json()["import"]["status"] == "succeeded"
    assert fake_mapillary.count("/image_ids") == fetched
    # ...unless a refresh is asked for.
    refreshed = uploader.put(url, json={**pair, "refresh": True})
    assert refreshed.status_code == 202
    assert ImportJob.objects.filter(sequence__unique_id=unique_id).count() == 2
