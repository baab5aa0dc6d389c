"""PUT /api/v1/sequence/import/<unique_id> with a Mapillary sequence: the hand-off to an import."""

import json

import pytest

from mtp.api.schemas import ImportAcceptedOut
from mtp.imports.models import ImportJob
from mtp.imports.tokens import decrypt_token
from mtp.mapillary.formats import key_problem, token_problem
from mtp.sequences.models import Sequence
from testing.builders import API, make_sequence
from testing.fake_mapillary import OWNER, RECORDED_SEQUENCE, STRANGER

SEED_BODY = {"seq_key": RECORDED_SEQUENCE, "token": OWNER.token}
UPLOADER_BODY = {"mapillary_sequence_key": RECORDED_SEQUENCE, "mapillary_user_token": OWNER.token}


def put(client, sequence, headers, body):
    url = f"{API}/sequence/import/{sequence.unique_id}/"
    return client.put(url, json.dumps(body), content_type="application/json", **headers)


@pytest.mark.parametrize("body", [SEED_BODY, UPLOADER_BODY], ids=["seed", "uploader"])
def test_a_mapillary_sequence_is_handed_to_an_import_job(
    client, owner_headers, draft, fake_mapillary, body
):
    response = put(client, draft, owner_headers, body)
    assert response.status_code == 202
    answer = ImportAcceptedOut.model_validate(response.json())
    assert answer.unique_id == str(draft.unique_id)
    assert answer.import_.status == "queued"
    assert answer.import_.mapillary_sequence_key == RECORDED_SEQUENCE
    assert answer.sequence.status == "importing"
    assert answer.sequence.import_ == answer.import_
    job = ImportJob.objects.get(sequence=draft)
    assert (job.mapillary_user_id, job.mapillary_username) == (OWNER.id, OWNER.username)
    assert decrypt_token(job.token_ciphertext) == OWNER.token
    assert ImportJob.due_ids() == [job.pk]
    assert fake_mapillary.count("/me") == 1


def test_the_token_never_appears_in_the_reply(client, owner_headers, draft, fake_mapillary):
    response = put(client, draft, owner_headers, UPLOADER_BODY)
    assert OWNER.token not in response.content.decode()


def test_polling_with_the_same_call_starts_no_second_job(
    client, owner_headers, draft, fake_mapillary
):
    first = put(client, draft, owner_headers, UPLOADER_BODY)
    for _ in range(3):
        again = put(client, draft, owner_headers, UPLOADER_BODY)
        assert again.status_code == 202
        assert again.json()["import"] == first.json()["import"]
    assert ImportJob.objects.filter(sequence=draft).count() == 1
    assert len(ImportJob.due_ids()) == 1


def test_polling_after_the_import_finished_answers_200_and_fetches_nothing(
    client, owner_headers, draft, fake_mapillary
):
    put(client, draft, owner_headers, UPLOADER_BODY)
    job = ImportJob.objects.get(sequence=draft)
    # The worker finishes the job and publishes the sequence.
    from django.utils import timezone

    ImportJob.objects.filter(pk=job.pk).update(
        status="succeeded", token_ciphertext="", finished_at=timezone.now()
    )
    Sequence.objects.filter(pk=draft.pk).update(status="published", published_at=timezone.now())
    response = put(client, draft, owner_headers, UPLOADER_BODY)
    assert response.status_code == 200
    assert response.json()["import"]["status"] == "succeeded"
    assert response.json()["sequence"]["status"] == "published"
    assert ImportJob.objects.filter(sequence=draft).count() == 1


def test_links_and_the_mapillary_pair_together(client, owner_headers, draft, fake_mapillary):
    body = {**SEED_BODY, "google_street_view": "https://maps.app.goo.gl/x", "strava": "5"}
    response = put(client, draft, owner_headers, body)
    assert response.status_code == 202
    draft.refresh_from_db()
    assert (draft.google_street_view, draft.strava) == ("https://maps.app.goo.gl/x", "5")


def test_a_token_mapillary_refuses_is_a_400_and_nothing_changes(
    client, owner_headers, draft, fake_mapillary
):
    body = {**SEED_BODY, "token": "MLY|4242|nobody-knows-this", "strava": "5"}
    response = put(client, draft, owner_headers, body)
    assert response.status_code == 400
    assert "Mapillary did not accept the token" in response.json()["error"]
    assert not ImportJob.objects.exists()
    draft.refresh_from_db()
    assert (draft.status, draft.strava) == ("draft", "")


@pytest.mark.parametrize(
    "fault", ["server_error", "rate_limit", "timeout"], ids=["down", "limited", "slow"]
)
def test_mapillary_failing_during_the_call_accepts_the_import_for_the_worker_to_wait_out(
    client, owner_headers, draft, fake_mapillary, settings, fault
):
    # Not a 503: clients such as the uploader resend those at once, three times.
    settings.MAPILLARY_TIMEOUT = 0.5
    delay = 1.0 if fault == "timeout" else 0.0
    fake_mapillary.inject(fault, "/me", times=1, retry_after=600, delay=delay)
    response = put(client, draft, owner_headers, SEED_BODY)
    assert response.status_code == 202
    assert "error" not in response.json()
    assert fake_mapillary.count("/me") == 1
    job = ImportJob.objects.get(sequence=draft)
    assert (job.status, job.mapillary_user_id) == ("queued", "")
    # The worker asks Mapillary who the token is, then imports.

    assert ImportJob.run_one(job.pk) == "succeeded"
    job.refresh_from_db()
    assert (job.mapillary_user_id, job.mapillary_username) == (OWNER.id, OWNER.username)
    draft.refresh_from_db()
    assert (draft.status, draft.image_count) == ("published", 8)


def test_a_sequence_mapillary_does_not_list_is_a_422_and_nothing_starts(
    client, owner_headers, draft, fake_mapillary
):
    response = put(client, draft, owner_headers, {**SEED_BODY, "seq_key": "nosuchsequence"})
    assert response.status_code == 422
    assert "Mapillary has no images for sequence nosuchsequence" in response.json()["error"]
    assert not ImportJob.objects.exists()
    draft.refresh_from_db()
    assert (draft.status, draft.mapillary_sequence_key) == ("draft", None)


def test_someone_elses_mapillary_sequence_is_a_403_before_anything_starts(
    client, owner_headers, draft, fake_mapillary
):
    fake_mapillary.add_sequence("strangers-walk", 5, owner=STRANGER)
    response = put(client, draft, owner_headers, {**SEED_BODY, "seq_key": "strangers-walk"})
    assert response.status_code == 403
    assert "uploaded by someone_else, not by vorpalblade" in response.json()["error"]
    assert not ImportJob.objects.exists()
    # One look at the sequence and at its first image, besides /me.
    assert (fake_mapillary.count("/image_ids"), fake_mapillary.count("/<id>")) == (1, 1)


def test_a_key_imported_into_another_users_sequence_is_a_409_without_asking_mapillary(
    client, other_user, owner_headers, draft, fake_mapillary
):
    make_sequence(other_user, name="Imported before", mapillary_sequence_key=RECORDED_SEQUENCE)
    response = put(client, draft, owner_headers, SEED_BODY)
    assert response.status_code == 409
    assert RECORDED_SEQUENCE in response.json()["error"]
    assert not ImportJob.objects.exists()
    assert fake_mapillary.count("/me") == 0


def test_another_key_while_an_import_runs_is_a_409(client, owner_headers, draft, fake_mapillary):
    put(client, draft, owner_headers, SEED_BODY)
    response = put(client, draft, owner_headers, {**SEED_BODY, "seq_key": "anotherkey123"})
    assert response.status_code == 409
    assert ImportJob.objects.count() == 1


def test_someone_elses_sequence_is_a_404_and_mapillary_is_not_asked(
    client, other_headers, draft, fake_mapillary
):
    body = {**SEED_BODY, "token": STRANGER.token}
    response = put(client, draft, other_headers, body)
    assert response.status_code == 404
    assert fake_mapillary.count("/me") == 0
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"seq_key": "bad key!", "token": OWNER.token}, "seq_key"),
        ({"seq_key": RECORDED_SEQUENCE, "token": "has spaces in it"}, "token"),
    ],
)
def test_malformed_keys_and_tokens_are_a_422_without_asking_mapillary(
    client, owner_headers, draft, fake_mapillary, body, field
):
    response = put(client, draft, owner_headers, body)
    assert response.status_code == 422
    problem = key_problem(body["seq_key"]) if field == "seq_key" else token_problem(body["token"])
    assert response.json()["error"] == f"{field}: {problem}"
    assert fake_mapillary.count("/me") == 0


@pytest.mark.parametrize(
    "body",
    [
        {"seq_key": RECORDED_SEQUENCE},
        {"mapillary_user_token": OWNER.token},
        {"seq_key": RECORDED_SEQUENCE, "mapillary_sequence_key": "different", "token": "t"},
    ],
)
def test_half_a_pair_or_two_different_keys_is_a_422(
    client, owner_headers, draft, fake_mapillary, body
):
    assert put(client, draft, owner_headers, body).status_code == 422
    assert fake_mapillary.count("/me") == 0


def test_a_body_with_nothing_to_attach_answers_the_sequence_as_it_is(
    client, owner_headers, draft, fake_mapillary
):
    for body in ({}, {"google_street_view": ""}, {"strava": None}):
        response = put(client, draft, owner_headers, body)
        assert response.status_code == 200, body
        assert response.json()["sequence"]["status"] == "draft"
    assert fake_mapillary.count("/me") == 0
    assert not ImportJob.objects.exists()


def test_a_field_the_call_does_not_have_is_a_422_naming_it(client, owner_headers, draft, app):
    response = put(client, draft, owner_headers, {"strava": "5", "google_streetview": "x"})
    assert response.status_code == 422
    assert response.json()["detail"]["errors"][0]["field"] == "google_streetview"
    assert response.json()["detail"]["errors"][0]["type"] == "extra_forbidden"
    draft.refresh_from_db()
    assert draft.strava == ""
    # client_id is a field of every body: the token's application.
    response = put(client, draft, owner_headers, {"strava": "5", "client_id": app.client_id})
    assert response.status_code == 200


def test_null_mapillary_fields_count_as_left_out(client, owner_headers, draft):
    # Found by the fuzz test: a null here used to be a 500.
    body = {key: None for key in (*SEED_BODY, *UPLOADER_BODY)}
    response = put(client, draft, owner_headers, {**body, "strava": "42"})
    assert response.status_code == 200
    assert response.json()["sequence"]["strava"] == "42"
