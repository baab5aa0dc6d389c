"""A challenge's area: what is accepted, and what is refused with the reason."""

import math

import pytest
from django.contrib.gis.geos import MultiPolygon
from django.core.exceptions import ValidationError

from mtp.challenges.areas import (
    PIECE_CORNERS,
    area_bbox,
    area_geojson,
    area_outline,
    area_pieces,
    is_box,
    parse_area,
    shape_digest,
)
from mtp.lib.geodesy import polygon_area_m2
from testing.shapes import zigzag

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


# RFC 7946: rings are straight in longitude and latitude; across 180° an area is cut in two.
ROUND_THE_WORLD = [[-179.999, -60], [179.999, -60], [179.999, 60], [-179.999, 60], [-179.999, -60]]
EAST_OF_180 = [[179.9, -17.2], [180, -17.2], [180, -17.1], [179.9, -17.1], [179.9, -17.2]]
WEST_OF_180 = [[-180, -17.2], [-179.9, -17.2], [-179.9, -17.1], [-180, -17.1], [-180, -17.2]]


def test_a_ring_from_minus_180_to_180_goes_round_the_world_and_is_too_large():
    assert "a challenge covers at most 5,000 km²" in refusal(polygon(ROUND_THE_WORLD))


def test_long_edges_are_measured_straight_in_longitude_and_latitude():
    # A box 10° wide along its parallels at 59°N and 60°N: R² Δλ (sin 60° - sin 59°) on the
    # sphere, within the ellipsoid's difference.
    ring = [(0.0, 59.0), (10.0, 59.0), (10.0, 60.0), (0.0, 60.0), (0.0, 59.0)]
    sphere = (
        6371.0088**2 * math.radians(10) * (math.sin(math.radians(60)) - math.sin(math.radians(59)))
    )
    assert polygon_area_m2(ring) / 1e6 == pytest.approx(sphere, rel=0.01)
    # Across 180° the straight edge goes the long way round: 359.8° of longitude.
    across = [(179.9, 59.0), (-179.9, 59.0), (-179.9, 60.0), (179.9, 60.0), (179.9, 59.0)]
    assert polygon_area_m2(across) / 1e6 == pytest.approx(sphere * 35.98, rel=0.01)


def test_an_area_across_180_is_a_multipolygon_cut_there_and_its_box_crosses_too():
    area = parse_area({"type": "MultiPolygon", "coordinates": [[EAST_OF_180], [WEST_OF_180]]})
    assert len(area) == 2
    assert area_bbox(area) == (179.9, -17.2, -179.9, -17.1)
    # An area not across 180° keeps the plain box, however far apart its parts.
    apart = parse_area(
        {"type": "MultiPolygon", "coordinates": [[GENEVA], [[[v[0] + 1, v[1]] for v in GENEVA]]]}
    )
    assert area_bbox(apart) == (6.13, 46.19, 7.16, 46.21)


def test_pieces_are_the_area_cut_small():
    # A ring of 2,000 corners round Geneva.
    ring = [
        [
            6.145 + 0.015 * math.cos(2 * math.pi * i / 2000),
            46.2 + 0.01 * math.sin(2 * math.pi * i / 2000),
        ]
        for i in range(2000)
    ]
    ring.append(ring[0])
    area = parse_area(polygon(ring))
    pieces = area_pieces(area)
    assert len(pieces) > 2000 // PIECE_CORNERS
    assert all(piece.num_coords <= PIECE_CORNERS and piece.srid == 4326 for piece in pieces)
    union = MultiPolygon(*pieces, srid=4326).unary_union
    assert union.sym_difference(area).area < area.area * 1e-9
    # They meet only along their edges.
    assert sum(piece.area for piece in pieces) == pytest.approx(area.area, rel=1e-9)


def test_a_traced_outline_is_cut_into_a_core_of_few_corners_and_a_rim_along_it():
    area = parse_area(polygon(zigzag(GENEVA, 1000, 0.0000001)))
    pieces = area_pieces(area)
    largest = max(pieces, key=lambda piece: piece.area)
    # One piece of a few corners holds nearly all of it: most routes are inside it.
    assert largest.num_coords <= 10
    assert largest.area > 0.9 * area.area
    assert all(piece.num_coords <= PIECE_CORNERS for piece in pieces)
    union = MultiPolygon(*pieces, srid=4326).unary_union
    assert union.sym_difference(area).area < area.area * 1e-9
    assert sum(piece.area for piece in pieces) == pytest.approx(area.area, rel=1e-9)


def test_an_area_of_few_corners_is_one_piece():
    area = parse_area(polygon(GENEVA))
    assert [piece.num_coords for piece in area_pieces(area)] == [5]


def test_a_piece_that_is_its_box_is_told_apart_from_one_that_is_not():
    box, triangle = parse_area(polygon(GENEVA)), parse_area(polygon(GENEVA[:3] + GENEVA[:1]))
    assert is_box(box[0])
    assert not is_box(triangle[0])


def test_the_outline_for_a_map_drops_corners_no_map_of_the_area_shows():
    area = parse_area(polygon(zigzag(GENEVA, 1000, 0.0000001)))
    outline = area_outline(area)
    corners = sum(len(ring) for rings in outline["coordinates"] for ring in rings)
    assert corners < 50
    drawn = parse_area(outline)
    assert drawn.sym_difference(area).area < area.area * 0.01
    # An area of few corners is drawn as it is.
    assert area_outline(parse_area(polygon(GENEVA)))["coordinates"] == [[GENEVA]]


def test_the_digest_names_the_exact_shape():
    area = parse_area(polygon(GENEVA))
    moved = parse_area(polygon([[x + 1e-9, y] for x, y in GENEVA]))
    assert shape_digest(area) == shape_digest(parse_area(polygon(GENEVA)))
    assert shape_digest(area) != shape_digest(moved)
