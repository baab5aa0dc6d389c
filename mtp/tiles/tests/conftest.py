"""Routes and photos to put in tiles, and a way to read tiles back."""

import math
import random
import uuid
from datetime import UTC, datetime, timedelta

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from mtp.sequences.models import Image, Sequence, TransportType

# Trondheim: the routes of these tests wander around it.
HOME = (10.3951, 63.4305)


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding a point (the usual slippy-map formula)."""
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    lat_rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(lat_rad)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def wander(rng: random.Random, start: tuple[float, float], count: int, step_m: float):
    """``count`` (lon, lat) points of a walk that turns a little at each step."""
    lon, lat = start
    heading = rng.uniform(0, 2 * math.pi)
    points = []
    for _ in range(count):
        points.append((round(lon, 7), round(lat, 7)))
        heading += rng.gauss(0, 0.35)
        lat += step_m * math.cos(heading) / 111_320
        lon += step_m * math.sin(heading) / (111_320 * math.cos(math.radians(lat)))
    return points


def make_sequence(
    owner,
    points: list[tuple[float, float]],
    *,
    name: str = "A walk",
    transport_type: str = "Walk",
    status: str = Sequence.Status.PUBLISHED,
    start: datetime | None = datetime(2024, 5, 1, 8, 30, 15, tzinfo=UTC),
    unique_id: uuid.UUID | None = None,
    key_prefix: str | None = None,
    compass=lambda index: (index * 37.5) % 360,
) -> Sequence:
    """A sequence along ``points`` with one photo per point, stored the way an import does."""
    times = [start + timedelta(seconds=2 * i) if start else None for i in range(len(points))]
    sequence = Sequence(
        owner=owner,
        name=name,
        transport_type=TransportType.objects.get(name=transport_type),
        status=status,
        unique_id=unique_id or uuid.uuid4(),
        published_at=timezone.now() if status == Sequence.Status.PUBLISHED else None,
    )
    sequence.set_route(points, times)
    sequence.image_count = len(points)
    sequence.save()
    prefix = key_prefix or sequence.unique_id.hex[:12]
    Image.objects.bulk_create(
        Image(
            sequence=sequence,
            mapillary_key=f"{prefix}{index:04d}",
            position=index,
            point=Point(lon, lat, srid=4326),
            captured_at=times[index],
            compass_angle=compass(index),
        )
        for index, (lon, lat) in enumerate(points)
    )
    return sequence


def decode(data: bytes) -> dict[str, dict]:
    """Layers by name, each a dict of features by their ``id`` attribute (tile units, y down)."""
    layers = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    decoded = {}
    for name, layer in layers.items():
        features = {}
        for feature in layer["features"]:
            assert feature["properties"]["id"] not in features, "a feature appears twice"
            features[feature["properties"]["id"]] = feature
        decoded[name] = features
    return decoded


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20240501)
