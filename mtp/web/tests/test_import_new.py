"""Import from Mapillary on the website: a new sequence and its import in one step, by the
actions the API uses; every refusal is shown on the form and writes nothing."""

import pytest

from mtp.imports.models import ImportJob
from mtp.lib import ratelimit
from mtp.sequences.models import Sequence, TransportType
from testing.builders import publish
from testing.fake_mapillary import OWNER, RECORDED_SEQUENCE, STRANGER

URL = "/my/sequences/import/"

pytestmark = pytest.mark.django_db


def form(**changes) -> dict:
    walk = TransportType.objects.get(name="Walk")
    return {
        "name": "Harbour morning",
        "transport_type": walk.pk,
        "tags": "harbour, Morning",
        "description": "",
        "mapillary_sequence_key": RECORDED_SEQUENCE,
        "mapillary_token": OWNER.token,
        **changes,
    }


def nothing_written() -> bool:
    return not Sequence.objects.exists() and not ImportJob.objects.exists()


def test_the_page_explains_where_the_key_and_the_token_are_found(owner_client):
    html = owner_client.get(URL).content.decode()
    for name in ("name", "transport_type", "tags", "mapillary_sequence_key", "mapillary_token"):
        assert f'name="{name}"' in html
    assert "Way of travel" in html
    assert 'href="https://www.mapillary.com/dashboard/developers"' in html
    assert "Where to find the key and the token" in html


def test_my_sequences_links_to_the_import_page(owner_client):
    assert f'href="{URL}"' in owner_client.get("/my/").content.decode()


def test_a_new_sequence_is_created_and_its_import_queued(fake_mapillary, owner_client, owner):
    response = owner_client.post(URL, form())
    assert response.status_code == 302 and response["Location"] == "/my/"
    sequence = Sequence.objects.get(owner=owner)
    assert sequence.name == "Harbour morning"
    assert sequence.transport_type.name == "Walk"
    assert sequence.source == "website"
    assert sorted(tag.name for tag in sequence.tags.all()) == ["harbour", "morning"]
    assert sequence.status == Sequence.Status.IMPORTING
    job = ImportJob.objects.get(sequence=sequence, status="queued")
    assert job.mapillary_sequence_key == RECORDED_SEQUENCE
    assert job.mapillary_username == OWNER.username
    assert "has started" in owner_client.get("/my/").content.decode()


def test_a_malformed_key_is_refused_on_its_field_before_asking_mapillary(
    fake_mapillary, owner_client
):
    response = owner_client.post(URL, form(mapillary_sequence_key="not a key!"))
    assert response.status_code == 400
    assert "mapillary_sequence_key" in response.context["form"].errors
    assert fake_mapillary.count("/me") == 0
    assert nothing_written()


def test_a_key_mapillary_does_not_know_is_refused_and_nothing_is_written(
    fake_mapillary, owner_client
):
    response = owner_client.post(URL, form(mapillary_sequence_key="nosuchsequence"))
    assert response.status_code == 400
    assert "Mapillary has no images for sequence nosuchsequence" in response.content.decode()
    assert nothing_written()


def test_another_mapillary_users_sequence_is_refused_and_nothing_is_written(
    fake_mapillary, owner_client
):
    fake_mapillary.add_sequence("strangers-walk", 5, owner=STRANGER)
    response = owner_client.post(URL, form(mapillary_sequence_key="strangers-walk"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "You can import only your own sequences." in html
    assert 'role="alert"' in html
    assert nothing_written()


def test_a_token_mapillary_refuses_is_reported_on_the_token_field(fake_mapillary, owner_client):
    response = owner_client.post(URL, form(mapillary_token="MLY|1|not-a-real-one"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Mapillary refused it" in html and "MLY|1|not-a-real-one" not in html
    assert nothing_written()


def test_a_key_another_persons_sequence_holds_is_refused_without_asking_mapillary(
    fake_mapillary, owner_client, other_user
):
    publish(other_user, "Already imported", mapillary_sequence_key=RECORDED_SEQUENCE)
    before = Sequence.objects.count()
    response = owner_client.post(URL, form())
    assert response.status_code == 400
    assert "already imported into another" in response.content.decode()
    assert fake_mapillary.count("/me") == 0
    assert Sequence.objects.count() == before and not ImportJob.objects.exists()


def test_over_the_import_limit_is_refused_and_nothing_is_written(
    fake_mapillary, owner_client, settings, monkeypatch
):
    settings.MTP_API_RATE_IMPORT = 2
    monkeypatch.setattr(ratelimit, "now", lambda: 1_000_000_040)  # 20 s into a 60 s window
    for _ in range(2):
        owner_client.post(URL, form(mapillary_sequence_key="nosuchsequence"))
    asked = fake_mapillary.count("/me")
    response = owner_client.post(URL, form())
    assert response.status_code == 400
    assert "Too many import calls. Try again in 40 seconds." in response.content.decode()
    assert fake_mapillary.count("/me") == asked
    assert nothing_written()


def test_a_missing_name_is_refused_before_asking_mapillary(fake_mapillary, owner_client):
    response = owner_client.post(URL, form(name=""))
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert fake_mapillary.count("/me") == 0
    assert nothing_written()


def test_signing_in_comes_first(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
