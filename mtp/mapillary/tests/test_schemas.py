"""Reading Mapillary's loose replies: string ids, float numbers, missing and malformed fields."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from mtp.mapillary.schemas import (
    ImageDetails,
    ImageIdsReply,
    ImagesReply,
    MapillaryUser,
    parse_images,
)

RECORDED = Path(__file__).resolve().parents[3] / "testing" / "fake_mapillary" / "recorded"


def test_a_recorded_image_reads_whole():
    image = ImageDetails.model_validate_json((RECORDED / "311799370533334.json").read_bytes())
    assert image.id == "311799370533334"
    assert image.geometry.position == (-108.57079097222, 39.065986972222)
    assert image.location == (-108.57079091664, 39.065986975316)
    assert image.captured_at_datetime == datetime(2019, 7, 21, 14, 57, 31, 100000, tzinfo=UTC)
    assert image.heading == 0.77063365372027
    assert image.panoramic is False
    assert image.creator is None
    assert image.sequence == "7nfcwfvjdtphz7yj6zat6a"


def test_numeric_ids_become_strings():
    reply = ImageIdsReply.model_validate_json(b'{"data": [{"id": 148137757289079}, {"id": "2"}]}')
    assert [item.id for item in reply.data] == ["148137757289079", "2"]
    user = MapillaryUser.model_validate({"id": 104214208486349, "username": "vorpalblade"})
    assert user.id == "104214208486349"


def test_numbers_may_arrive_as_floats():
    image = ImageDetails.model_validate_json(
        b'{"id": "1", "captured_at": 1.563721048460e12, "width": 4160.0, "height": "3120"}'
    )
    assert image.captured_at_datetime == datetime(2019, 7, 21, 14, 57, 28, 460000, tzinfo=UTC)
    assert (image.width, image.height) == (4160, 3120)


def test_every_field_but_the_id_may_be_missing():
    image = ImageDetails.model_validate({"id": "1"})
    assert image.location is None
    assert image.captured_at_datetime is None
    assert image.heading is None
    assert image.creator is None
    assert image.panoramic is False


def test_malformed_values_become_missing_instead_of_refusing_the_reply():
    body = json.dumps(
        {
            "data": [
                {
                    "id": "1",
                    "geometry": {"type": "Point", "coordinates": [200.0, 10.0]},
                    "computed_geometry": {"type": "Point", "coordinates": ["x", 1]},
                    "captured_at": "yesterday",
                    "compass_angle": "NaN",
                    "width": -5,
                    "height": 3000.4,
                    "is_pano": "maybe",
                    "creator": {"username": "no id"},
                    "make": {"nested": True},
                    "sequence": {"id": "abc"},
                },
                {"id": 2, "captured_at": 1.5e12},
                {"no id": True},
                "not an image",
            ]
        }
    )
    first, second = parse_images(body.encode()).data
    assert first.id == "1" and second.id == "2"
    assert first.location is None
    assert first.captured_at is None
    assert first.heading is None
    assert first.width is None and first.height == 3000
    assert first.is_pano is None
    assert first.creator is None
    assert first.make is None
    assert first.sequence == "abc"
    assert second.captured_at == 1.5e12


def test_a_reply_that_is_not_a_list_of_images_is_refused():
    for body in (b'{"data": 3}', b"[1, 2]", b'{"data": [{"id": "1"}'):
        with pytest.raises(ValidationError):
            parse_images(body)


def test_out_of_range_coordinates_are_no_location():
    image = ImageDetails.model_validate(
        {"id": "1", "computed_geometry": {"type": "Point", "coordinates": [10.0, 95.0]}}
    )
    assert image.location is None


def test_the_heading_prefers_the_computed_angle_and_stays_within_a_turn():
    image = ImageDetails.model_validate(
        {"id": "1", "compass_angle": 10.0, "computed_compass_angle": 370.5}
    )
    assert image.heading == 10.5
    assert ImageDetails.model_validate({"id": "1", "compass_angle": -90}).heading == 270


def test_a_spherical_camera_means_a_panorama_when_is_pano_is_missing():
    assert ImageDetails.model_validate({"id": "1", "camera_type": "spherical"}).panoramic
    assert not ImageDetails.model_validate({"id": "1", "camera_type": "fisheye"}).panoramic
    assert not ImageDetails.model_validate(
        {"id": "1", "camera_type": "spherical", "is_pano": False}
    ).panoramic


def test_unknown_fields_are_ignored():
    body = json.dumps({"data": [{"id": "1", "mesh": {"id": "2"}, "merge_cc": 4.5e18}]})
    assert ImagesReply.model_validate_json(body).data[0].id == "1"
