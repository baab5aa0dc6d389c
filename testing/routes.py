"""Every URL pattern of the project, and how to fill in its parameters for a walk with the
owner's private things (the ``olivia`` fixture of mtp/tests/conftest.py)."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from mtp.sequences.models import Sequence

# <converter:name> in a path() route; (?P<name>...) in a regular expression.
ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?:[^()]|\([^()]*\))*\)")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its text (as Django prints it) and the view it calls."""

    pattern: str
    name: str | None
    callback: Callable

    @property
    def parameters(self) -> list[str]:
        names = [match["name"] for match in ROUTE_PARAMETER.finditer(self.pattern)]
        return names + [match["name"] for match in REGEX_GROUP.finditer(self.pattern)]

    def url(self, values: dict[str, Any]) -> str:
        """The path with each parameter replaced by ``values[name]``."""
        text = ROUTE_PARAMETER.sub(lambda match: str(values[match["name"]]), self.pattern)
        text = REGEX_GROUP.sub(lambda match: str(values[match["name"]]), text)
        # What is left of the regular expressions: anchors and escapes.
        text = text.replace("^", "").replace("$", "").replace("\\", "")
        return "/" + text


def routes() -> list[Route]:
    """Every URL pattern, with the prefixes of the includes it sits in."""

    def walk(patterns, prefix: str) -> Iterator[Route]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield Route(prefix + str(pattern.pattern), pattern.name, pattern.callback)

    return list(walk(get_resolver().url_patterns, ""))


# -- walking the routes as someone else: Olivia's things (the ``olivia`` fixture) -----------

URLENCODED = "application/x-www-form-urlencoded"
METHODS = ("get", "post", "put", "patch", "delete")
# A body that would be valid for most forms and API writes, so that a missing ownership check
# shows as a change rather than hiding behind a validation error.
FORM = {
    "name": "Taken over",
    "description": "Taken over",
    "transport_type": "Walk",
    "tag": "taken",
    "strava": "1",
    "action": "accept",
    "allow": "Authorize",
    "user_code": "",
    "token": "",
    "client_type": "public",
    "grant_types": "authorization-code",
    "redirect_uris": "https://taken.example.org/cb",
    "display_name": "Taken over",
    "email": "taken@example.org",
}


def parameter_values(olivia: dict) -> dict[str, list]:
    """For each route parameter, Olivia's values to try."""
    draft, importing, own_app = olivia["draft"], olivia["importing"], olivia["app"]
    return {
        "unique_id": [
            draft.unique_id,
            importing.unique_id,
            olivia["tour"].unique_id,
            olivia["guidebook"].unique_id,
            olivia["upload_set"].unique_id,
            olivia["transfer"].unique_id,
        ],
        "scene_id": [olivia["scene"].unique_id],
        "poi_id": [olivia["poi"].unique_id],
        "pk": [own_app.pk],
        "delivery_pk": [olivia["delivery"].pk],
        "username": [olivia["draft"].owner.username],
        "client_id": [own_app.client_id],
        "user_code": [olivia["device"].user_code],
        "z": ["0"],
        "x": ["0"],
        "y": ["0"],
        "rest": ["anything"],
        # A photo of her sequence being imported: in API v1 and as a STAC item.
        "key": [f"{importing.pk}-0"],
        "item_id": [f"{importing.pk}-0"],
        # Her sequences not published, as STAC collections; her name as a STAC user.
        "collection_id": [draft.unique_id, importing.unique_id],
        "user_id": [draft.owner.username],
        # A password reset link for Olivia, with a made-up token and with the form's own.
        "uidb64": [urlsafe_base64_encode(force_bytes(draft.owner.pk))],
        "token": ["made-up-token", "set-password"],
        # The admin's.
        "object_id": [draft.pk, draft.owner.pk, own_app.pk],
        "id": [draft.owner.pk],
        "app_label": ["sequences"],
        "content_type_id": [ContentType.objects.get_for_model(Sequence).pk],
        "url": ["anything"],
    }


def urls(route, values: dict[str, list]) -> list[str]:
    missing = [name for name in route.parameters if name not in values]
    assert not missing, f"{route.pattern}: say in parameter_values how to fill {missing}"
    filled: list[dict[str, Any]] = [{}]
    for name in route.parameters:
        filled = [{**done, name: value} for done in filled for value in values[name]]
    return [route.url(each) for each in filled]


def query(olivia: dict) -> dict[str, Any]:
    """Query parameters that ask for Olivia's things by name, id and state."""
    return {
        "id": [str(olivia["draft"].unique_id), str(olivia["importing"].unique_id)],
        "user": "olivia",
        "status": "draft",
        "q": "Olivia",
        "format": "geojson",
        "client_id": olivia["app"].client_id,
    }
