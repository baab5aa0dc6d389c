"""Finding and reading vector tiles in tests."""

import math

import mapbox_vector_tile


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding a point (the usual slippy-map formula)."""
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    lat_rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(lat_rad)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


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
