"""Replies are compressed as the client accepts: brotli, else gzip, else not at all; photos
never; streamed replies chunk by chunk; each compressed reply's length varies at random."""

import gzip
import xml.etree.ElementTree as ET

import brotli
import pytest
from django.test import Client

from mtp.lib.compression import compress_brotli, random_metadata_block
from mtp.tours.models import Tour, set_tour_sequences
from testing import builders

pytestmark = pytest.mark.django_db

BROWSER = "gzip, deflate, br, zstd"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def sequence(owner):
    return builders.make_sequence(owner, name="Compressed lakeside")


def test_a_page_goes_in_brotli_to_a_browser_and_reads_the_same(client: Client, sequence):
    url = f"/sequences/{sequence.unique_id}/"
    plain = client.get(url)
    packed = client.get(url, HTTP_ACCEPT_ENCODING=BROWSER)
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "br"
    assert "Accept-Encoding" in packed["Vary"]
    page = brotli.decompress(packed.content)
    assert b"Compressed lakeside" in page
    assert len(packed.content) < len(plain.content) / 2
    assert int(packed["Content-Length"]) == len(packed.content)


@pytest.mark.parametrize("accepted", ["gzip", "gzip, br;q=0", "deflate, gzip;q=1.0, br;q=0.0"])
def test_gzip_when_the_client_takes_no_brotli(client: Client, sequence, accepted):
    packed = client.get(f"/sequences/{sequence.unique_id}/", HTTP_ACCEPT_ENCODING=accepted)
    assert packed["Content-Encoding"] == "gzip"
    assert b"Compressed lakeside" in gzip.decompress(packed.content)


def test_api_json_and_geojson_are_compressed(client: Client, sequence):
    token = builders.issue_token(sequence.owner, builders.uploader_app(sequence.owner))
    for accept in ("application/json", "application/geo+json"):
        response = client.get(
            f"/api/v1/sequence/{sequence.unique_id}",
            HTTP_ACCEPT=accept,
            HTTP_ACCEPT_ENCODING=BROWSER,
            **builders.bearer(token),
        )
        assert response.status_code == 200, response.content
        assert response["Content-Encoding"] == "br"
        assert b"Compressed lakeside" in brotli.decompress(response.content)


def test_a_tours_streamed_gpx_is_compressed_as_it_streams_and_stays_well_formed(
    client: Client, owner, sequence
):
    tour = Tour.objects.create(owner=owner, name="Shore tour", status="published")
    set_tour_sequences(tour, [sequence.pk])
    token = builders.issue_token(owner, builders.uploader_app(owner))
    response = client.get(
        f"/api/v1/tours/{tour.unique_id}",
        HTTP_ACCEPT="application/gpx+xml",
        HTTP_ACCEPT_ENCODING=BROWSER,
        **builders.bearer(token),
    )
    assert response.status_code == 200
    assert response.streaming and response["Content-Encoding"] == "br"
    assert "Content-Length" not in response
    document = brotli.decompress(body(response))
    assert ET.fromstring(document).tag.endswith("gpx")  # noqa: S314 - the server.s own


def test_a_photo_is_never_compressed(client: Client, sequence):
    key = sequence.images.order_by("position").values_list("key", flat=True)[0]
    response = client.get(f"/api/v1/images/{key}/thumbnail?size=256", HTTP_ACCEPT_ENCODING=BROWSER)
    assert "Content-Encoding" not in response


def test_the_random_bytes_vary_the_length_and_every_stream_still_decodes():
    text = b"<form><input name=csrfmiddlewaretoken value=abc></form>" * 40
    lengths = set()
    for _ in range(60):
        packed = b"".join(compress_brotli([text[:500], text[500:]]))
        assert brotli.decompress(packed) == text
        lengths.add(len(packed))
    assert len(lengths) > 10
    blocks = {len(random_metadata_block()) for _ in range(300)}
    assert 0 in blocks and max(blocks) <= 102 and len(blocks) > 30
