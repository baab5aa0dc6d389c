"""Importing from the website: a draft's first import, or a failed one tried again."""

import pytest
from django.utils.html import escape

from mtp.imports.models import ImportJob
from mtp.lib import ratelimit
from mtp.mapillary.formats import key_problem
from mtp.sequences.models import Sequence
from testing.builders import draft, failed_import, publish
from testing.fake_mapillary import OWNER, RECORDED_SEQUENCE, STRANGER


def import_url(sequence: Sequence) -> str:
    return f"/my/sequences/{sequence.unique_id}/import/"


@pytest.mark.django_db
def test_a_failed_import_starts_again_with_a_fresh_token(fake_mapillary, owner_client, owner):
    sequence = failed_import(owner)
    response = owner_client.post(
        import_url(sequence),
        {"mapillary_sequence_key": RECORDED_SEQUENCE, "mapillary_token": OWNER.token},
    )
    assert response.status_code == 302 and response["Location"] == "/my/"
    sequence.refresh_from_db()
    assert sequence.status == Sequence.Status.IMPORTING
    job = ImportJob.objects.filter(sequence=sequence, status="queued").get()
    assert job.mapillary_sequence_key == RECORDED_SEQUENCE
    assert job.mapillary_username == OWNER.username
    assert OWNER.token not in job.token_ciphertext
    assert fake_mapillary.count("/me") == 1
    page = owner_client.get("/my/").content.decode()
    assert "has started" in page and 'data-status="importing"' in page


@pytest.mark.django_db
def test_a_draft_gets_its_first_import_from_its_own_page(fake_mapillary, owner_client, owner):
    sequence = draft(owner)
    form = owner_client.get(import_url(sequence)).content.decode()
    assert 'name="mapillary_token"' in form and 'autocomplete="off"' in form
    owner_client.post(
        import_url(sequence),
        {"mapillary_sequence_key": RECORDED_SEQUENCE, "mapillary_token": OWNER.token},
    )
    assert ImportJob.objects.filter(sequence=sequence, status="queued").exists()


@pytest.mark.django_db
def test_a_token_mapillary_refuses_is_reported_on_the_token_field(
    fake_mapillary, owner_client, owner
):
    sequence = failed_import(owner)
    response = owner_client.post(
        import_url(sequence),
        {"mapillary_sequence_key": RECORDED_SEQUENCE, "mapillary_token": "MLY|1|not-a-real-one"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Mapillary refused it" in html
    assert "MLY|1|not-a-real-one" not in html  # a password field is never filled back in
    assert ImportJob.objects.filter(sequence=sequence).count() == 1


@pytest.mark.django_db
def test_mapillary_not_answering_asks_to_try_again_later(fake_mapillary, owner_client, owner):
    sequence = failed_import(owner)
    fake_mapillary.inject("server_error", "/me", times=None)
    response = owner_client.post(
        import_url(sequence),
        {"mapillary_sequence_key": RECORDED_SEQUENCE, "mapillary_token": OWNER.token},
    )
    assert response.status_code == 400
    assert "Try again in a minute" in response.content.decode()
    sequence.refresh_from_db()
    assert sequence.status == Sequence.Status.FAILED


@pytest.mark.django_db
def test_a_key_another_sequence_holds_is_refused_with_the_reason(
    fake_mapillary, owner_client, owner, other_user
):
    publish(other_user, "Already imported", mapillary_sequence_key=RECORDED_SEQUENCE)
    sequence = failed_import(owner)
    response = owner_client.post(
        import_url(sequence),
        {"mapillary_sequence_key": RECORDED_SEQUENCE, "mapillary_token": OWNER.token},
    )
    assert response.status_code == 400
    assert "already imported into another" in response.content.decode()


@pytest.mark.django_db
def test_a_malformed_key_is_refused_before_asking_mapillary(fake_mapillary, owner_client, owner):
    sequence = failed_import(owner)
    response = owner_client.post(
        import_url(sequence),
        {"mapillary_sequence_key": "not a key!", "mapillary_token": OWNER.token},
    )
    assert response.status_code == 400
    assert escape(key_problem("not a key!")) in response.content.decode()
    assert fake_mapillary.count("/me") == 0


@pytest.mark.django_db
def test_anyone_else_gets_a_404_and_mapillary_is_never_asked(fake_mapillary, other_client, owner):
    sequence = failed_import(owner)
    response = other_client.post(
        import_url(sequence),
        {"mapillary_sequence_key": RECORDED_SEQUENCE, "mapillary_token": OWNER.token},
    )
    assert response.status_code == 404
    assert fake_mapillary.count("/me") == 0


@pytest.mark.django_db
def test_a_person_waits_for_one_retry_at_most_when_mapillary_fails(
    fake_mapillary, owner_client, owner, settings
):
    settings.MAPILLARY_RETRIES = 5
    fake_mapillary.inject("server_error", "/me", times=None)
    owner_client.post(
        import_url(failed_import(owner)),
        {"mapillary_sequence_key": RECORDED_SEQUENCE, "mapillary_token": OWNER.token},
    )
    assert fake_mapillary.count("/me") == 2


# The website refuses what the API refuses (mtp.imports.actions), with the reason on the form.


@pytest.mark.django_db
def test_a_mapillary_sequence_that_does_not_exist_is_refused_on_the_form(
    fake_mapillary, owner_client, owner
):
    sequence = draft(owner)
    response = owner_client.post(
        import_url(sequence),
        {"mapillary_sequence_key": "nosuchsequence", "mapillary_token": OWNER.token},
    )
    assert response.status_code == 400
    assert "Mapillary has no images for sequence nosuchsequence" in response.content.decode()
    assert not ImportJob.objects.exists()
    sequence.refresh_from_db()
    assert (sequence.status, sequence.mapillary_sequence_key) == ("draft", None)


@pytest.mark.django_db
def test_another_mapillary_users_sequence_is_refused_on_the_form(
    fake_mapillary, owner_client, owner
):
    fake_mapillary.add_sequence("strangers-walk", 5, owner=STRANGER)
    sequence = draft(owner)
    response = owner_client.post(
        import_url(sequence),
        {"mapillary_sequence_key": "strangers-walk", "mapillary_token": OWNER.token},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "uploaded by someone_else, not by vorpalblade" in html
    assert "You can import only your own sequences." in html
    assert not ImportJob.objects.exists()
    sequence.refresh_from_db()
    assert sequence.status == Sequence.Status.DRAFT


@pytest.mark.django_db
def test_the_per_user_import_limit_holds_on_the_form_too(
    fake_mapillary, owner_client, owner, settings, monkeypatch
):
    settings.MTP_API_RATE_IMPORT = 2
    monkeypatch.setattr(ratelimit, "now", lambda: 1_000_000_040)  # 20 s into a 60 s window
    # Two calls that change something: refused by Mapillary, but counted.
    for _ in range(2):
        owner_client.post(
            import_url(draft(owner)),
            {"mapillary_sequence_key": "nosuchsequence", "mapillary_token": OWNER.token},
        )
    asked = fake_mapillary.count("/me")
    sequence = draft(owner, "Third walk")
    response = owner_client.post(
        import_url(sequence),
        {"mapillary_sequence_key": RECORDED_SEQUENCE, "mapillary_token": OWNER.token},
    )
    assert response.status_code == 400
    assert "Too many import calls. Try again in 40 seconds." in response.content.decode()
    assert fake_mapillary.count("/me") == asked
    assert not ImportJob.objects.exists()
    sequence.refresh_from_db()
    assert sequence.status == Sequence.Status.DRAFT
