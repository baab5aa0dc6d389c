"""The Mapillary client against the stand-in: replies, retries, and failures."""

import logging

import pytest

from mtp.mapillary import client
from mtp.mapillary.client import (
    MapillaryError,
    get_image,
    get_image_ids,
    get_images,
    get_me,
    iter_image_batches,
)
from testing.fake_mapillary import OWNER, RECORDED_IMAGE_IDS, RECORDED_SEQUENCE, STRANGER


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """Record the client's waits between tries instead of sleeping through them."""
    recorded: list[float] = []
    monkeypatch.setattr(client, "_wait", lambda seconds, cancel: recorded.append(seconds))
    return recorded


def test_get_me_names_the_tokens_user(fake_mapillary):
    me = get_me(OWNER.token)
    assert (me.id, me.username) == (OWNER.id, OWNER.username)
    assert get_me(STRANGER.token).id == STRANGER.id


def test_the_token_travels_only_in_the_authorization_header(fake_mapillary):
    get_me(OWNER.token)
    get_image_ids(OWNER.token, RECORDED_SEQUENCE)
    get_images(OWNER.token, RECORDED_IMAGE_IDS)
    get_image(OWNER.token, RECORDED_IMAGE_IDS[0])
    assert len(fake_mapillary.requests) == 4
    for _, path, query, authorization in fake_mapillary.requests:
        assert authorization == f"OAuth {OWNER.token}"
        assert OWNER.token not in path
        assert all(OWNER.token not in value for values in query.values() for value in values)
        assert "access_token" not in query


def test_image_ids_come_in_capture_order(fake_mapillary):
    assert get_image_ids(OWNER.token, RECORDED_SEQUENCE) == RECORDED_IMAGE_IDS


def test_an_unknown_sequence_has_no_image_ids(fake_mapillary):
    assert get_image_ids(OWNER.token, "nosuchsequence") == []


def test_images_come_in_the_order_asked_with_the_fields_asked(fake_mapillary):
    wanted = list(reversed(RECORDED_IMAGE_IDS))
    images = get_images(OWNER.token, wanted, batch_size=3, concurrency=2)
    assert [image.id for image in images] == wanted
    first = images[-1]
    assert first.id == "148137757289079"
    assert first.location == (-108.57077016445, 39.065738749246)
    assert first.captured_at == 1563721048460
    assert first.creator is not None and first.creator.id == OWNER.id
    assert first.sequence == RECORDED_SEQUENCE
    assert first.width == 4160 and first.height == 3120
    assert fake_mapillary.count("/images") == 3
    asked = {
        f for _, path, query, _ in fake_mapillary.requests for f in query["fields"][0].split(",")
    }
    assert {"creator", "computed_geometry", "captured_at"} <= asked


def test_only_the_fields_asked_come_back(fake_mapillary):
    (image,) = get_images(OWNER.token, RECORDED_IMAGE_IDS[:1], fields=["id", "captured_at"])
    assert image.captured_at == 1563721048460
    assert image.location is None and image.creator is None


def test_images_mapillary_does_not_return_are_left_out(fake_mapillary):
    fake_mapillary.sequences[RECORDED_SEQUENCE].hidden.add(RECORDED_IMAGE_IDS[1])
    images = get_images(OWNER.token, RECORDED_IMAGE_IDS[:3])
    assert [image.id for image in images] == [RECORDED_IMAGE_IDS[0], RECORDED_IMAGE_IDS[2]]


def test_a_long_sequence_streams_in_order_in_bounded_batches(fake_mapillary):
    generated = fake_mapillary.add_sequence("longwalk", 1234)
    ids = get_image_ids(OWNER.token, "longwalk")
    assert len(ids) == 1234
    seen = []
    for batch in iter_image_batches(OWNER.token, ids, batch_size=100, concurrency=4):
        assert len(batch.requested) <= 100
        seen.extend(image.id for image in batch.images)
    assert seen == generated.all_ids()
    assert fake_mapillary.count("/images") == 13


def test_no_more_requests_than_the_concurrency_are_in_flight(fake_mapillary):
    fake_mapillary.add_sequence("busy", 2000)
    ids = get_image_ids(OWNER.token, "busy")
    fake_mapillary.latency = 0.02
    assert len(get_images(OWNER.token, ids, batch_size=50, concurrency=3)) == 2000
    assert 1 < fake_mapillary.peak_in_flight <= 3


@pytest.mark.parametrize("fault", ["server_error", "app_limit", "truncated", "disconnect"])
def test_a_transient_fault_is_retried_with_backoff(fake_mapillary, waits, fault):
    fake_mapillary.inject(fault, "/images", times=2)
    images = get_images(OWNER.token, RECORDED_IMAGE_IDS)
    assert len(images) == 8
    assert fake_mapillary.count("/images") == 3
    assert len(waits) == 2
    # Exponential: the second wait's range starts where the first one's ends.
    assert waits[1] >= 0.01


def test_a_timeout_is_retried(fake_mapillary, settings, waits):
    settings.MAPILLARY_TIMEOUT = 0.3
    fake_mapillary.inject("timeout", "/image_ids", delay=1.0)
    assert get_image_ids(OWNER.token, RECORDED_SEQUENCE) == RECORDED_IMAGE_IDS
    assert fake_mapillary.count("/image_ids") == 2
    assert len(waits) == 1


def test_a_429_waits_as_long_as_retry_after_asks(fake_mapillary, waits):
    fake_mapillary.inject("rate_limit", "/me", times=1, retry_after=7)
    assert get_me(OWNER.token).id == OWNER.id
    assert waits == [7.0]


def test_backoff_grows_exponentially_with_jitter():
    first = [client.backoff_seconds(0, 1.0) for _ in range(50)]
    third = [client.backoff_seconds(2, 1.0) for _ in range(50)]
    assert all(0.5 <= wait <= 1.0 for wait in first)
    assert all(2.0 <= wait <= 4.0 for wait in third)
    assert len(set(third)) > 1
    assert client.backoff_seconds(30, 1.0) <= client.MAX_BACKOFF_SECONDS


def test_retry_after_is_read_as_seconds_or_as_a_date():
    assert client.parse_retry_after("12") == 12.0
    assert client.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert client.parse_retry_after("soon") is None
    assert client.parse_retry_after(None) is None


def test_transient_faults_that_never_end_give_a_clear_transient_error(
    fake_mapillary, settings, waits
):
    settings.MAPILLARY_RETRIES = 3
    fake_mapillary.inject("server_error", "/image_ids", times=None)
    with pytest.raises(MapillaryError) as caught:
        get_image_ids(OWNER.token, RECORDED_SEQUENCE)
    error = caught.value
    assert not error.permanent
    assert error.status == 500
    assert "Tried 4 times" in str(error)
    assert fake_mapillary.count("/image_ids") == 4


def test_a_caller_in_a_hurry_can_ask_for_fewer_retries(fake_mapillary, waits):
    fake_mapillary.inject("server_error", "/me", times=None)
    with pytest.raises(MapillaryError) as caught:
        get_me(OWNER.token, retries=1)
    assert "Tried 2 times" in str(caught.value)
    assert fake_mapillary.count("/me") == 2


def test_a_retry_after_longer_than_the_client_waits_ends_the_retries(fake_mapillary, waits):
    fake_mapillary.inject("rate_limit", "/me", times=None, retry_after=3600)
    with pytest.raises(MapillaryError) as caught:
        get_me(OWNER.token)
    assert not caught.value.permanent
    assert caught.value.retry_after == 3600
    assert waits == []


def test_an_invalid_token_is_a_permanent_error_without_retries(fake_mapillary, waits):
    with pytest.raises(MapillaryError) as caught:
        get_me("MLY|0|not-a-real-token")
    error = caught.value
    assert error.permanent and error.code == 190 and error.status == 401
    assert "Sign in to Mapillary again" in str(error)
    assert waits == []
    assert fake_mapillary.count("/me") == 1


def test_code_190_is_permanent_even_with_a_server_error_status(fake_mapillary, waits):
    # Mapillary has answered an expired token with HTTP 500 and code 190.
    fake_mapillary.inject("invalid_token", "/image_ids")
    with pytest.raises(MapillaryError) as caught:
        get_image_ids(OWNER.token, RECORDED_SEQUENCE)
    assert caught.value.permanent and caught.value.code == 190


@pytest.mark.parametrize(("fault", "status"), [("not_found", 404)])
def test_not_found_is_permanent(fake_mapillary, waits, fault, status):
    fake_mapillary.inject(fault, "/image_ids")
    with pytest.raises(MapillaryError) as caught:
        get_image_ids(OWNER.token, RECORDED_SEQUENCE)
    assert caught.value.permanent and caught.value.status == status
    assert f"sequence {RECORDED_SEQUENCE}" in str(caught.value)
    assert waits == []


def test_an_unknown_image_id_is_a_permanent_error(fake_mapillary):
    with pytest.raises(MapillaryError) as caught:
        get_image(OWNER.token, "1234567")
    assert caught.value.permanent and caught.value.code == 100


@pytest.mark.parametrize("token", ["", "has space", "line\nbreak", "tab\there", "é"])
def test_a_malformed_token_is_refused_before_any_request_without_being_repeated(
    fake_mapillary, token
):
    with pytest.raises(MapillaryError) as caught:
        get_me(token)
    assert caught.value.permanent
    if token.strip():
        assert token not in str(caught.value)
    assert fake_mapillary.count("/me") == 0


@pytest.mark.parametrize("key", ["", "../me", "a/b", "x" * 101, "key?fields=id"])
def test_a_malformed_sequence_key_is_refused_before_any_request(fake_mapillary, key):
    with pytest.raises(MapillaryError):
        get_image_ids(OWNER.token, key)
    assert fake_mapillary.count("/image_ids") == 0


def test_a_failed_batch_stops_the_others(fake_mapillary, settings, waits):
    fake_mapillary.add_sequence("doomed", 1000)
    fake_mapillary.inject("invalid_token", "/images", after=2, times=None)
    ids = get_image_ids(OWNER.token, "doomed")
    with pytest.raises(MapillaryError) as caught:
        list(iter_image_batches(OWNER.token, ids, batch_size=10, concurrency=2))
    assert caught.value.permanent
    # 100 batches were due; the failure stopped the rest.
    assert fake_mapillary.count("/images") < 20


def test_the_token_never_reaches_a_log_line_or_an_error(fake_mapillary, caplog, waits):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "mtp"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        for fault in ("server_error", "rate_limit", "truncated", "disconnect", "app_limit"):
            fake_mapillary.inject(fault, "/images")
        get_images(OWNER.token, RECORDED_IMAGE_IDS)
        fake_mapillary.inject("invalid_token", "/me")
        with pytest.raises(MapillaryError) as caught:
            get_me(OWNER.token)
    finally:
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
    assert caplog.records
    assert all(OWNER.token not in record.getMessage() for record in caplog.records)
    assert OWNER.token not in str(caught.value) and OWNER.token not in repr(caught.value)
