"""Shapes for tests of areas."""


def zigzag(ring: list[list[float]], corners_per_edge: int, out: float) -> list[list[float]]:
    """The box ``ring`` with each edge drawn as a zigzag ``out`` degrees outwards."""
    (west, south), (east, _), (_, north) = ring[0], ring[1], ring[2]
    edges = [
        ((west, south), (east, south), (0.0, -out)),
        ((east, south), (east, north), (out, 0.0)),
        ((east, north), (west, north), (0.0, out)),
        ((west, north), (west, south), (-out, 0.0)),
    ]
    traced = [
        [
            x0 + (x1 - x0) * i / corners_per_edge + dx * (i % 2),
            y0 + (y1 - y0) * i / corners_per_edge + dy * (i % 2),
        ]
        for (x0, y0), (x1, y1), (dx, dy) in edges
        for i in range(corners_per_edge)
    ]
    return [*traced, traced[0]]
