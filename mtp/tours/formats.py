"""A tour as GPX 1.1: a track per route, in the tour's order."""

from collections.abc import Iterable

from mtp.sequences.formats import GpxWriter

# (route name, route link, points); a point is (lon, lat, captured_at, altitude).
Route = tuple[str, str, Iterable[tuple]]


def tour_gpx(name: str, description: str, link: str, routes: Iterable[Route]) -> str:
    """The GPX document of a tour: its name and link, then one ``trk`` per route."""
    gpx = GpxWriter()
    gpx.start("metadata")
    gpx.element("name", name)
    if description:
        gpx.element("desc", description)
    gpx.element("link", href=link)
    gpx.end("metadata")
    for number, (route_name, route_link, points) in enumerate(routes, start=1):
        gpx.start("trk")
        gpx.element("name", route_name)
        gpx.element("link", href=route_link)
        gpx.element("number", str(number))
        gpx.track_segment(points)
        gpx.end("trk")
    return gpx.close()
