"""Starting an import (mtp.imports.actions): the rules the API and the website share."""

import pytest

from mtp.imports.actions import (
    ImportLimitReached,
    InvalidImportField,
    MapillarySaysNo,
    MapillaryUnavailable,
    SequenceNotFound,
    TokenRefused,
    start_import,
)
from mtp.imports.jobs import KeyAlreadyImported
from mtp.imports.models import ImportJob
from mtp.lib import ratelimit
from mtp.sequences.models import Sequence
from testing import builders
from testing.fake_mapillary import OWNER, RECORDED_SEQUENCE, STRANGER

pytestmark = pytest.mark.django_db


def start(user, sequence, key=RECORDED_SEQUENCE, token=OWNER.token, **options):
    return start_import(user, sequence, mapillary_key=key, mapillary_token=token, **options)


def test_an_import_is_recorded_with_who_mapillary_says_the_token_is(fake_mapillary, owner, draft):
    sequence, job = start(owner, draft)
    assert sequence == draft and job is not None
    assert (job.status, job.mapillary_user_id) == ("queued", OWNER.id)
    assert Sequence.objects.get(pk=draft.pk).status == Sequence.Status.IMPORTING
    assert (fake_mapillary.count("/me"), fake_mapillary.count("/image_ids")) == (1, 1)


def test_someone_elses_sequence_does_not_exist_for_the_caller(fake_mapillary, other_user, draft):
    with pytest.raises(SequenceNotFound) as refused:
        start(other_user, draft)
    assert refused.value.http_status == 404
    assert fake_mapillary.count("/me") == 0
    assert not ImportJob.objects.exists()


def test_the_same_call_again_answers_with_its_import_and_counts_nothing(
    fake_mapillary, owner, draft, settings
):
    settings.MTP_API_RATE_IMPORT = 1
    _, job = start(owner, draft)
    for _ in range(3):
        assert start(owner, draft) == (draft, job)
    assert fake_mapillary.count("/me") == 1
    assert ImportJob.objects.count() == 1


def test_calls_past_the_users_limit_are_refused_before_mapillary_is_asked(
    fake_mapillary, owner, draft, settings, monkeypatch
):
    settings.MTP_API_RATE_IMPORT = 2
    monkeypatch.setattr(ratelimit, "now", lambda: 1_000_000_065)  # 45 s into a 60 s window
    # Each call changes something (a link): a call that changes nothing is not counted.
    for activity in ("1", "2"):
        start(owner, draft, key=None, token=None, strava=activity)
    with pytest.raises(ImportLimitReached) as refused:
        start(owner, draft)
    assert (refused.value.http_status, refused.value.usage.reset) == (429, 15)
    assert fake_mapillary.count("/me") == 0
    assert not ImportJob.objects.exists()


def test_a_key_someone_else_imported_is_refused_without_asking_mapillary(
    fake_mapillary, owner, other_user, draft
):
    builders.publish(other_user, "Theirs", mapillary_sequence_key=RECORDED_SEQUENCE)
    with pytest.raises(KeyAlreadyImported):
        start(owner, draft)
    assert fake_mapillary.count("/me") == 0


def test_a_malformed_key_names_its_field(fake_mapillary, owner, draft):
    with pytest.raises(InvalidImportField) as refused:
        start(owner, draft, key="not a key!")
    assert (refused.value.http_status, refused.value.field) == (422, "seq_key")
    assert fake_mapillary.count("/me") == 0


def test_what_mapillary_refuses_starts_nothing(fake_mapillary, owner, draft):
    fake_mapillary.add_sequence("strangers-walk", 5, owner=STRANGER)
    with pytest.raises(TokenRefused):
        start(owner, draft, token="MLY|1|not-a-real-one")
    with pytest.raises(MapillarySaysNo) as missing:
        start(owner, draft, key="nosuchsequence")
    assert missing.value.http_status == 422
    with pytest.raises(MapillarySaysNo) as theirs:
        start(owner, draft, key="strangers-walk")
    assert theirs.value.http_status == 403
    assert not ImportJob.objects.exists()
    assert Sequence.objects.get(pk=draft.pk).status == Sequence.Status.DRAFT


def test_mapillary_down_is_waited_out_by_the_worker_or_told_to_whoever_waits(
    fake_mapillary, owner, draft
):
    fake_mapillary.inject("server_error", "/me", times=None)
    with pytest.raises(MapillaryUnavailable):
        start(owner, draft, wait_for_mapillary=True)
    assert not ImportJob.objects.exists()
    _, job = start(owner, draft)
    assert (job.status, job.mapillary_user_id) == ("queued", "")


def test_links_are_set_with_the_import_or_alone(fake_mapillary, owner, draft):
    sequence, job = start(owner, draft, key=None, token=None, strava="123456")
    assert job is None and sequence.strava == "123456"
    sequence, job = start(owner, draft, google_street_view="https://maps.app.goo.gl/abc")
    assert job is not None
    draft.refresh_from_db()
    assert (draft.strava, draft.google_street_view) == ("123456", "https://maps.app.goo.gl/abc")
