"""A sequence's route as GeoJSON (RFC 7946) and GPX 1.1, for the API and the pages; the GPX
writer tours use too."""

import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

from django.contrib.gis.geos import LineString
from django.http import HttpResponse

from mtp.lib.http import GPX
from mtp.sequences.links import absolute
from mtp.sequences.models import Image, Sequence

GPX_NAMESPACE = "http://www.topografix.com/GPX/1/1"


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
    gpx = GpxWriter()
    gpx.start("metadata")
    gpx.element("name", name)
    gpx.element("link", href=link)
    gpx.end("metadata")
    gpx.start("trk")
    gpx.element("name", name)
    if description:
        gpx.element("desc", description)
    gpx.track_segment(points)
    gpx.end("trk")
    return gpx.close()


# What XML 1.0 cannot carry (its Char production): C0 controls but tab, line feed and carriage
# return; surrogates; U+FFFE and U+FFFF.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class _XmlGenerator(XMLGenerator):
    """The standard library's XML writer, which escapes markup, dropping what XML cannot
    carry: rows written before text was checked (mtp.lib.text) may hold control characters."""

    def characters(self, content: str) -> None:
        super().characters(NOT_XML.sub("", content))

    def startElement(self, name: str, attrs) -> None:  # noqa: N802 - the SAX name
        attributes = {key: NOT_XML.sub("", value) for key, value in attrs.items()}
        super().startElement(name, AttributesImpl(attributes))


class GpxWriter:
    """A GPX 1.1 document, written element by element (the sequences' and the tours').

    Whatever the names and descriptions hold, the document is well-formed XML.
    """

    def __init__(self) -> None:
        self._out = io.StringIO()
        self._xml = _XmlGenerator(self._out, encoding="UTF-8", short_empty_elements=True)
        self._xml.startDocument()
        self.start("gpx", version="1.1", creator="Map the Paths", xmlns=GPX_NAMESPACE)

    def start(self, name: str, **attributes: str) -> None:
        """Open an element that holds others, on a line of its own."""
        self._xml.startElement(name, attributes)
        self._xml.ignorableWhitespace("\n")

    def end(self, name: str) -> None:
        self._xml.endElement(name)
        self._xml.ignorableWhitespace("\n")

    def element(self, name: str, text: str = "", **attributes: str) -> None:
        """An element with its text (or none), on a line of its own."""
        self._inline(name, text, attributes)
        self._xml.ignorableWhitespace("\n")

    def _inline(self, name: str, text: str, attributes: dict[str, str]) -> None:
        self._xml.startElement(name, attributes)
        if text:
            self._xml.characters(text)
        self._xml.endElement(name)

    def track_segment(self, points: Iterable[tuple]) -> None:
        """A ``trkseg``: a ``trkpt`` per (lon, lat, captured_at, altitude), in order."""
        self.start("trkseg")
        for lon, lat, captured_at, altitude in points:
            self._xml.startElement("trkpt", {"lat": f"{lat:.7f}", "lon": f"{lon:.7f}"})
            if altitude is not None:
                self._inline("ele", f"{altitude:.2f}", {})
            if captured_at is not None:
                self._inline("time", gpx_time(captured_at), {})
            self.end("trkpt")
        self.end("trkseg")

    def take(self) -> str:
        """The text written since the last ``take``, for a document sent in parts."""
        text = self._out.getvalue()
        self._out.seek(0)
        self._out.truncate(0)
        return text

    def close(self) -> str:
        """End the document; its text (what is left of it after ``take``)."""
        self.end("gpx")
        self._xml.endDocument()
        return self.take()


def gpx_time(moment: datetime) -> str:
    """A GPX time: UTC, to the millisecond."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"
