"""A stand-in for the Mapillary Graph API v4: a real HTTP server on 127.0.0.1.

It serves ``/me``, ``/image_ids``, ``/images`` and ``/<id>`` with ``fields`` filtering, from
the recorded real responses in ``recorded/`` plus generated sequences of any length, and
injects faults per request: latency, 429 with ``Retry-After``, error code 4, 500, timeouts,
truncated JSON, broken connections and an invalid token.

Photos, as Mapillary's CDN serves them: every ``thumb_*_url`` it hands out is signed, with an
expiry ``oe=`` (hexadecimal Unix time) ``link_ttl`` seconds ahead; the link answers real JPEG
bytes (2:1 for panoramas, ``photos.py``) until then, and 403 after, or when its signature is
wrong. Image reads also accept the application token ``APPLICATION_TOKEN``
(``MLY|<app id>|<secret>``), which ``/me`` refuses, as Mapillary does. ``photos_served`` and
``refused`` count what it served and refused.

Tests, benchmarks and ``python -m testing.fake_mapillary`` all run the same server.
"""

import hashlib
import hmac
import json
import math
import socket
import threading
import time
import zlib
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from testing.fake_mapillary.photos import jpeg

RECORDED = Path(__file__).resolve().parent / "recorded"
RECORDED_SEQUENCE = "7nfcwfvjdtphz7yj6zat6a"
RETRY_AFTER_SECONDS = 1
# Mapillary's own error bodies, as recorded.
INVALID_TOKEN_BODY = json.loads((RECORDED / "internal_server_error.json").read_text())
LIMIT_REACHED_BODY = json.loads((RECORDED / "application_request_limit_reached.json").read_text())
SERVER_ERROR_BODY = {
    "error": {
        "message": "An unknown error has occurred.",
        "type": "OAuthException",
        "code": 1,
        "fbtrace_id": "AFakeTraceForTests",
    }
}
# An instance's application token (client token), made up: good for image reads, not /me.
APPLICATION_TOKEN = "MLY|9001|fake-client-secret-0123"  # noqa: S105
# How long signed photo links last by default, in seconds (Mapillary's last days).
LINK_TTL_SECONDS = 3 * 86_400
THUMB_SIZES = ("256", "1024", "2048", "original")
# What Graph API answers a client token on /me (a user's token is needed there).
APPLICATION_ON_ME_BODY = {
    "error": {
        "message": (
            "An active access token must be used to query information about the current user."
        ),
        "type": "OAuthException",
        "code": 2500,
        "fbtrace_id": "AFakeTraceForTests",
    }
}


@dataclass(frozen=True)
class Persona:
    """A Mapillary user and the token that acts for them."""

    id: str
    username: str
    token: str

    def as_creator(self) -> dict[str, str]:
        return {"id": self.id, "username": self.username}


# The recorded user, owner of the recorded sequence, and a stranger. Made-up tokens.
OWNER = Persona(
    id="104214208486349",
    username="vorpalblade",
    token="MLY|4242|owner-token-0123",  # noqa: S106
)
STRANGER = Persona(
    id="107000000000042",
    username="someone_else",
    token="MLY|4242|stranger-token-77",  # noqa: S106
)


FAULTS = (
    "slow",  # the real reply, ``delay`` seconds late
    "rate_limit",  # HTTP 429, code 4, with Retry-After
    "app_limit",  # HTTP 400, code 4, is_transient (the recorded body)
    "server_error",  # HTTP 500
    "timeout",  # answer only after the client has given up
    "truncated",  # a 200 whose JSON is cut in half
    "disconnect",  # close the connection without an answer
    "invalid_token",  # HTTP 401, code 190 (the recorded body)
    "not_found",  # HTTP 404
)


@dataclass
class Fault:
    """Answer matching requests with ``kind`` instead of the real reply.

    ``path`` is a path prefix (``/images``, ``/image_ids``, ``/me``, ``/`` for all);
    the first ``after`` matching requests pass untouched, then ``times`` of them fail
    (``None``: all of them).
    """

    kind: str
    path: str = "/"
    times: int | None = 1
    after: int = 0
    retry_after: int = RETRY_AFTER_SECONDS
    delay: float = 0.0
    seen: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULTS:
            raise ValueError(f"unknown fault {self.kind!r}; choose from {', '.join(FAULTS)}")

    def take(self, path: str) -> bool:
        """Whether this request gets the fault (called under the server's lock)."""
        if not path.startswith(self.path):
            return False
        self.seen += 1
        if self.seen <= self.after or (self.times is not None and self.fired >= self.times):
            return False
        self.fired += 1
        return True


@dataclass
class SequenceSource:
    """A Mapillary sequence the stand-in serves: its image ids and each image's details."""

    key: str
    owner: Persona
    # Images left out of /image_ids and not served; images listed but whose details are not
    # served (deleted since); and per-image field overrides (None removes the field).
    hidden: set[str] = field(default_factory=set)
    withheld: set[str] = field(default_factory=set)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def all_ids(self) -> list[str]:
        raise NotImplementedError

    def base_image(self, image_id: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def image_ids(self) -> list[str]:
        return [i for i in self.all_ids() if i not in self.hidden]

    def image(self, image_id: str) -> dict[str, Any] | None:
        if image_id in self.hidden or image_id in self.withheld:
            return None
        image = self.base_image(image_id)
        if image is None:
            return None
        image = {**image, "creator": self.owner.as_creator(), "sequence": self.key}
        for name, value in self.overrides.get(image_id, {}).items():
            if value is None:
                image.pop(name, None)
            else:
                image[name] = value
        return image


class RecordedSequence(SequenceSource):
    """The recorded 8-image sequence; ``creator`` and thumbnail URLs are filled in."""

    def __init__(self, key: str, owner: Persona, base_url: str) -> None:
        super().__init__(key=key, owner=owner)
        listing = json.loads((RECORDED / "image_ids" / f"{key}.json").read_text())
        self._ids = [item["id"] for item in listing["data"]]
        self._images = {}
        for image_id in self._ids:
            image = json.loads((RECORDED / f"{image_id}.json").read_text())
            image.pop("comment", None)
            for size in ("256", "1024", "2048", "original"):
                image[f"thumb_{size}_url"] = f"{base_url}/thumbs/{image_id}/{size}.jpg"
            self._images[image_id] = image

    def all_ids(self) -> list[str]:
        return list(self._ids)

    def base_image(self, image_id: str) -> dict[str, Any] | None:
        return self._images.get(image_id)


class GeneratedSequence(SequenceSource):
    """A sequence of ``count`` images made up on demand: a walk from ``start``, one image
    every ``step_m`` metres and 2 seconds. Ids are numeric strings unique to the key."""

    def __init__(
        self,
        key: str,
        owner: Persona,
        base_url: str,
        count: int,
        *,
        start: tuple[float, float] = (-3.7038, 40.4168),
        step_m: float = 5.0,
        pano: bool = False,
        started_at_ms: int = 1_600_000_000_000,
    ) -> None:
        super().__init__(key=key, owner=owner)
        self.count = count
        self.start = start
        self.step_m = step_m
        self.pano = pano
        self.started_at_ms = started_at_ms
        self.base_url = base_url
        self.prefix = self.prefix_for(key)

    @staticmethod
    def prefix_for(key: str) -> str:
        return f"9{zlib.crc32(key.encode()) % 10**8:08d}"

    def image_id(self, index: int) -> str:
        return f"{self.prefix}{index:07d}"

    def all_ids(self) -> list[str]:
        return [self.image_id(index) for index in range(self.count)]

    def index_of(self, image_id: str) -> int | None:
        if not image_id.startswith(self.prefix) or len(image_id) != len(self.prefix) + 7:
            return None
        index = int(image_id[len(self.prefix) :])
        return index if index < self.count else None

    def base_image(self, image_id: str) -> dict[str, Any] | None:
        index = self.index_of(image_id)
        if index is None:
            return None
        lon0, lat0 = self.start
        # About step_m metres per image, heading north-east with a gentle wiggle.
        degrees_per_m = 1 / 111_320
        lat = lat0 + index * self.step_m * degrees_per_m * 0.7
        lon = lon0 + index * self.step_m * degrees_per_m * 0.7 / math.cos(math.radians(lat0))
        lon += math.sin(index / 25) * 2e-5
        heading = (45 + 20 * math.cos(index / 25)) % 360
        return {
            "id": image_id,
            "geometry": {"type": "Point", "coordinates": [round(lon, 9), round(lat, 9)]},
            "computed_geometry": {
                "type": "Point",
                "coordinates": [round(lon + 1e-6, 9), round(lat - 1e-6, 9)],
            },
            "captured_at": self.started_at_ms + index * 2000,
            "compass_angle": round(heading, 2),
            "computed_compass_angle": round((heading + 0.5) % 360, 4),
            "camera_type": "spherical" if self.pano else "perspective",
            "is_pano": self.pano,
            "make": "GoPro",
            "model": "MAX" if self.pano else "HERO9 Black",
            "width": 5760 if self.pano else 4000,
            "height": 2880 if self.pano else 3000,
            "altitude": 650.0 + (index % 40) * 0.25,
            # Large numbers arrive as floats, as Mapillary sends them.
            "merge_cc": 4.546427159383e18,
            "quality_score": 0.8,
            **{
                f"thumb_{size}_url": f"{self.base_url}/thumbs/{image_id}/{size}.jpg"
                for size in ("256", "1024", "2048", "original")
            },
        }


class FakeMapillary:
    """The stand-in server. ``start()`` it, point ``MAPILLARY_API_URL`` at ``url``, ``stop()`` it.

    Tokens ``OWNER.token`` and ``STRANGER.token`` are known; the recorded sequence
    ``RECORDED_SEQUENCE`` belongs to ``OWNER``. ``add_sequence`` makes more.
    """

    def __init__(
        self, port: int = 0, *, latency: float = 0.0, link_ttl: float = LINK_TTL_SECONDS
    ) -> None:
        self.latency = latency
        # Seconds a signed photo link lasts; tests shorten it to see links expire.
        self.link_ttl = link_ttl
        self.applications = {APPLICATION_TOKEN}
        self._link_secret = hashlib.sha256(str(id(self)).encode()).digest()
        # Photos served, by size; requests refused, by reason ("expired", "bad_signature",
        # "application_on_me", "invalid_token").
        self.photos_served: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.faults: list[Fault] = []
        self.users: dict[str, Persona] = {}
        # When set, any token is someone's (a new user per token): for runs that send made-up
        # tokens and must get past Mapillary's check, such as a schema fuzzer's.
        self.any_token = False
        self.sequences: dict[str, SequenceSource] = {}
        self._generated_prefixes: dict[str, GeneratedSequence] = {}
        # What was asked, for tests: (method, path, query, Authorization header).
        self.requests: deque[tuple[str, str, dict[str, list[str]], str]] = deque(maxlen=10_000)
        self.counts: Counter[str] = Counter()
        # Requests being answered right now, and the most at once so far.
        self.in_flight = 0
        self.peak_in_flight = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.add_user(OWNER)
        self.add_user(STRANGER)
        self.sequences[RECORDED_SEQUENCE] = RecordedSequence(RECORDED_SEQUENCE, OWNER, self.url)

    # -- set-up ---------------------------------------------------------------------------

    def add_user(self, persona: Persona) -> Persona:
        self.users[persona.token] = persona
        return persona

    def add_sequence(
        self, key: str, count: int, *, owner: Persona = OWNER, **options: Any
    ) -> GeneratedSequence:
        """Serve a generated sequence of ``count`` images under ``key``."""
        sequence = GeneratedSequence(key, owner, self.url, count, **options)
        if sequence.prefix in self._generated_prefixes:
            raise ValueError(f"sequence key {key!r} collides with another generated sequence")
        self.sequences[key] = sequence
        self._generated_prefixes[sequence.prefix] = sequence
        return sequence

    def inject(self, kind: str, path: str = "/", **options: Any) -> Fault:
        """Answer the next matching request(s) with a fault (see ``Fault``)."""
        fault = Fault(kind=kind, path=path, **options)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def link_signature(self, image_id: str, size: str, expires: int) -> str:
        message = f"{image_id}/{size}/{expires:x}".encode()
        return hmac.new(self._link_secret, message, hashlib.sha256).hexdigest()[:24]

    def signed_thumb_url(self, image_id: str, size: str, now: float | None = None) -> str:
        """A CDN link to the photo, valid ``link_ttl`` seconds from now."""
        expires = int((time.time() if now is None else now) + self.link_ttl)
        signature = self.link_signature(image_id, size, expires)
        return f"{self.url}/thumbs/{image_id}/{size}.jpg?oe={expires:x}&oh={signature}"

    def sign_thumbs(self, image: dict[str, Any]) -> dict[str, Any]:
        """The image with each of its thumbnail links signed afresh."""
        now = time.time()
        for size in THUMB_SIZES:
            if image.get(f"thumb_{size}_url"):
                image[f"thumb_{size}_url"] = self.signed_thumb_url(image["id"], size, now)
        return image

    def count(self, path: str) -> int:
        """How many requests reached ``path`` (``/images``, ``/image_ids``, ``/me``, ``/<id>``,
        ``/thumbs``)."""
        with self.lock:
            return self.counts[path]

    # -- running --------------------------------------------------------------------------

    def start(self) -> "FakeMapillary":
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "FakeMapillary":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (``python -m testing.fake_mapillary``)."""
        try:
            self._server.serve_forever(poll_interval=0.2)
        finally:
            self._server.server_close()

    # -- lookups --------------------------------------------------------------------------

    def find_image(self, image_id: str) -> dict[str, Any] | None:
        generated = self._generated_prefixes.get(image_id[:9])
        if generated is not None:
            image = generated.image(image_id)
            return self.sign_thumbs(image) if image is not None else None
        for sequence in self.sequences.values():
            if not isinstance(sequence, GeneratedSequence):
                image = sequence.image(image_id)
                if image is not None:
                    return self.sign_thumbs(image)
        return None

    def find_object(self, object_id: str) -> dict[str, Any] | None:
        """An image, a user, or another recorded entity by id."""
        image = self.find_image(object_id)
        if image is not None:
            return image
        for persona in self.users.values():
            if persona.id == object_id:
                return persona.as_creator()
        recorded = RECORDED / f"{object_id}.json"
        if object_id.isdigit() and recorded.is_file():
            entity = json.loads(recorded.read_text())
            entity.pop("comment", None)
            return entity
        return None


def select(entity: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """The entity reduced to ``fields`` (``id`` always); only ``id`` when none are asked."""
    wanted = {"id", *(fields or [])}
    return {name: value for name, value in entity.items() if name in wanted}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeMapillary/4"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and
        # the client's delayed ACK add about 40 ms to every reply.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # Quiet: tests and benchmarks make thousands of requests.
        pass

    @property
    def fake(self) -> FakeMapillary:
        return self.server.fake  # type: ignore[attr-defined]

    def do_GET(self) -> None:  # noqa: N802
        fake = self.fake
        with fake.lock:
            fake.in_flight += 1
            fake.peak_in_flight = max(fake.peak_in_flight, fake.in_flight)
        try:
            self._get()
        finally:
            with fake.lock:
                fake.in_flight -= 1

    def _get(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        query = parse_qs(parts.query)
        authorization = self.headers.get("Authorization", "")
        fake = self.fake
        if path.startswith("/thumbs/"):
            # The CDN: no token, no faults (stop the stand-in to take it away).
            with fake.lock:
                fake.requests.append(("GET", path, query, ""))
                fake.counts["/thumbs"] += 1
            if fake.latency:
                time.sleep(fake.latency)
            self._photo(path, query)
            return
        route = path if path in ("/me", "/image_ids", "/images") else "/<id>"
        with fake.lock:
            fake.requests.append(("GET", path, query, authorization))
            fake.counts[route] += 1
            fault = next((f for f in fake.faults if f.take(path)), None)
        if fake.latency:
            time.sleep(fake.latency)
        if fault is not None and self._fault(fault):
            return
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        user = fake.users.get(token) if scheme == "OAuth" else None
        application = scheme == "OAuth" and token in fake.applications
        if application and path == "/me":
            with fake.lock:
                fake.refused["application_on_me"] += 1
            self._json(400, APPLICATION_ON_ME_BODY)
            return
        if user is None and not application and scheme == "OAuth" and token and fake.any_token:
            number = int.from_bytes(hashlib.sha256(token.encode()).digest()[:6], "big")
            user = Persona(id=str(10**14 + number), username=f"user{number}", token=token)
        if user is None and not application:
            with fake.lock:
                fake.refused["invalid_token"] += 1
            self._json(401, INVALID_TOKEN_BODY)
            return
        fields = None
        if query.get("fields"):
            fields = [name.strip() for name in query["fields"][-1].split(",") if name.strip()]
        if path == "/me" and user is not None:
            self._json(200, select(user.as_creator(), fields))
        elif path == "/image_ids":
            key = (query.get("sequence_id") or [""])[-1]
            sequence = fake.sequences.get(key)
            ids = sequence.image_ids() if sequence else []
            self._json(200, {"data": [{"id": image_id} for image_id in ids]})
        elif path == "/images":
            ids = [i for i in (query.get("image_ids") or [""])[-1].split(",") if i]
            images = (fake.find_image(image_id) for image_id in ids)
            self._json(200, {"data": [select(image, fields) for image in images if image]})
        else:
            entity = fake.find_object(path.lstrip("/"))
            if entity is None:
                self._json(
                    400,
                    {
                        "error": {
                            "message": "Unsupported get request. Object does not exist.",
                            "type": "GraphMethodException",
                            "code": 100,
                            "fbtrace_id": "AFakeTraceForTests",
                        }
                    },
                )
            else:
                self._json(200, select(entity, fields))

    def _photo(self, path: str, query: dict[str, list[str]]) -> None:
        """A photo at a signed link: its JPEG, or 403 once expired or when the signature is off."""
        fake = self.fake
        parts = path.split("/")  # "", "thumbs", image id, "<size>.jpg"
        image_id = parts[2] if len(parts) == 4 else ""
        size = parts[3].removesuffix(".jpg") if len(parts) == 4 else ""
        expires_text = (query.get("oe") or [""])[-1]
        signature = (query.get("oh") or [""])[-1]
        try:
            expires = int(expires_text, 16)
        except ValueError:
            expires = -1
        reason = None
        if size not in THUMB_SIZES or expires < 0:
            reason = "bad_signature"
        elif not hmac.compare_digest(fake.link_signature(image_id, size, expires), signature):
            reason = "bad_signature"
        elif expires <= time.time():
            reason = "expired"
        image = fake.find_image(image_id) if reason is None else None
        if reason is None and image is None:
            reason = "missing"
        if reason is not None:
            with fake.lock:
                fake.refused[reason] += 1
            message = b"URL signature expired" if reason == "expired" else b"Bad URL hash"
            self._send(403 if reason != "missing" else 404, message, content_type="text/plain")
            return
        assert image is not None  # refused above when missing
        with fake.lock:
            fake.photos_served[size] += 1
        body = jpeg(image_id, size, bool(image.get("is_pano")))
        # As the CDN: any page may read the photo's pixels (a panorama viewer's WebGL texture).
        cors = {"Access-Control-Allow-Origin": "*"}
        self._send(200, body, content_type="image/jpeg", headers=cors)

    def _fault(self, fault: Fault) -> bool:
        """Answer with ``fault``; True when the request is fully handled."""
        if fault.kind == "timeout":
            # Hold the request until the client's read timeout has passed.
            time.sleep(fault.delay or 5.0)
            self.close_connection = True
            return True
        if fault.delay:
            time.sleep(fault.delay)
        if fault.kind == "slow":
            return False
        if fault.kind == "rate_limit":
            body = {"error": {**LIMIT_REACHED_BODY["error"]}}
            self._json(429, body, headers={"Retry-After": str(fault.retry_after)})
        elif fault.kind == "app_limit":
            self._json(400, LIMIT_REACHED_BODY)
        elif fault.kind == "server_error":
            self._json(500, SERVER_ERROR_BODY)
        elif fault.kind == "invalid_token":
            self._json(401, INVALID_TOKEN_BODY)
        elif fault.kind == "not_found":
            self._json(404, {"error": {"message": "Not found", "code": 803}})
        elif fault.kind == "disconnect":
            self.close_connection = True
        elif fault.kind == "truncated":
            whole = json.dumps({"data": [{"id": "1", "geometry": {"type": "Point"}}] * 20}).encode()
            self._send(200, whole[: len(whole) // 2])
        return True

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(body, separators=(",", ":")).encode(), headers=headers)

    def _send(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str = "application/json; charset=UTF-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up first (a timeout test): nothing to do.
            self.close_connection = True
