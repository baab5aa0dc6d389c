"""Distances on the Earth's surface."""

import math

from pyproj import Geod

# Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8

# Karney's geodesic algorithms in C (PROJ's geodesic.c, the same as GeographicLib's), on
# WGS84: about 1.6 µs a distance, where GeographicLib's Python port takes about 60.
_WGS84 = Geod(ellps="WGS84")


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lon, lat) points in degrees."""
    lon1, lat1 = map(math.radians, a)
    lon2, lat2 = map(math.radians, b)
    dlat = lat2 - lat1
    dlon = lon2 - lon1
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def geodesic_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic distance in metres on the WGS84 ellipsoid between two (lon, lat) points."""
    return _WGS84.inv(a[0], a[1], b[0], b[1])[2]


def path_length_m(points: list[tuple[float, float]]) -> float:
    """Geodesic length in metres of the path through (lon, lat) points in order."""
    return sum(geodesic_m(points[i], points[i + 1]) for i in range(len(points) - 1))


def bbox_around(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """A (west, south, east, north) box holding every point within ``radius_m`` of (lon, lat)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    cos_lat = math.cos(math.radians(lat))
    dlon = (
        180.0 if cos_lat < 1e-9 else min(180.0, math.degrees(radius_m / (EARTH_RADIUS_M * cos_lat)))
    )
    return (
        max(-180.0, lon - dlon),
        max(-90.0, lat - dlat),
        min(180.0, lon + dlon),
        min(90.0, lat + dlat),
    )


# The longest step, in degrees of longitude or latitude, of a ring measured as straight in
# longitude and latitude: along it a geodesic and a straight line part by under 0.01%.
STRAIGHT_STEP_DEG = 0.5


def polygon_area_m2(ring: list[tuple[float, float]]) -> float:
    """Area in square metres, on the WGS84 ellipsoid, of the polygon bounded by the (lon, lat)
    ring, its edges straight in longitude and latitude (as GeoJSON draws them, RFC 7946 3.1.1).

    A geodesic from 179.9° to -179.9° is short; the straight edge goes the long way round, so
    long edges are measured in steps of at most STRAIGHT_STEP_DEG.
    """
    lons: list[float] = []
    lats: list[float] = []
    for (lon1, lat1), (lon2, lat2) in zip(ring, ring[1:], strict=False):
        steps = max(1, math.ceil(max(abs(lon2 - lon1), abs(lat2 - lat1)) / STRAIGHT_STEP_DEG))
        for step in range(steps):
            lons.append(lon1 + (lon2 - lon1) * step / steps)
            lats.append(lat1 + (lat2 - lat1) * step / steps)
    area, _ = _WGS84.polygon_area_perimeter(lons, lats)
    return abs(area)
