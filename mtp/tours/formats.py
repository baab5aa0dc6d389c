"""A tour as GPX 1.1 (a track per route, in the tour's order) and as GeoJSON (a Feature per
route), streamed: a tour may hold 500 routes of thousands of photos each, so the document is
written a route at a time from rows read a few routes at a time, and its size never sits in
memory whole."""

from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import FloatField, Func
from django.http import StreamingHttpResponse

from mtp.lib.http import GEOJSON, GPX, json_bytes
from mtp.sequences.formats import GpxWriter, line_feature
from mtp.sequences.links import object_url
from mtp.sequences.models import Image, Sequence
from mtp.tours.models import Tour, routes_of, tour_data

# Routes read per query: their rows are the most a stream holds at once.
ROUTES_PER_READ = 20

# (route name, route link, points); a point is (lon, lat, captured_at, altitude).
Route = tuple[str, str, Iterable[tuple]]


class _Lon(Func):
    """A point's longitude, read by the database: a GEOS point per photo cost more than the
    rest of writing it (both PostGIS and SpatiaLite have ST_X and ST_Y)."""

    function = "ST_X"
    output_field = FloatField()


class _Lat(_Lon):
    function = "ST_Y"


def tour_gpx(name: str, description: str, link: str, routes: Iterable[Route]) -> Iterator[str]:
    """The GPX document of a tour in parts: its name and link, then one ``trk`` per route,
    then the end. Joined, the parts are the whole document."""
    gpx = GpxWriter()
    gpx.start("metadata")
    gpx.element("name", name)
    if description:
        gpx.element("desc", description)
    gpx.element("link", href=link)
    gpx.end("metadata")
    yield gpx.take()
    for number, (route_name, route_link, points) in enumerate(routes, start=1):
        gpx.start("trk")
        gpx.element("name", route_name)
        gpx.element("link", href=route_link)
        gpx.element("number", str(number))
        gpx.track_segment(points)
        gpx.end("trk")
        yield gpx.take()
    yield gpx.close()


def _groups(routes: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(routes), ROUTES_PER_READ):
        yield routes[start : start + ROUTES_PER_READ]


def route_points(routes: list[dict[str, Any]]) -> Iterator[list[tuple]]:
    """The points of each route (``routes_of``) in turn, (lon, lat, captured_at, altitude) in
    capture order, read ``ROUTES_PER_READ`` routes at a time."""
    for group in _groups(routes):
        points: dict[int, list[tuple]] = {route["id"]: [] for route in group}
        rows = (
            Image.objects.filter(sequence_id__in=list(points))
            .order_by("sequence_id", "position", "id")
            .values_list("sequence_id", _Lon("point"), _Lat("point"), "captured_at", "altitude")
        )
        for sequence_id, *point in rows.iterator(chunk_size=2000):
            points[sequence_id].append(tuple(point))
        for route in group:
            yield points.pop(route["id"])


def gpx_response(tour: Tour) -> StreamingHttpResponse:
    """The tour's GPX, streamed."""
    routes = routes_of(tour)
    parts = tour_gpx(
        tour.name,
        tour.description,
        settings.SITE_URL + tour.get_absolute_url(),
        (
            (route["name"], object_url("web:sequence", route["unique_id"]), points)
            for route, points in zip(routes, route_points(routes), strict=True)
        ),
    )
    response = StreamingHttpResponse(
        (part.encode() for part in parts), content_type=f"{GPX}; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{tour.unique_id}.gpx"'
    response["Vary"] = "Accept"
    return response


def tour_geojson(tour: Tour) -> Iterator[bytes]:
    """The tour as a GeoJSON FeatureCollection in parts: a Feature per route in order (its
    line, its JSON as properties), then the tour's JSON. Joined, the parts are the document."""
    routes = routes_of(tour)
    data = tour_data(tour, routes)
    items = iter(data.pop("sequences"))
    yield b'{"type":"FeatureCollection","id":' + json_bytes(data["unique_id"]) + b',"features":['
    first = True
    for group in _groups(routes):
        lines = dict(
            Sequence.objects.filter(pk__in=[route["id"] for route in group]).values_list(
                "id", "geometry"
            )
        )
        for route in group:
            yield (b"" if first else b",") + json_bytes(
                line_feature(lines.get(route["id"]), next(items))
            )
            first = False
    end = b'],"properties":' + json_bytes(data)
    if data["bbox"] is not None:
        end += b',"bbox":' + json_bytes(data["bbox"])
    yield end + b"}"


def geojson_response(tour: Tour) -> StreamingHttpResponse:
    """The tour's GeoJSON, streamed."""
    response = StreamingHttpResponse(tour_geojson(tour), content_type=GEOJSON)
    response["Vary"] = "Accept"
    return response
