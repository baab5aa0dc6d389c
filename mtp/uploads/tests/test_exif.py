"""Reading an uploaded photo's tags, and refusing photos that cannot be taken."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from mtp.uploads.exif import Overrides, PhotoRefused, read_tags
from testing.photos import LAT, LON, camera_photo


def test_a_camera_photo_gives_its_position_time_with_offset_heading_and_camera():
    tags = read_tags(camera_photo(heading=123, offset="+02:00"))
    assert (round(tags.lon, 6), round(tags.lat, 6)) == (LON, LAT)
    assert tags.captured_at == datetime(2025, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    assert tags.heading == 123
    assert (tags.camera_make, tags.camera_model) == ("GoPro", "HERO9 Black")
    assert tags.altitude == 412
    assert (tags.width, tags.height) == (64, 48)
    assert tags.is_pano is False
    assert tags.field_of_view is not None and 0 < tags.field_of_view < 180


def test_a_photo_with_gpano_xmp_is_a_360_panorama():
    tags = read_tags(camera_photo(size=(200, 100), pano=True))
    assert tags.is_pano is True
    assert tags.field_of_view == 360


def test_a_photo_without_a_position_is_refused_saying_so():
    with pytest.raises(PhotoRefused, match="no position"):
        read_tags(camera_photo(lon=None, lat=None))


def test_a_photo_without_a_time_is_refused_saying_so():
    with pytest.raises(PhotoRefused, match="no capture time"):
        read_tags(camera_photo(taken=None))


def test_overrides_give_what_the_photo_lacks():
    moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    tags = read_tags(
        camera_photo(lon=None, lat=None, taken=None),
        Overrides(lon=7.0, lat=45.0, captured_at=moment),
    )
    assert (tags.lon, tags.lat, tags.captured_at) == (7.0, 45.0, moment)


def test_a_file_that_is_not_a_jpeg_is_refused():
    with pytest.raises(PhotoRefused, match="not a JPEG"):
        read_tags(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)


def test_a_truncated_jpeg_is_refused():
    data = camera_photo()
    with pytest.raises(PhotoRefused, match="truncated"):
        read_tags(data[: len(data) - 40])
