"""A tour as GPX 1.1: a track per route, in the tour's order."""

from collections.abc import Iterable
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

# (route name, route link, points); a point is (lon, lat, captured_at, altitude).
Route = tuple[str, str, Iterable[tuple]]


def tour_gpx(name: str, description: str, link: str, routes: Iterable[Route]) -> str:
    """The GPX document of a tour: its name and link, then one ``trk`` per route."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="Map the Paths" xmlns="http://www.topografix.com/GPX/1/1">',
        "<metadata>",
        f"<name>{escape(name)}</name>",
    ]
    if description:
        lines.append(f"<desc>{escape(description)}</desc>")
    lines += [f"<link href={quoteattr(link)}/>", "</metadata>"]
    for number, (route_name, route_link, points) in enumerate(routes, start=1):
        lines += [
            "<trk>",
            f"<name>{escape(route_name)}</name>",
            f"<link href={quoteattr(route_link)}/>",
            f"<number>{number}</number>",
            "<trkseg>",
        ]
        for lon, lat, captured_at, altitude in points:
            children = ""
            if altitude is not None:
                children += f"<ele>{altitude:.2f}</ele>"
            if captured_at is not None:
                children += f"<time>{_time(captured_at)}</time>"
            lines.append(f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}">{children}</trkpt>')
        lines += ["</trkseg>", "</trk>"]
    lines += ["</gpx>", ""]
    return "\n".join(lines)


def _time(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"
