"""A tour as GPX 1.1 (a track per route, in the tour's order) and as GeoJSON (a Feature per
route), streamed: a tour may hold 500 routes of thousands of photos each, so the document is
written a route at a time from rows read a few routes at a time, and its size never sits in
memory whole."""

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.db.models import FloatField, Func
from django.http import StreamingHttpResponse

from mtp.lib.http import GEOJSON, GPX, json_bytes
from mtp.sequences.formats import line_feature
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
    yield _gpx_head(name, description, link)
    for number, (route_name, route_link, points) in enumerate(routes, start=1):
        yield _gpx_track(number, route_name, route_link, points)
    yield "</gpx>\n"


def _gpx_head(name: str, description: str, link: str) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="Map the Paths" xmlns="http://www.topografix.com/GPX/1/1">',
        "<metadata>",
        f"<name>{escape(name)}</name>",
    ]
    if description:
        lines.append(f"<desc>{escape(description)}</desc>")
    lines += [f"<link href={quoteattr(link)}/>", "</metadata>"]
    return "\n".join(lines) + "\n"


def _gpx_track(number: int, name: str, link: str, points: Iterable[tuple]) -> str:
    lines = [
        "<trk>",
        f"<name>{escape(name)}</name>",
        f"<link href={quoteattr(link)}/>",
        f"<number>{number}</number>",
        "<trkseg>",
    ]
    lines += [_gpx_point(*point) for point in points]
    lines += ["</trkseg>", "</trk>"]
    return "\n".join(lines) + "\n"


def _gpx_point(lon: float, lat: float, captured_at: datetime | None, altitude: float | None) -> str:
    children = ""
    if altitude is not None:
        children += f"<ele>{altitude:.2f}</ele>"
    if captured_at is not None:
        children += f"<time>{_time(captured_at)}</time>"
    return f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}">{children}</trkpt>'


def _time(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


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
