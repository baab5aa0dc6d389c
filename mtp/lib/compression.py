"""Replies in fewer bytes: pages, JSON, GeoJSON, GPX and vector tiles are compressed with
brotli or gzip, as the client accepts (brotli when it may: a fifth smaller than gzip on a
sequence's page).

Photos are JPEGs already, and static files are compressed ahead by WhiteNoise (gzip only:
``StaticFilesStorage``), which answers them before this middleware sees them; a reply that
says its own ``Content-Encoding`` is left as it is, and so is a short one (under 200 bytes),
which would grow. Streamed replies (a large tour's GPX) are compressed chunk by chunk, in the
same flat memory.

Pages holding a secret (a form's CSRF token, masked afresh on every reply) are compressed
too, with the defence against BREACH that Django's gzip has: up to 100 random bytes in each
reply, so its length says nothing certain about its content. gzip carries them in its header
(Django's ``compress_string``); brotli in a metadata block, which every decoder skips
(RFC 7932, section 9.2).
"""

import re
import secrets
from collections.abc import Iterable, Iterator
from typing import Any

import brotli
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_vary_headers
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

# What is worth compressing: text, and the structured data this server writes.
COMPRESSIBLE = re.compile(
    r"^(text/|image/svg\+xml|application/(json|geo\+json|gpx\+xml|xml|javascript|"
    r"vnd\.mapbox-vector-tile|x-protobuf|problem\+json|activity\+json))",
    re.I,
)
# "br" among the accepted encodings, unless with q=0.
ACCEPTS_BROTLI = re.compile(r"(^|,)\s*br\s*(,|$|;\s*q\s*=\s*(?!0(\.0*)?\s*(,|$)))", re.I)
MIN_BYTES = 200
# Quality 5: most of brotli's gain at about gzip's speed (11 is for files compressed once).
BROTLI_QUALITY = 5
MAX_RANDOM_BYTES = 100


def random_metadata_block() -> bytes:
    """A brotli metadata block of 1 to 100 random bytes (none, at times): placed where the
    stream is at a byte boundary (after a flush), the decoder skips it. Its header, bits from
    the lowest: ISLAST 0, MNIBBLES 3 (metadata), a reserved 0, MSKIPBYTES 1, then the length
    less one in 8 bits and zero bits to the byte's end."""
    length = secrets.randbelow(MAX_RANDOM_BYTES + 1)
    if length == 0:
        return b""
    header = bytes([0b0001_0110 | ((length - 1) & 0b11) << 6, (length - 1) >> 2])
    return header + secrets.token_bytes(length)


def compress_brotli(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """``chunks`` as one brotli stream, each chunk's output given as soon as it is made, with
    random bytes of random length before its end."""
    compressor = brotli.Compressor(quality=BROTLI_QUALITY)
    for chunk in chunks:
        out = compressor.process(chunk) + compressor.flush()
        if out:
            yield out
    yield compressor.flush() + random_metadata_block() + compressor.finish()


class CompressionMiddleware(GZipMiddleware):
    """Brotli or gzip for compressible replies, by the client's ``Accept-Encoding``."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        content_type = response.get("Content-Type", "")
        if not COMPRESSIBLE.match(content_type) or response.has_header("Content-Encoding"):
            return response
        accepted = request.META.get("HTTP_ACCEPT_ENCODING", "")
        if isinstance(response, StreamingHttpResponse):
            if not ACCEPTS_BROTLI.search(accepted) or response.is_async:
                return super().process_response(request, response)
            patch_vary_headers(response, ("Accept-Encoding",))
            response.streaming_content = compress_brotli(response.streaming_content)  # type: ignore[arg-type]  # not async: checked above
            del response.headers["Content-Length"]
        elif isinstance(response, HttpResponse):
            if not ACCEPTS_BROTLI.search(accepted):
                return super().process_response(request, response)
            if len(response.content) < MIN_BYTES:
                return response
            patch_vary_headers(response, ("Accept-Encoding",))
            compressed = b"".join(compress_brotli([response.content]))
            if len(compressed) >= len(response.content):
                return response
            response.content = compressed
            response.headers["Content-Length"] = str(len(compressed))
        else:
            return response
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "br"
        return response


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's storage of static files with gzip copies only: brotli copies at the quality
    WhiteNoise uses (11) took a minute of CPU at each first start of an instance, for files
    (the map library, the upload widget) that gzip already makes a quarter of their size."""

    def create_compressor(self, **kwargs: Any) -> Compressor:
        return super().create_compressor(**{**kwargs, "use_brotli": False})
