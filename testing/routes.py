"""Every URL pattern of the project, and how to fill in its parameters for a walk."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

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
