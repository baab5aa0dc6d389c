"""What the pages' maps are told: where the map library, the tiles and the base map are.

The pages carry it in a ``<script type="application/json">`` block (never executed), read by
``static/mtp/site.js``; nothing about a map is written inline, so the pages need no
'unsafe-inline' in a Content Security Policy.
"""

from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.db.models import Max, Min
from django.templatetags.static import static
from django.urls import reverse

from mtp.sequences.models import Sequence

# The website's own registered application: tile requests name it (the API's client_id rule).
WEB_CLIENT_ID = "mtp-web"


def tile_url(request) -> str:
    """The vector tile URL template, absolute, with the website's client_id."""
    path = unquote(reverse("tiles:tile", kwargs={"z": "{z}", "x": "{x}", "y": "{y}"}))
    # Not build_absolute_uri(): it would percent-encode the braces.
    return f"{request.scheme}://{request.get_host()}{path}?client_id={WEB_CLIENT_ID}"


def map_config(request, **extra: Any) -> dict[str, Any]:
    """The settings every map shares, plus the page's own ``extra``."""
    return {
        "maps": static("mtp/maps.js"),
        "maplibre": static("vendor/maplibre-gl/maplibre-gl.mjs"),
        "maplibreWorker": static("vendor/maplibre-gl/maplibre-gl-worker.mjs"),
        "basemap": {
            "tiles": settings.MTP_BASEMAP_TILE_URL,
            "attribution": settings.MTP_BASEMAP_ATTRIBUTION,
            "maxzoom": settings.MTP_BASEMAP_MAX_ZOOM,
        },
        "tiles": tile_url(request),
        **extra,
    }


def published_extent() -> list[float] | None:
    """[west, south, east, north] around every published route, or None when there is none."""
    published = Sequence.objects.filter(status=Sequence.Status.PUBLISHED, bbox_west__isnull=False)
    box = published.aggregate(
        west=Min("bbox_west"),
        south=Min("bbox_south"),
        east=Max("bbox_east"),
        north=Max("bbox_north"),
    )
    if box["west"] is None:
        return None
    return [box["west"], box["south"], box["east"], box["north"]]
