"""PATCH and DELETE /api/v1/sequence/<unique_id>"""

import json

import pytest
from django.utils import timezone

from mtp.api.schemas import SequenceWriteOut
from mtp.imports.models import ImportJob
from mtp.sequences.models import Image, Sequence, Tag
from testing.builders import API, make_sequence


def url(sequence) -> str:
    return f"{API}/sequence/{sequence.unique_id}"


def patch(client, sequence, headers, **fields):
    return client.patch(
        url(sequence), json.dumps(fields), content_type="application/json", **headers
    )


def test_the_owner_renames_and_redescribes(client, owner_headers, published):
    response = patch(client, published, owner_headers, name=" Evening walk ", description="Calm")
    assert response.status_code == 200
    SequenceWriteOut.model_validate(response.json())
    published.refresh_from_db()
    assert (published.name, published.description) == ("Evening walk", "Calm")


def test_fields_left_out_stay_as_they_are(client, owner_headers, published):
    patch(client, published, owner_headers, description="Calm")
    published.refresh_from_db()
    assert published.name == "Lake shore walk"
    assert sorted(published.tags.values_list("name", flat=True)) == ["geneva", "lake"]


def test_tags_are_replaced(client, owner_headers, published):
    response = patch(client, published, owner_headers, tags="Sunset, lake")
    assert response.json()["sequence"]["tags"] == ["lake", "sunset"]
    assert sorted(published.tags.values_list("name", flat=True)) == ["lake", "sunset"]


def test_an_empty_tag_list_removes_all_tags(client, owner_headers, published):
    patch(client, published, owner_headers, tags=[])
    assert published.tags.count() == 0
    assert Tag.objects.filter(name="lake").exists()


def test_the_transport_type_changes_by_name(client, owner_headers, published):
    response = patch(client, published, owner_headers, transport_type="electric bicycle")
    assert response.json()["sequence"]["transport_type"] == "Electric Bicycle"


def test_links_are_set_and_removed(client, owner_headers, published):
    link = "https://maps.app.goo.gl/abc"
    patch(client, published, owner_headers, google_street_view=link, strava="123")
    published.refresh_from_db()
    assert (published.google_street_view, published.strava) == (link, "123")
    patch(client, published, owner_headers, google_street_view="", strava=None)
    published.refresh_from_db()
    assert (published.google_street_view, published.strava) == ("", "")


@pytest.mark.parametrize(
    "fields",
    [
        {"name": ""},
        {"name": None},
        {"transport_type": "Water"},
        {"tags": "bad tag"},
        {"google_street_view": "http://insecure.example.org/x"},
        {"strava": "not-an-activity"},
        {"tags": "a", "tag": "b"},
    ],
)
def test_invalid_changes_are_refused_and_nothing_changes(client, owner_headers, published, fields):
    before = Sequence.objects.values().get(pk=published.pk)
    response = patch(client, published, owner_headers, **fields)
    assert response.status_code == 422
    assert Sequence.objects.values().get(pk=published.pk) == before
    assert published.tags.count() == 2


def test_patch_accepts_a_form_too(client, owner_headers, published):
    response = client.patch(
        url(published),
        "name=Renamed&tags=x%2Cy",
        content_type="application/x-www-form-urlencoded",
        **owner_headers,
    )
    assert response.status_code == 200
    assert response.json()["sequence"]["tags"] == ["x", "y"]


def test_an_edit_does_not_touch_what_an_import_wrote(client, owner_headers, owner):
    sequence = make_sequence(owner, status="importing", images=False)
    # The import publishes the sequence while the owner's edit is on its way.
    Sequence.objects.filter(pk=sequence.pk).update(
        status="published", published_at=timezone.now(), image_count=40
    )
    patch(client, sequence, owner_headers, name="Renamed")
    sequence.refresh_from_db()
    assert (sequence.name, sequence.status, sequence.image_count) == ("Renamed", "published", 40)


def test_another_user_cannot_edit(client, other_headers, published):
    response = patch(client, published, other_headers, name="Mine now")
    assert response.status_code == 404
    published.refresh_from_db()
    assert published.name == "Lake shore walk"


def test_the_owner_deletes_the_sequence_with_its_images_and_imports(
    client, owner_headers, published
):
    ImportJob.objects.create(sequence=published, mapillary_sequence_key="k", status="succeeded")
    response = client.delete(url(published), **owner_headers)
    assert response.status_code == 204
    assert response.content == b""
    assert not Sequence.objects.filter(pk=published.pk).exists()
    assert not Image.objects.filter(sequence_id=published.pk).exists()
    assert not ImportJob.objects.filter(sequence_id=published.pk).exists()
    assert client.get(url(published), **owner_headers).status_code == 404


def test_another_user_cannot_delete(client, other_headers, published):
    assert client.delete(url(published), **other_headers).status_code == 404
    assert Sequence.objects.filter(pk=published.pk).exists()
    assert Image.objects.filter(sequence=published).count() == 4


def test_deleting_needs_a_token(client, app, published):
    response = client.delete(f"{url(published)}?client_id={app.client_id}")
    assert response.status_code == 401
    assert Sequence.objects.filter(pk=published.pk).exists()
