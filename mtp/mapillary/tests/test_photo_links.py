"""Photos are fetched from Mapillary's CDN only, wherever a link or a redirect points."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mtp.mapillary.client import fetch_photo, is_photo_link

PHOTO = b"\xff\xd8a photo\xff\xd9"


class _Handler(BaseHTTPRequestHandler):
    """/photo.jpg: the photo; /to?url=...: a redirect there."""

    def do_GET(self) -> None:  # noqa: N802
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        if self.path.startswith("/to?url="):
            self.send_response(302)
            self.send_header("Location", self.path.removeprefix("/to?url="))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(PHOTO)))
        self.end_headers()
        self.wfile.write(PHOTO)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass


@contextmanager
def _serve() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def cdn(settings) -> Iterator[str]:
    """A server standing in for Mapillary (and so for its CDN): its address."""
    with _serve() as server:
        settings.MAPILLARY_API_URL = url_of(server)
        yield url_of(server)


@pytest.fixture
def elsewhere() -> Iterator[ThreadingHTTPServer]:
    """Another host, which no photo link may reach."""
    with _serve() as server:
        yield server


def url_of(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_a_photo_on_the_cdn_is_fetched_through_its_redirects(cdn):
    assert fetch_photo(f"{cdn}/to?url=/photo.jpg", max_bytes=1000) == PHOTO


def test_a_redirect_off_the_cdn_is_not_followed(cdn, elsewhere):
    photo = f"{url_of(elsewhere)}/photo.jpg"
    assert fetch_photo(f"{cdn}/to?url={photo}", max_bytes=1000) is None
    assert elsewhere.requests == []


def test_a_link_off_the_cdn_is_not_fetched(cdn, elsewhere):
    assert fetch_photo(f"{url_of(elsewhere)}/photo.jpg", max_bytes=1000) is None
    assert elsewhere.requests == []


def test_redirects_end(cdn):
    url = "/photo.jpg"
    for _ in range(10):
        url = f"/to?url={url}"
    assert fetch_photo(f"{cdn}{url}", max_bytes=1000) is None


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://scontent-iad3-1.xx.fbcdn.net/m1/v/t6/photo.jpg", True),
        ("https://SCONTENT.XX.FBCDN.NET/photo.jpg", True),
        ("http://scontent.xx.fbcdn.net/photo.jpg", False),
        ("https://fbcdn.net.example.org/photo.jpg", False),
        ("https://evilfbcdn.net/photo.jpg", False),
        ("https://169.254.169.254/latest/meta-data/", False),
        ("https://graph.mapillary.com/photo.jpg", False),
    ],
)
def test_photo_links_are_mapillarys_cdn_only(settings, url, allowed):
    settings.MAPILLARY_API_URL = "https://graph.mapillary.com"
    assert is_photo_link(url) is allowed
