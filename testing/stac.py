"""STAC clients for tests: pystac-client talking to the Django test client, and stac-validator
checking objects against the STAC schemas pystac ships.

pystac-client sends its requests with ``requests``; ``DjangoAdapter`` answers them with
``django.test.Client`` in the same process and transaction, so a test reads what it wrote
without a server. stac-validator would fetch the schemas from schemas.stacspec.org: the core
STAC 1.1.0 schemas and GeoJSON's that pystac ships are mapped in instead, so validation runs
offline. No installed package ships the extensions' schemas (view, perspective imagery), so the
objects are checked against the core schemas only.
"""

import importlib.resources
import warnings
from typing import Any
from urllib.parse import urlsplit

import requests
from django.test import Client as DjangoClient
from pystac_client import Client
from pystac_client.stac_api_io import StacApiIO
from requests.adapters import BaseAdapter

with warnings.catch_warnings():
    # stac_valid installs itself as stac_validator, and warns that this name is old.
    warnings.simplefilter("ignore", DeprecationWarning)
    from stac_validator.validate import StacValidate

STAC_VERSION = "1.1.0"


class DjangoAdapter(BaseAdapter):
    """A ``requests`` transport that asks the Django test client, whatever the host."""

    def __init__(self) -> None:
        super().__init__()
        self.client = DjangoClient()
        self.requests: list[tuple[str, str]] = []

    def send(  # type: ignore[override]  # the transport's options mean nothing here
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        target = f"{url.path}?{url.query}" if url.query else url.path
        method = (request.method or "GET").upper()
        self.requests.append((method, target))
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        answer = self.client.generic(
            method,
            target,
            data=body,
            content_type=str(request.headers.get("Content-Type", "application/json")),
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.content
        response.headers.update(dict(answer.items()))
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


def open_client(url: str) -> tuple[Client, DjangoAdapter]:
    """pystac-client opened on ``url`` of this server, and the adapter that saw its requests."""
    adapter = DjangoAdapter()
    stac_io = StacApiIO(max_retries=None)
    stac_io.session.mount("http://", adapter)
    stac_io.session.mount("https://", adapter)
    return Client.open(url, stac_io=stac_io), adapter


def _schema_map() -> dict[str, str]:
    schemas = importlib.resources.files("pystac.validation.jsonschemas")
    base = f"https://schemas.stacspec.org/v{STAC_VERSION}"
    found = {
        f"{base}/{name}-spec/json-schema/{name}.json": str(
            schemas / f"stac-spec/v{STAC_VERSION}/{name}.json"
        )
        for name in ("item", "catalog", "collection")
    }
    for name in ("bands", "basics", "common", "data-values", "datetime", "instrument"):
        found[f"{base}/item-spec/json-schema/{name}.json"] = str(
            schemas / f"stac-spec/v{STAC_VERSION}/{name}.json"
        )
    for name in ("licensing", "provider"):
        found[f"{base}/item-spec/json-schema/{name}.json"] = str(
            schemas / f"stac-spec/v{STAC_VERSION}/{name}.json"
        )
    for name in ("Feature", "Geometry"):
        found[f"https://geojson.org/schema/{name}.json"] = str(schemas / f"geojson/{name}.json")
    return found


def stac_errors(stac_object: dict[str, Any]) -> list[dict[str, Any]]:
    """stac-validator's complaints about a STAC object (core schemas): [] when it is valid."""
    validator = StacValidate(core=True, schema_map=_schema_map())
    if validator.validate_dict(stac_object):
        return []
    return validator.message
