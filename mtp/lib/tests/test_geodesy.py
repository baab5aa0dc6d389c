import pytest

from mtp.lib.geodesy import bbox_around, geodesic_m, haversine_m, path_length_m


def test_one_degree_of_longitude_at_the_equator_is_about_111_km():
    assert geodesic_m((0, 0), (1, 0)) == pytest.approx(111_319.49, abs=0.01)


def test_the_geodesic_distance_uses_the_ellipsoid_not_a_sphere():
    # One degree of latitude at the pole is longer than at the equator on WGS84.
    assert geodesic_m((0, 89), (0, 90)) > geodesic_m((0, 0), (0, 1)) + 1000
    assert haversine_m((0, 89), (0, 90)) == pytest.approx(haversine_m((0, 0), (0, 1)))


def test_a_path_length_is_the_sum_of_its_legs():
    points = [(-0.1276, 51.5072), (-0.1270, 51.5080), (-0.1250, 51.5090)]
    assert path_length_m(points) == pytest.approx(
        geodesic_m(points[0], points[1]) + geodesic_m(points[1], points[2])
    )
    assert path_length_m(points[:1]) == 0
    assert path_length_m([]) == 0


def test_a_box_around_a_point_contains_the_circle():
    west, south, east, north = bbox_around(10.0, 60.0, 1000)
    assert geodesic_m((10.0, 60.0), (east, 60.0)) == pytest.approx(1000, rel=0.01)
    assert geodesic_m((10.0, 60.0), (10.0, north)) == pytest.approx(1000, rel=0.01)
    assert west < 10.0 < east and south < 60.0 < north


def test_a_box_around_a_pole_spans_every_longitude():
    west, south, east, north = bbox_around(0.0, 90.0, 1000)
    assert (west, east, north) == (-180.0, 180.0, 90.0)
