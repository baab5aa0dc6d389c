"""Response formats chosen by the ``Accept`` header: JSON, GeoJSON and GPX.

JSON is the default (``mtp.lib.http`` writes it; the objects build their GeoJSON and GPX
themselves). A resource lists the formats it has; a request that accepts none of them
gets a 406 naming them.
"""

from collections.abc import Sequence

from django.http import HttpRequest

from mtp.api.errors import ApiError
from mtp.lib.http import GEOJSON, GPX, JSON

JSON_ONLY = (JSON,)
JSON_OR_GEOJSON = (JSON, GEOJSON)
ALL_FORMATS = (JSON, GEOJSON, GPX)


def _accepted_ranges(header: str) -> list[tuple[str, str, float]]:
    """(type, subtype, q) for each media range of an Accept header; malformed parts are skipped."""
    ranges = []
    for part in header.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if "/" not in media:
            continue
        main, _, sub = media.lower().partition("/")
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = max(0.0, min(1.0, float(value.strip())))
                except ValueError:
                    quality = 0.0
        ranges.append((main.strip(), sub.strip(), quality))
    return ranges


def _quality(media_type: str, ranges: list[tuple[str, str, float]]) -> float:
    """The q-value the most specific matching range gives ``media_type`` (0 when none matches)."""
    main, _, sub = media_type.partition("/")
    best_specificity, best_quality = -1, 0.0
    for range_main, range_sub, quality in ranges:
        if range_main == main and range_sub == sub:
            specificity = 2
        elif range_main == main and range_sub == "*":
            specificity = 1
        elif range_main == "*" and range_sub == "*":
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, best_quality = specificity, quality
    return best_quality


def negotiate(request: HttpRequest, available: Sequence[str]) -> str:
    """The format to answer in: the acceptable one with the highest q, the first on a tie."""
    header = request.headers.get("Accept", "").strip()
    if not header:
        return available[0]
    ranges = _accepted_ranges(header)
    chosen, chosen_quality = None, 0.0
    for media_type in available:
        quality = _quality(media_type, ranges)
        if quality > chosen_quality:
            chosen, chosen_quality = media_type, quality
    if chosen is None:
        raise ApiError(
            406,
            f"This resource is not available as {header[:200]}. "
            f"Ask for one of: {', '.join(available)}.",
            {"available": list(available)},
        )
    return chosen
