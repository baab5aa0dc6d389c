"""``mtp check --deploy``: whether photos can be shown."""

from mtp.mapillary.client import MapillaryError
from mtp.sequences import photos
from mtp.sequences.checks import photos_can_be_resolved

GOOD = "MLY|1234567890|0123456789abcdef"


def ids() -> list[str]:
    return [warning.id for warning in photos_can_be_resolved(None)]


def test_no_client_token_is_a_warning(settings, db):
    settings.MAPILLARY_CLIENT_TOKEN = ""
    assert ids() == ["mtp.photos.W001"]


def test_a_user_token_in_place_of_a_client_token_is_a_warning(settings, db):
    settings.MAPILLARY_CLIENT_TOKEN = "MLYARA0123456789abcdef"
    assert ids() == ["mtp.photos.W002"]


def test_a_token_mapillary_refused_is_a_warning_until_it_is_accepted(settings, db):
    settings.MAPILLARY_CLIENT_TOKEN = GOOD
    assert ids() == []
    photos.token_refused(MapillaryError("refused", permanent=True, status=401, code=190))
    [warning] = photos_can_be_resolved(None)
    assert warning.id == "mtp.photos.W003"
    assert "HTTP 401, code 190" in warning.msg
    photos.forget_token_refusal()
    assert ids() == []
