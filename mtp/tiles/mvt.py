"""Vector tiles (Mapbox Vector Tile 2.1) of published sequences and their photos.

A tile ``z/x/y`` covers one square of the Web Mercator grid (EPSG:3857, XYZ numbering: ``y`` 0
is the northern edge). It holds two layers:

``sequences``, at every zoom: each published sequence's route as a line.
    ``id``              the sequence's public ``unique_id`` (a UUID string)
    ``name``            its name
    ``transport_type``  the name of its way of travel (``Walk``, ``Kayak``...)
    ``captured_at``     when its first photo was taken, in whole seconds since 1970-01-01 UTC
                        (an integer); absent when unknown

``images``, from zoom 14 on: each photo of a published sequence as a point.
    ``id``              its Mapillary image key
    ``compass_angle``   degrees clockwise from north; absent when unknown
    ``sequence_id``     its sequence's ``unique_id``

Geometry uses an extent of 4096 units, keeps a 64-unit buffer around the tile and is clipped
to it. Lines are simplified to the tile's resolution, and below zoom ``SIMPLIFY_BELOW_ZOOM``
further still, so that low-zoom tiles stay small. A line that shrinks below one unit is left
out. Features carry no MVT feature id; their ids are attributes.

PostGIS builds a tile in one query (``ST_AsMVTGeom`` and ``ST_AsMVT``). SpatiaLite has no MVT
encoder, so there the candidate rows are chosen by the sequences' bounding-box columns and the
same steps (project, simplify, clip, snap to the grid, encode) run in Python; the two give the
same features, with coordinates within a unit or two of each other.
"""

import functools
import math
from dataclasses import dataclass
from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely
from django.contrib.gis.db.models.functions import AsWKB
from django.db import connection

from mtp.sequences.models import Image, Sequence

EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
IMAGES_MIN_ZOOM = 14
# Below this zoom lines are simplified by SIMPLIFY_UNITS tile units instead of half a unit:
# a zoom-6 tile over a busy region would otherwise carry every bend of thousands of routes.
SIMPLIFY_BELOW_ZOOM = 12
SIMPLIFY_UNITS = 2.0

EARTH_RADIUS = 6378137.0
HALF_WORLD = math.pi * EARTH_RADIUS  # 20037508.342789244 m, the EPSG:3857 world's half width
# Projecting a pole gives infinity; any latitude past this lies far outside every tile.
MAX_LATITUDE = 89.9


@dataclass(frozen=True)
class TileBounds:
    """A tile's square in EPSG:3857 metres, and its buffered box in longitude/latitude."""

    west: float
    south: float
    east: float
    north: float
    lon_min: float
    lat_min: float
    lon_max: float
    lat_max: float

    @property
    def size(self) -> float:
        return self.east - self.west


def tile_bounds(z: int, x: int, y: int) -> TileBounds:
    """The bounds of tile ``z/x/y``; the longitude/latitude box includes the buffer."""
    size = 2 * HALF_WORLD / (1 << z)
    west = -HALF_WORLD + x * size
    north = HALF_WORLD - y * size
    margin = size * BUFFER / EXTENT
    # Clamped to the world: a box past the antimeridian would wrap around to the far side.
    lon_min = max(-180.0, math.degrees((west - margin) / EARTH_RADIUS))
    lon_max = min(180.0, math.degrees((west + size + margin) / EARTH_RADIUS))
    lat_min = math.degrees(math.atan(math.sinh((north - size - margin) / EARTH_RADIUS)))
    lat_max = math.degrees(math.atan(math.sinh((north + margin) / EARTH_RADIUS)))
    return TileBounds(west, north - size, west + size, north, lon_min, lat_min, lon_max, lat_max)


def simplify_units(z: int) -> float:
    """How far, in tile units, a simplified line may stray from the route at zoom ``z``."""
    return SIMPLIFY_UNITS if z < SIMPLIFY_BELOW_ZOOM else 0.0


def render_tile(z: int, x: int, y: int) -> bytes:
    """The encoded tile ``z/x/y``: empty bytes when it holds no feature."""
    if connection.vendor == "postgresql":
        return postgis_tile(z, x, y)
    return python_tile(z, x, y)


# --- PostGIS: one query -----------------------------------------------------------------------

# Features go in in a fixed order, so that the same data gives the same bytes (and the same
# ETag) whichever plan PostgreSQL picks.
_SEQUENCES_SQL = """
    SELECT ST_AsMVT(layer, 'sequences', {extent}, 'geom' ORDER BY layer.id COLLATE "C") FROM (
        SELECT s.unique_id::text AS id, s.name, t.name AS transport_type,
               floor(extract(epoch FROM s.captured_at_start))::bigint AS captured_at,
               ST_AsMVTGeom({line}, ST_TileEnvelope(%(z)s, %(x)s, %(y)s),
                            {extent}, {buffer}, true) AS geom
        FROM {sequence} s JOIN {transport_type} t ON t.id = s.transport_type_id
        WHERE s.status = 'published'
          AND s.geometry && ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326)
    ) layer
"""
_IMAGES_SQL = """
    SELECT ST_AsMVT(layer, 'images', {extent}, 'geom' ORDER BY layer.id COLLATE "C") FROM (
        SELECT i.key AS id, i.compass_angle, s.unique_id::text AS sequence_id,
               ST_AsMVTGeom(ST_Transform(i.point, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s),
                            {extent}, {buffer}, true) AS geom
        FROM {image} i JOIN {sequence} s ON s.id = i.sequence_id
        WHERE s.status = 'published'
          AND i.point && ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326)
    ) layer
"""


def postgis_sql(z: int) -> str:
    """The one SQL query that builds a tile at zoom ``z`` (parameters: see ``postgis_params``)."""
    return _postgis_sql(simplified=bool(simplify_units(z)), with_images=z >= IMAGES_MIN_ZOOM)


@functools.cache
def _postgis_sql(*, simplified: bool, with_images: bool) -> str:
    names = {
        "extent": EXTENT,
        "buffer": BUFFER,
        "sequence": Sequence._meta.db_table,
        "transport_type": Sequence._meta.get_field("transport_type").related_model._meta.db_table,
        "image": Image._meta.db_table,
        "line": "ST_Transform(s.geometry, 3857)",
    }
    if simplified:
        names["line"] = "ST_Simplify(ST_Transform(s.geometry, 3857), %(tolerance)s)"
    sequences = _SEQUENCES_SQL.format(**names)
    if not with_images:
        return f"SELECT coalesce(({sequences}), ''::bytea)"
    images = _IMAGES_SQL.format(**names)
    # A tile is a list of layers, so two encoded layers side by side are one tile.
    return f"SELECT coalesce(({sequences}), ''::bytea) || coalesce(({images}), ''::bytea)"


def postgis_params(z: int, x: int, y: int) -> dict[str, int | float]:
    bounds = tile_bounds(z, x, y)
    return {
        "z": z,
        "x": x,
        "y": y,
        "w": bounds.lon_min,
        "s": bounds.lat_min,
        "e": bounds.lon_max,
        "n": bounds.lat_max,
        "tolerance": simplify_units(z) * bounds.size / EXTENT,
    }


def postgis_tile(z: int, x: int, y: int) -> bytes:
    """Tile ``z/x/y`` built by PostGIS."""
    with connection.cursor() as cursor:
        cursor.execute(postgis_sql(z), postgis_params(z, x, y))
        return bytes(cursor.fetchone()[0])


# --- Python: the same steps, for SpatiaLite ---------------------------------------------------


def python_tile(z: int, x: int, y: int) -> bytes:
    """Tile ``z/x/y`` built in Python from rows chosen by the bounding-box columns."""
    bounds = tile_bounds(z, x, y)
    layers: list[dict[str, Any]] = []
    sequences = _sequence_features(z, bounds)
    if sequences:
        layers.append({"name": "sequences", "features": sequences})
    if z >= IMAGES_MIN_ZOOM:
        images = _image_features(bounds)
        if images:
            layers.append({"name": "images", "features": images})
    if not layers:
        return b""
    for layer in layers:
        layer["features"].sort(key=lambda feature: feature["properties"]["id"])
    return mapbox_vector_tile.encode(
        layers,
        default_options={"extents": EXTENT, "y_coord_down": True, "check_winding_order": False},
    )


def _candidate_sequences(bounds: TileBounds):
    """Published sequences whose bounding box meets the buffered tile (a B-tree search)."""
    return Sequence.objects.filter(
        status=Sequence.Status.PUBLISHED,
        bbox_west__lte=bounds.lon_max,
        bbox_east__gte=bounds.lon_min,
        bbox_south__lte=bounds.lat_max,
        bbox_north__gte=bounds.lat_min,
    )


def _to_tile_units(geometries: np.ndarray, bounds: TileBounds) -> np.ndarray:
    """Project longitude/latitude geometries into the tile's units (y grows downwards)."""
    scale = EXTENT / bounds.size

    def project(coords: np.ndarray) -> np.ndarray:
        lon = coords[:, 0]
        lat = np.clip(coords[:, 1], -MAX_LATITUDE, MAX_LATITUDE)
        mx = EARTH_RADIUS * np.radians(lon)
        my = EARTH_RADIUS * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))
        return np.column_stack(((mx - bounds.west) * scale, (bounds.north - my) * scale))

    return shapely.transform(geometries, project)


def _snap(geometries: np.ndarray) -> np.ndarray:
    """Round every coordinate to the tile's integer grid (half to even, like C's rint)."""
    return shapely.transform(geometries, np.rint)


def _inside(coords: np.ndarray) -> np.ndarray:
    """Which snapped coordinates lie in the tile or its buffer."""
    return np.all((coords >= -BUFFER) & (coords <= EXTENT + BUFFER), axis=1)


def _sequence_features(z: int, bounds: TileBounds) -> list[dict]:
    rows = list(
        _candidate_sequences(bounds)
        .filter(geometry__isnull=False)
        .annotate(wkb=AsWKB("geometry"))
        .values_list("unique_id", "name", "transport_type__name", "captured_at_start", "wkb")
    )
    if not rows:
        return []
    lines = _to_tile_units(shapely.from_wkb([bytes(row[4]) for row in rows]), bounds)
    # The steps and their order are ST_AsMVTGeom's, after any coarser low-zoom simplification:
    # leave out a line whose box is under half a unit both ways, drop points closer than half
    # a unit, simplify to half a unit, snap to the grid, clip to the buffered tile.
    coarse = simplify_units(z)
    if coarse:
        lines = shapely.simplify(lines, coarse, preserve_topology=False)
    boxes = shapely.bounds(lines)
    too_small = (boxes[:, 2] - boxes[:, 0] < 0.5) & (boxes[:, 3] - boxes[:, 1] < 0.5)
    lines[too_small] = None
    lines = shapely.remove_repeated_points(lines, 0.5)
    lines = shapely.simplify(lines, 0.5, preserve_topology=False)
    lines = _snap(lines)
    lines = shapely.clip_by_rect(lines, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
    features = []
    for (unique_id, name, transport_type, captured_at, _), line in zip(rows, lines, strict=True):
        line = _only_lines(line)
        if line is None:
            continue
        properties = {"id": str(unique_id), "name": name, "transport_type": transport_type}
        if captured_at is not None:
            properties["captured_at"] = math.floor(captured_at.timestamp())
        # The encoder snaps the points where the clip cut a segment, and drops a line that
        # snapping shrinks to one point.
        features.append({"geometry": line, "properties": properties})
    return features


def _only_lines(geometry):
    """The line parts of a clipped geometry, or None (a clip can leave a lone point)."""
    if geometry is None or geometry.is_empty:
        return None
    if geometry.geom_type in _LINE_TYPES:
        return geometry
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type == "LineString"]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.multilinestrings(parts)


_LINE_TYPES = {"LineString", "MultiLineString"}


def _image_features(bounds: TileBounds) -> list[dict]:
    # Photos lie on their sequence's route, inside its bounding box: the box search on
    # sequences finds every photo that can fall in the tile.
    rows = list(
        Image.objects.filter(sequence__in=_candidate_sequences(bounds))
        .annotate(wkb=AsWKB("point"))
        .values_list("key", "compass_angle", "sequence__unique_id", "wkb")
    )
    if not rows:
        return []
    points = _snap(_to_tile_units(shapely.from_wkb([bytes(row[3]) for row in rows]), bounds))
    inside = _inside(shapely.get_coordinates(points))
    features = []
    for (key, compass_angle, sequence_id, _), point, keep in zip(rows, points, inside, strict=True):
        if not keep:
            continue
        properties: dict[str, str | float] = {"id": key, "sequence_id": str(sequence_id)}
        if compass_angle is not None:
            properties["compass_angle"] = float(compass_angle)
        features.append({"geometry": point, "properties": properties})
    return features
