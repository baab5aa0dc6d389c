"""A challenge's area: what is accepted, and what is refused with the reason."""

import pytest
from django.core.exceptions import ValidationError

from mtp.challenges.areas import area_geojson, parse_area

# Old Geneva, about 2 km by 1.5 km.
GENEVA = [[6.13, 46.19], [6.16, 46.19], [6.16, 46.21], [6.13, 46.21], [6.13, 46.19]]


def polygon(*rings) -> dict:
    return {"type": "Polygon", "coordinates": [list(ring) for ring in rings]}


def refusal(data) -> str:
    with pytest.raises(ValidationError) as raised:
        parse_area(data)
    return raised.value.messages[0]


def test_a_polygon_becomes_a_multipolygon_in_wgs84():
    area = parse_area(polygon(GENEVA))
    assert area.geom_type == "MultiPolygon" and area.srid == 4326
    assert area.extent == (6.13, 46.19, 6.16, 46.21)
    assert area_geojson(area)["coordinates"] == [[GENEVA]]


def test_a_multipolygon_and_a_hole_are_kept():
    hole = [[6.14, 46.195], [6.15, 46.195], [6.15, 46.2], [6.14, 46.195]]
    other = [[7.0, 46.0], [7.01, 46.0], [7.01, 46.01], [7.0, 46.0]]
    area = parse_area({"type": "MultiPolygon", "coordinates": [[GENEVA, hole], [other]]})
    assert len(area) == 2 and len(area[0]) == 2


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"type": "Point", "coordinates": [6.1, 46.2]}, "Polygon or MultiPolygon"),
        ("POLYGON((0 0, 1 0, 1 1, 0 0))", "GeoJSON"),
        (polygon(GENEVA[:-1]), "not closed"),
        (polygon(GENEVA[:3]), "at least 4 positions"),
        ({"type": "Polygon", "coordinates": []}, "empty"),
        ({"type": "MultiPolygon", "coordinates": []}, "empty"),
        (polygon([[6.1, 46.2], [6.2, 46.2], [6.1, 46.2], [6.1, 46.2]]), "empty"),
        # A bow tie: the ring crosses itself.
        (polygon([[0, 0], [0.2, 0.2], [0.2, 0], [0, 0.1], [0, 0]]), "Self-intersection"),
        (
            polygon([[600000, 5000000], [600100, 5000000], [600100, 5000100], [600000, 5000000]]),
            "WGS 84",
        ),
        (polygon([[46.2, 6.1], [46.2, 95.0], [46.3, 6.1], [46.2, 6.1]]), "WGS 84"),
        (
            polygon([["6.1", 46.2], [6.2, 46.2], [6.2, 46.3], ["6.1", 46.2]]),
            "[longitude, latitude]",
        ),
        (
            {**polygon(GENEVA), "crs": {"type": "name", "properties": {"name": "EPSG:2056"}}},
            "WGS 84",
        ),
        (polygon([[-10, 40], [10, 40], [10, 55], [-10, 55], [-10, 40]]), "at most"),
        # A misspelt or foreign member is refused, never silently dropped.
        ({**polygon(GENEVA), "bbox": [6.13, 46.19, 6.16, 46.21]}, "may not have: bbox"),
        ({**polygon(GENEVA), "crs": {"properties": {"name": "EPSG:4326"}}}, "WGS 84"),
    ],
)
def test_bad_areas_are_refused_with_the_reason(data, reason):
    assert reason in refusal(data)


def test_the_size_limit_is_a_setting(settings):
    settings.MTP_CHALLENGE_MAX_AREA_KM2 = 1
    assert "at most 1 km²" in refusal(polygon(GENEVA))


def test_a_crs_naming_wgs_84_is_taken():
    area = parse_area(
        {**polygon(GENEVA), "crs": {"type": "name", "properties": {"name": "EPSG:4326"}}}
    )
    assert area.srid == 4326
