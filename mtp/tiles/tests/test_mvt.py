"""Tiles hold the same features whichever database builds them."""

import json
import math
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely
from django.db import connection
from shapely.geometry import shape

from mtp.sequences.models import Sequence
from mtp.tiles import mvt
from testing.builders import HOME, sequence_along, wander
from testing.tiles import decode, lonlat_to_tile

pytestmark = pytest.mark.django_db

# Recorded on PostGIS: MTP_RECORD_TILES=1 DATABASE_URL=postgres://... pytest -k recorded
GOLDEN = Path(__file__).parent / "data" / "golden_tiles.json"
on_postgis = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostGIS builds tiles only on PostgreSQL"
)


@pytest.fixture
def routes(owner, rng) -> list[Sequence]:
    """A dozen published routes around Trondheim, fixed from one seed, and a few never shown."""
    sequences = []
    for index in range(12):
        start = (HOME[0] + rng.uniform(-0.08, 0.08), HOME[1] + rng.uniform(-0.04, 0.04))
        points = wander(rng, start, rng.randint(20, 70), rng.uniform(3, 40))
        sequences.append(
            sequence_along(
                owner,
                points,
                name=f"Route {index}",
                transport_type=["Walk", "Bicycle", "Kayak", "Ski"][index % 4],
                unique_id=uuid.UUID(int=rng.getrandbits(128)),
                key_prefix=f"{index:02d}",
                start=None if index == 3 else datetime(2024, 5, 1 + index, 7, tzinfo=UTC),
                compass=(lambda i: None) if index == 5 else (lambda i: (i * 37.5) % 360),
            )
        )
    # A short route that shrinks below one unit at low zoom, and one on the far side of Earth.
    sequences.append(
        sequence_along(
            owner,
            [(10.40, 63.43), (10.4001, 63.4301)],
            name="Short",
            unique_id=uuid.UUID(int=rng.getrandbits(128)),
            key_prefix="short",
        )
    )
    sequences.append(
        sequence_along(
            owner,
            wander(rng, (-70.6, -33.45), 40, 20),
            name="Santiago",
            unique_id=uuid.UUID(int=rng.getrandbits(128)),
            key_prefix="scl",
        )
    )
    for status in (Sequence.Status.DRAFT, Sequence.Status.IMPORTING, Sequence.Status.FAILED):
        sequence_along(
            owner, wander(rng, HOME, 30, 10), name=f"Not shown ({status})", status=status
        )
    return sequences


def tiles_over_home() -> list[tuple[int, int, int]]:
    """Every tile at zooms 0 to 15 that the routes around Trondheim may touch."""
    tiles = []
    for z in (0, 3, 6, 10, 12, 14, 15):
        x0, y0 = lonlat_to_tile(HOME[0] - 0.12, HOME[1] + 0.06, z)
        x1, y1 = lonlat_to_tile(HOME[0] + 0.12, HOME[1] - 0.06, z)
        tiles += [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return tiles


def comparable(data: bytes) -> dict[str, dict]:
    """A tile as plain data: per layer, each feature's attributes and geometry, by id."""
    return {
        layer: {
            fid: {"properties": feature["properties"], "geometry": feature["geometry"]}
            for fid, feature in features.items()
        }
        for layer, features in decode(data).items()
    }


def assert_same_features(actual: dict, expected: dict, where: str) -> None:
    """Same layers, same features, same attributes; geometry within two units."""
    assert actual.keys() == expected.keys(), where
    for layer in expected:
        assert actual[layer].keys() == expected[layer].keys(), f"{where} {layer}"
        for fid, feature in expected[layer].items():
            got = actual[layer][fid]
            assert got["properties"].keys() == feature["properties"].keys(), f"{where} {fid}"
            for name, value in feature["properties"].items():
                if isinstance(value, float):
                    assert math.isclose(got["properties"][name], value), f"{where} {fid} {name}"
                else:
                    assert got["properties"][name] == value, f"{where} {fid} {name}"
            distance = shapely.hausdorff_distance(
                shape(got["geometry"]), shape(feature["geometry"])
            )
            assert distance <= 2.0, f"{where} {layer} {fid}: {distance:.2f} units apart"


def test_a_tile_holds_only_published_sequences_with_their_public_attributes(routes):
    z = 12
    x, y = lonlat_to_tile(10.40, 63.43, z)
    layers = comparable(mvt.render_tile(z, x, y))
    assert set(layers) == {"sequences"}, "no photos below zoom 14"
    names = {feature["properties"]["name"] for feature in layers["sequences"].values()}
    assert "Short" in names
    assert not any(name.startswith("Not shown") for name in names)
    short = next(s for s in routes if s.name == "Short")
    assert layers["sequences"][str(short.unique_id)]["properties"] == {
        "id": str(short.unique_id),
        "name": "Short",
        "transport_type": "Walk",
        "captured_at": int(datetime(2024, 5, 1, 8, 30, 15, tzinfo=UTC).timestamp()),
    }


def test_photos_appear_from_zoom_14_with_their_key_angle_and_sequence(routes):
    short = next(s for s in routes if s.name == "Short")
    x, y = lonlat_to_tile(10.40, 63.43, 14)
    layers = comparable(mvt.render_tile(14, x, y))
    assert layers["images"]["short0001"]["properties"] == {
        "id": "short0001",
        "compass_angle": 37.5,
        "sequence_id": str(short.unique_id),
    }
    assert layers["images"]["short0001"]["geometry"]["type"] == "Point"
    x, y = lonlat_to_tile(10.40, 63.43, 13)
    assert "images" not in comparable(mvt.render_tile(13, x, y))


def test_a_tile_where_nothing_was_shared_is_empty(routes):
    assert mvt.render_tile(10, 0, 0) == b""
    assert mvt.render_tile(16, 1000, 1000) == b""


def test_the_low_zoom_tile_leaves_out_a_route_shorter_than_a_unit(routes):
    z = 6
    x, y = lonlat_to_tile(10.40, 63.43, z)
    names = {
        f["properties"]["name"] for f in comparable(mvt.render_tile(z, x, y))["sequences"].values()
    }
    assert "Short" not in names
    assert "Route 0" in names


@on_postgis
def test_postgis_and_python_build_the_same_features(routes):
    checked = 0
    for z, x, y in tiles_over_home() + [(3, 2, 4), (6, 19, 38), (1, 0, 1)]:
        from_sql = comparable(mvt.postgis_tile(z, x, y))
        from_python = comparable(mvt.python_tile(z, x, y))
        assert_same_features(from_python, from_sql, f"tile {z}/{x}/{y}")
        checked += sum(len(features) for features in from_sql.values())
    assert checked > 1000


def test_tiles_match_the_recorded_features_on_this_database(routes):
    """The recording was made by PostGIS; SpatiaLite must decode to the same features."""
    actual = {
        f"{z}/{x}/{y}": comparable(mvt.render_tile(z, x, y)) for z, x, y in golden_tiles(routes)
    }
    if os.environ.get("MTP_RECORD_TILES") and connection.vendor == "postgresql":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(actual, indent=None, sort_keys=True) + "\n")
    expected = json.loads(GOLDEN.read_text())
    assert actual.keys() == expected.keys()
    for name, layers in expected.items():
        assert_same_features(actual[name], layers, f"tile {name}")


def golden_tiles(routes: list[Sequence]) -> list[tuple[int, int, int]]:
    """Tiles at several zooms, the deep ones where routes begin and bend (fixed by the seed)."""
    tiles = [(0, 0, 0), (6, *lonlat_to_tile(*HOME, 6)), (10, *lonlat_to_tile(*HOME, 10))]
    for index, z in ((0, 12), (1, 14), (2, 14), (4, 15), (7, 16)):
        route = routes[index].geometry
        assert route is not None
        lon, lat = route.coords[len(route.coords) // 2]
        tiles.append((z, *lonlat_to_tile(lon, lat, z)))
    return tiles
