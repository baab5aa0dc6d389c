"""A challenge's area: a GeoJSON Polygon or MultiPolygon in WGS 84, checked before it is kept.

The area is what GeoJSON says it is (RFC 7946): each ring's edges are straight in longitude and
latitude, never the short way across the 180th meridian, so a ring from -179.9° to 179.9° goes
round the whole Earth. An area that crosses the 180th meridian comes as a MultiPolygon cut
there (a part up to 180°, a part from -180°); its box then has its west above its east (RFC
7946 5.2). The size limit measures the same shape that is stored, searched and counted.
"""

import hashlib
import math
from typing import Any, cast

import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.core.exceptions import ValidationError

from mtp.lib.geodesy import polygon_area_m2

# Corners of all rings together: enough for a city's outline drawn or traced.
MAX_POSITIONS = 10_000
WGS84_NAMES = (
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "EPSG:4326",
)
# The only crs member taken (the old GeoJSON's named CRS), naming WGS 84.
WGS84_CRS = [{"type": "name", "properties": {"name": name}} for name in WGS84_NAMES]
# The members an area may have: anything else is refused, never silently dropped.
MEMBERS = ("type", "coordinates", "crs")


def _invalid(message: str) -> ValidationError:
    # No params: Django would format the message with %.
    return ValidationError(message, code="invalid_area")


def _ring(ring: Any, where: str) -> list[tuple[float, float]]:
    if not isinstance(ring, list) or len(ring) < 4:
        raise _invalid(f"{where} needs at least 4 positions, the last the same as the first.")
    points = []
    for position in ring:
        if (
            not isinstance(position, list)
            or len(position) not in (2, 3)
            or not all(
                isinstance(number, int | float) and not isinstance(number, bool)
                for number in position
            )
        ):
            raise _invalid(f"{where}: each position is [longitude, latitude] in degrees.")
        lon, lat = float(position[0]), float(position[1])
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise _invalid(f"{where}: coordinates must be finite numbers.")
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise _invalid(
                f"{where}: [{position[0]}, {position[1]}] is not WGS 84 longitude, latitude "
                "(longitudes -180 to 180, latitudes -90 to 90, in that order)."
            )
        points.append((lon, lat))
    if points[0] != points[-1]:
        raise _invalid(f"{where} is not closed: its last position must repeat the first.")
    return points


def parse_area(data: Any) -> MultiPolygon:
    """The area as a MultiPolygon (SRID 4326), or ValidationError saying what is wrong."""
    if not isinstance(data, dict):
        raise _invalid("The area must be a GeoJSON Polygon or MultiPolygon object.")
    unknown = sorted(str(name) for name in data if name not in MEMBERS)
    if unknown:
        raise _invalid(
            f"The area has members it may not have: {', '.join(unknown)} "
            f"(only {', '.join(MEMBERS)})."
        )
    if "crs" in data and data["crs"] not in WGS84_CRS:
        raise _invalid("The area must be in WGS 84 longitude, latitude (RFC 7946): no crs.")
    kind = data.get("type")
    coordinates = data.get("coordinates")
    polygons: list | None
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon":
        polygons = coordinates if isinstance(coordinates, list) else None
    else:
        raise _invalid("The area must be a GeoJSON Polygon or MultiPolygon.")
    if not polygons or not all(isinstance(rings, list) and rings for rings in polygons):
        raise _invalid("The area is empty: give at least one ring of positions.")
    count = sum(len(ring) for rings in polygons for ring in rings if isinstance(ring, list))
    if count > MAX_POSITIONS:
        raise _invalid(f"The area has {count} positions; at most {MAX_POSITIONS}.")
    parts = []
    total_m2 = 0.0
    for p, rings in enumerate(polygons, start=1):
        checked = [
            _ring(ring, f"Polygon {p}, ring {r}" if len(polygons) > 1 else f"Ring {r}")
            for r, ring in enumerate(rings, start=1)
        ]
        polygon = Polygon(*checked, srid=4326)
        parts.append(polygon)
        outer = polygon_area_m2(checked[0])
        holes = sum(polygon_area_m2(ring) for ring in checked[1:])
        total_m2 += outer - holes
    if any(part.area == 0 for part in parts) or total_m2 <= 0:
        raise _invalid("The area is empty: a ring encloses nothing.")
    area = MultiPolygon(*parts, srid=4326)
    if not area.valid:
        raise _invalid(f"The area is not a valid shape: {area.valid_reason}.")
    limit_km2 = settings.MTP_CHALLENGE_MAX_AREA_KM2
    if total_m2 / 1e6 > limit_km2:
        raise _invalid(
            f"The area is {total_m2 / 1e6:,.0f} km²; "
            f"a challenge covers at most {limit_km2:,.0f} km²."
        )
    return area


def area_bbox(area: MultiPolygon) -> tuple[float, float, float, float]:
    """The area's (west, south, east, north), the smallest box round it: its west is above its
    east when it is smaller across the 180th meridian (the parts either side of it)."""
    west, south, east, north = area.extent
    spans: list[list[float]] = []
    for part_west, _, part_east, _ in sorted(part.extent for part in area):
        if spans and part_west <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], part_east)
        else:
            spans.append([part_west, part_east])
    # The box leaves out the widest stretch of longitude with no part in it: the one across
    # the 180th meridian, or one between two parts.
    widest = spans[0][0] + 360 - spans[-1][1]
    for (_, gap_west), (gap_east, _) in zip(spans, spans[1:], strict=False):
        if gap_east - gap_west > widest:
            widest = gap_east - gap_west
            west, east = gap_east, gap_west
    return west, south, east, north


# Corners a piece of an area has at most: a route or a photo is tested against the few pieces
# near it, each of a few corners, instead of against an outline of thousands.
PIECE_CORNERS = 256
# How far inside the outline an area's core keeps, as a share of the area's larger side: the
# routes in the rim between them are tested photo by photo.
CORE_MARGIN = 1 / 100
# Pieces narrower than this (degrees, about 1 mm) are not cut again, whatever their corners.
SMALLEST_PIECE = 1e-8


def _polygons(shape: shapely.Geometry) -> list[shapely.Polygon]:
    # Where a cut runs along the outline, lines and points come out too: they enclose nothing.
    parts = shapely.get_parts(shape)
    return [part for part in parts if isinstance(part, shapely.Polygon) and part.area > 0]


def _core(shape: shapely.Geometry) -> shapely.Geometry | None:
    """The inside of an area of many corners, away from its outline, drawn with few corners:
    the area drawn in by CORE_MARGIN of its larger side and simplified by half that (so it
    stays inside), or None when nothing is left."""
    west, south, east, north = shape.bounds
    margin = max(east - west, north - south) * CORE_MARGIN
    inner = shapely.buffer(shape, -margin, join_style="mitre")
    core = shapely.intersection(shapely.simplify(inner, margin / 2, preserve_topology=True), shape)
    parts = _polygons(core)
    return shapely.multipolygons(parts) if parts else None


def area_pieces(area: MultiPolygon) -> list[Polygon]:
    """The area cut into polygons of at most PIECE_CORNERS corners that together are the area
    and meet only along their edges. An area of more corners is first cut into its core, a
    shape of few corners inside it (``_core``), and the rim round it; then each polygon with
    too many corners is cut in half across its longer side, again and again. Most routes of
    the area then lie inside the one core piece, the others near the outline: only these are
    tested photo by photo."""
    # Shapely, the same GEOS without a call from Python per corner: a 9,999-corner area is cut
    # in a fraction of a second instead of several.
    pieces: list[shapely.Polygon] = []
    shape = shapely.from_wkb(bytes(area.wkb))
    core = _core(shape) if shapely.get_num_coordinates(shape) > PIECE_CORNERS else None
    if core is None:
        todo = _polygons(shape)
    else:
        todo = _polygons(shapely.difference(shape, core)) + _polygons(core)
    while todo:
        polygon = todo.pop()
        west, south, east, north = polygon.bounds
        small = max(east - west, north - south) < SMALLEST_PIECE
        if small or shapely.get_num_coordinates(polygon) <= PIECE_CORNERS:
            pieces.append(polygon)
            continue
        if east - west >= north - south:
            middle = (west + east) / 2
            halves = [(west, south, middle, north), (middle, south, east, north)]
        else:
            middle = (south + north) / 2
            halves = [(west, south, east, middle), (west, middle, east, north)]
        for half in halves:
            todo.extend(_polygons(shapely.clip_by_rect(polygon, *half)))
    return [
        cast(Polygon, GEOSGeometry(memoryview(shapely.to_wkb(piece)), srid=area.srid))
        for piece in pieces
    ]


def is_box(piece: Polygon) -> bool:
    """Whether the piece is the box of its extent: inside its box is inside it. Most pieces
    of a cut outline are (all but those along the outline), and are tested by their box."""
    shape = shapely.from_wkb(bytes(piece.wkb))
    return bool(shapely.equals(shape, shapely.box(*shape.bounds)))


def area_geojson(area: MultiPolygon) -> dict[str, Any]:
    """The area as a GeoJSON MultiPolygon."""
    # Through shapely: GeoDjango reads coordinates one call from Python each, a third of a
    # second for an outline of 9,999 corners on every page showing it.
    polygons = shapely.get_parts(shapely.from_wkb(bytes(area.wkb)))
    return {
        "type": "MultiPolygon",
        "coordinates": [
            [
                shapely.get_coordinates(ring).tolist()
                for ring in [polygon.exterior, *polygon.interiors]
            ]
            for polygon in polygons
        ],
    }


# The outline a page draws: corners closer than this share of the area's larger side are
# dropped (a pixel or less on a map showing the whole area), so that a traced outline of
# thousands of corners is not sent, nor written, on every page.
OUTLINE_TOLERANCE = 1 / 2000


def area_outline(area: MultiPolygon) -> dict[str, Any]:
    """The area as a GeoJSON MultiPolygon for a map of it: simplified to well under a pixel of
    a map that shows the whole area, its shape kept (no ring crossing another)."""
    shape = shapely.from_wkb(bytes(area.wkb))
    west, south, east, north = shape.bounds
    tolerance = max(east - west, north - south) * OUTLINE_TOLERANCE
    simple = shapely.simplify(shape, tolerance, preserve_topology=True)
    polygons = _polygons(simple) or _polygons(shape)
    return {
        "type": "MultiPolygon",
        "coordinates": [
            [
                shapely.get_coordinates(ring).tolist()
                for ring in [polygon.exterior, *polygon.interiors]
            ]
            for polygon in polygons
        ],
    }


def shape_digest(area: MultiPolygon) -> str:
    """A name of the area's exact shape: another shape, another name."""
    return hashlib.sha256(bytes(area.wkb)).hexdigest()
