"""A sequence's route as GeoJSON (RFC 7946) and GPX 1.1, for the API and the pages."""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from django.contrib.gis.geos import LineString
from django.http import HttpResponse

from mtp.lib.http import GPX
from mtp.sequences.links import absolute
from mtp.sequences.models import Image, Sequence


def geojson_geometry(line: LineString | None, bbox: list[float] | None) -> dict[str, Any] | None:
    """A route's geometry: its line, or the point of a sequence of one image (its whole box)."""
    if line is not None:
        return {"type": "LineString", "coordinates": [list(point) for point in line]}
    if bbox is not None:
        return {"type": "Point", "coordinates": bbox[:2]}
    return None


def feature(sequence: Sequence, data: dict[str, Any]) -> dict[str, Any]:
    """The sequence as a GeoJSON Feature whose properties are ``data`` (its ``to_dict()``)."""
    return line_feature(sequence.geometry, data)


def line_feature(line: LineString | None, data: dict[str, Any]) -> dict[str, Any]:
    """``feature`` from a sequence's line and its JSON, for rows read without models."""
    result: dict[str, Any] = {
        "type": "Feature",
        "id": data["unique_id"],
        "geometry": geojson_geometry(line, data["bbox"]),
        "properties": data,
    }
    if data["bbox"] is not None:
        result["bbox"] = data["bbox"]
    return result


def gpx_points(sequence: Sequence) -> Iterable[tuple]:
    """(lon, lat, captured_at, altitude) of each photo of the sequence, in order."""
    rows = Image.objects.filter(sequence=sequence).order_by("position", "id")
    return (
        (image.point.x, image.point.y, image.captured_at, image.altitude)
        for image in rows.only("point", "captured_at", "altitude").iterator(chunk_size=2000)
    )


def gpx_response(sequence: Sequence) -> HttpResponse:
    document = gpx_document(
        sequence.name,
        sequence.description,
        absolute(sequence.get_absolute_url()),
        gpx_points(sequence),
    )
    response = HttpResponse(document, content_type=f"{GPX}; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{sequence.unique_id}.gpx"'
    response["Vary"] = "Accept"
    return response


def gpx_document(name: str, description: str, link: str, points: Iterable[tuple]) -> str:
    """A GPX 1.1 track: one ``trkpt`` per (lon, lat, captured_at, altitude), in order."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="Map the Paths" xmlns="http://www.topografix.com/GPX/1/1">',
        "<metadata>",
        f"<name>{escape(name)}</name>",
        f"<link href={quoteattr(link)}/>",
        "</metadata>",
        "<trk>",
        f"<name>{escape(name)}</name>",
    ]
    if description:
        lines.append(f"<desc>{escape(description)}</desc>")
    lines.append("<trkseg>")
    for lon, lat, captured_at, altitude in points:
        children = ""
        if altitude is not None:
            children += f"<ele>{altitude:.2f}</ele>"
        if captured_at is not None:
            children += f"<time>{_gpx_time(captured_at)}</time>"
        lines.append(f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}">{children}</trkpt>')
    lines += ["</trkseg>", "</trk>", "</gpx>", ""]
    return "\n".join(lines)


def _gpx_time(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"
