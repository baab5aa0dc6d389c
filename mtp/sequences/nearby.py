"""Photos near a place: what other sequences saw there, and when (``GET /api/v1/images/nearby``,
the viewer's "Here at other times").

A search is a point, a radius (15 m unless said, at most 100), optionally a heading with a
tolerance (photos looking that way: panoramas look every way) and a capture interval, and a
sequence to leave out (the one being viewed). It answers the nearest photo of each published
sequence within the radius, nearest first: one per sequence, so that a street walked on ten
days shows ten days, not ten photos of one of them.

The photos in the box around the circle are found through the photos' spatial index (GiST on
PostGIS; SpatiaLite's R*Tree, queried by hand since Django does not), then measured exactly.
"""

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.contrib.gis.geos import Polygon
from django.db import connection

from mtp.lib.geodesy import EARTH_RADIUS_M, haversine_m
from mtp.sequences.models import Image, Sequence, image_columns, image_data

DEFAULT_RADIUS_M = 15.0
MAX_RADIUS_M = 100.0
DEFAULT_TOLERANCE_DEG = 45.0
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Photos read from the box at most: a radius of 100 m in the densest city holds far fewer.
MAX_CANDIDATES = 5000


@dataclass(frozen=True)
class NearbySearch:
    lon: float
    lat: float
    radius: float = DEFAULT_RADIUS_M
    heading: float | None = None
    tolerance: float = DEFAULT_TOLERANCE_DEG
    start: datetime | None = None
    end: datetime | None = None
    exclude: UUID | None = None
    limit: int = DEFAULT_LIMIT


def spans(lon: float, lat: float, radius_m: float) -> list[tuple[float, float, float, float]]:
    """(west, south, east, north) boxes covering every point within ``radius_m`` of the point:
    two where the circle crosses 180°."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    cos_lat = math.cos(math.radians(lat))
    dlon = 180.0 if cos_lat < 1e-9 else math.degrees(radius_m / (EARTH_RADIUS_M * cos_lat))
    south, north = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    if dlon >= 180.0:
        return [(-180.0, south, 180.0, north)]
    west, east = lon - dlon, lon + dlon
    if west < -180.0:
        return [(west + 360.0, south, 180.0, north), (-180.0, south, east, north)]
    if east > 180.0:
        return [(west, south, 180.0, north), (-180.0, south, east - 360.0, north)]
    return [(west, south, east, north)]


def angle_between(a: float, b: float) -> float:
    """The smaller angle, in degrees, between two headings."""
    difference = abs(a - b) % 360.0
    return min(difference, 360.0 - difference)


def _candidate_ids(boxes: list[tuple[float, float, float, float]]) -> list[int] | None:
    """The ids of photos whose point may lie in the boxes, from SpatiaLite's R*Tree; None on
    PostgreSQL, where the query itself uses the GiST index."""
    if connection.vendor == "postgresql":
        return None
    table = f"idx_{Image._meta.db_table}_point"
    found: list[int] = []
    with connection.cursor() as cursor:
        for west, south, east, north in boxes:
            cursor.execute(
                f"SELECT pkid FROM {table} "  # noqa: S608 - the table's name is ours
                "WHERE xmax >= %s AND xmin <= %s AND ymax >= %s AND ymin <= %s LIMIT %s",
                [west, east, south, north, MAX_CANDIDATES],
            )
            found += [row[0] for row in cursor.fetchall()]
    return found


def nearby(search: NearbySearch) -> list[dict[str, Any]]:
    """The nearest photo of each published sequence around the search's point that matches
    it, nearest first, at most ``search.limit``: each as ``nearby_data`` writes it."""
    boxes = spans(search.lon, search.lat, search.radius)
    photos = Image.objects.filter(sequence__status=Sequence.Status.PUBLISHED)
    ids = _candidate_ids(boxes)
    if ids is None:
        inside = None
        for box in boxes:
            frame = Polygon.from_bbox(box)
            frame.srid = 4326
            clause = photos.filter(point__bboverlaps=frame)
            inside = clause if inside is None else inside | clause
        photos = inside if inside is not None else photos
    else:
        if not ids:
            return []
        photos = photos.filter(pk__in=ids)
    if search.start is not None:
        photos = photos.filter(captured_at__gte=search.start)
    if search.end is not None:
        photos = photos.filter(captured_at__lte=search.end)
    if search.exclude is not None:
        photos = photos.exclude(sequence__unique_id=search.exclude)
    annotations, names = image_columns()
    rows = photos.annotate(**annotations).values_list(
        *names, "sequence__unique_id", "sequence__name", "sequence__owner__username"
    )[:MAX_CANDIDATES]
    lon_at, lat_at, heading_at = (
        names.index("lon"),
        names.index("lat"),
        names.index("compass_angle"),
    )
    pano_at = names.index("is_pano")
    nearest: dict[UUID, tuple[float, tuple]] = {}
    for row in rows:
        distance = haversine_m((search.lon, search.lat), (row[lon_at], row[lat_at]))
        if distance > search.radius:
            continue
        if search.heading is not None and not row[pano_at]:
            heading = row[heading_at]
            if heading is None or angle_between(heading, search.heading) > search.tolerance:
                continue
        sequence_id = row[len(names)]
        kept = nearest.get(sequence_id)
        if kept is None or distance < kept[0]:
            nearest[sequence_id] = (distance, row)
    ordered = sorted(nearest.values(), key=lambda found: (found[0], str(found[1][len(names)])))
    return [nearby_data(row, len(names), distance) for distance, row in ordered[: search.limit]]


def nearby_data(row: tuple, columns: int, distance: float) -> dict[str, Any]:
    """A photo found near a place: the image's JSON, its sequence, and how far it is."""
    unique_id, name, owner = row[columns:]
    return {
        **image_data(*row[:columns]),
        "distance_m": round(distance, 1),
        "sequence": {"unique_id": str(unique_id), "name": name, "owner": owner},
    }
