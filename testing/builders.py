"""What tests build their data with: personas, applications, tokens, PKCE pairs, sequences
in each state (published with photos, drafts, failed imports) and import jobs.

Fixtures in the conftests call these; a test that needs a second or a differently named thing
calls them itself. Each builder writes rows the way the code under test would leave them.
"""

import base64
import hashlib
import itertools
import math
import random
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.gis.geos import Point
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, set_token_value

from mtp.accounts.models import User
from mtp.developers.models import Application
from mtp.imports.jobs import request_import
from mtp.imports.models import ImportJob
from mtp.mapillary.schemas import MapillaryUser
from mtp.sequences.models import Image, Sequence, Tag, TransportType
from testing.fake_mapillary import OWNER

AccessToken = get_access_token_model()

API = "/api/v1"
UPLOADER_REDIRECT_URI = "app.mtp.desktop://app"
CODE_REDIRECT_URI = "https://app.example.org/cb"

# -- personas ----------------------------------------------------------------------------------

# Username: (email, password).
PERSONAS = {
    "olivia": ("olivia@example.org", "correct horse battery"),  # owns sequences
    "oscar": ("oscar@example.org", "another horse battery"),  # another user
    "dana": ("dana@example.org", "developer horse battery"),  # registers applications
}


def persona(username: str) -> User:
    """One of the PERSONAS, signed up."""
    email, password = PERSONAS[username]
    return User.objects.create_user(username, email, password)


# -- applications, tokens, PKCE ----------------------------------------------------------------


def uploader_app(developer: User) -> Application:
    """The MTP Desktop Uploader as registered: a public client using the implicit flow."""
    return Application.objects.create(
        name="MTP Desktop Uploader",
        user=developer,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_IMPLICIT,
        redirect_uris=UPLOADER_REDIRECT_URI,
        skip_authorization=False,
    )


def implicit_app(developer: User, name: str = "Another app") -> Application:
    """Another public client using the implicit flow."""
    return Application.objects.create(
        name=name,
        user=developer,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_IMPLICIT,
        redirect_uris="https://other.example.org/cb",
    )


def code_app(developer: User) -> Application:
    """A public client (say, a single-page app) using the authorization code flow with PKCE."""
    return Application.objects.create(
        name="Trail Notes",
        user=developer,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=f"{CODE_REDIRECT_URI} http://127.0.0.1/callback",
    )


def confidential_app(developer: User) -> tuple[Application, str]:
    """A server-side client with a secret; returns the application and its cleartext secret."""
    secret = secrets.token_urlsafe(32)
    application = Application.objects.create(
        name="Route Server",
        user=developer,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://server.example.org/cb",
        client_secret=secret,
    )
    return application, secret


def device_app(developer: User) -> Application:
    """A public client on a device without a browser, using the device flow."""
    return Application.objects.create(
        name="Helmet Camera",
        user=developer,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_DEVICE_CODE,
    )


def issue_token(user: User, application: Application, *, lifetime: timedelta | None = None) -> str:
    """Store an access token for ``user`` through ``application``; return its raw value."""
    raw = secrets.token_urlsafe(32)
    token = AccessToken(
        user=user,
        application=application,
        expires=timezone.now() + (lifetime or timedelta(days=365)),
        scope="read write",
    )
    set_token_value(token, raw)
    token.save()
    return raw


def bearer(token: str) -> dict[str, Any]:
    """The test client's headers that carry ``token``."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def token_with_scope(user, app, scope: str) -> dict[str, Any]:
    """The headers of a new token of ``user`` for ``app`` that holds ``scope`` alone."""
    raw = issue_token(user, app)
    newest = AccessToken.objects.filter(user=user, application=app).latest("id")
    AccessToken.objects.filter(pk=newest.pk).update(scope=scope)
    return bearer(raw)


def pkce_pair() -> tuple[str, str]:
    """A PKCE code_verifier and its S256 code_challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.decode().rstrip("=")


# -- sequences ---------------------------------------------------------------------------------

# A short walk along the lake shore in Geneva.
GENEVA_WALK = [(6.1432, 46.2044), (6.1450, 46.2050), (6.1475, 46.2061), (6.1500, 46.2070)]
# Trondheim: the routes of the tile tests wander around it.
HOME = (10.3951, 63.4305)

# Parents of the seeded transport types that tests use.
_PARENT_KINDS = {"Walk": "Earth", "Run": "Earth", "Kayak": "Water", "Canoe": "Water"}
_keys = itertools.count(1)


def kind(name: str) -> TransportType:
    """A transport type by name, made when a flushed database has lost the seeded ones."""
    found = TransportType.objects.filter(name=name).first()
    if found is not None:
        return found
    if name in _PARENT_KINDS:
        parent = kind(_PARENT_KINDS[name])
        return TransportType.objects.create(name=name, parent=parent)
    return TransportType.objects.create(name=name)


def make_sequence(
    owner: User,
    *,
    name: str = "Lake shore walk",
    status: str = "published",
    transport: str = "Walk",
    tags: tuple[str, ...] = (),
    route: list[tuple[float, float]] | None = None,
    captured: datetime | None = None,
    images: bool = True,
    **fields,
) -> Sequence:
    """A sequence with its route, capture times and (optionally) an image per route point.

    The route is GENEVA_WALK unless given; ``route=[], images=False`` makes an empty draft.
    """
    route = GENEVA_WALK if route is None else route
    start = captured or datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    times = [start + timedelta(seconds=10 * index) for index in range(len(route))]
    sequence = Sequence(
        owner=owner,
        name=name,
        status=status,
        transport_type=TransportType.objects.get(name=transport),
        published_at=timezone.now() if status == "published" else None,
        **fields,
    )
    sequence.set_route(route, times)
    sequence.image_count = len(route) if images else 0
    sequence.save()
    if tags:
        sequence.tags.set([Tag.objects.get_or_create(name=tag)[0] for tag in tags])
    if images:
        Image.objects.bulk_create(
            Image(
                sequence=sequence,
                key=f"{sequence.pk}-{index}",
                mapillary_key=f"{sequence.pk}-{index}",
                position=index,
                point=Point(lon, lat, srid=4326),
                captured_at=times[index],
                altitude=370.0 + index,
                compass_angle=90.0,
            )
            for index, (lon, lat) in enumerate(route)
        )
    return sequence


def sequence_along(
    owner: User,
    points: list[tuple[float, float]],
    *,
    name: str = "A walk",
    transport_type: str = "Walk",
    status: str = Sequence.Status.PUBLISHED,
    start: datetime | None = datetime(2024, 5, 1, 8, 30, 15, tzinfo=UTC),
    unique_id: uuid.UUID | None = None,
    key_prefix: str | None = None,
    compass: Callable[[int], float | None] = lambda index: (index * 37.5) % 360,
) -> Sequence:
    """A sequence along ``points`` with one photo per point (two seconds apart, each turned by
    ``compass``), stored the way an import does. ``start=None`` leaves the times unknown."""
    times: list[Any] = [
        start + timedelta(seconds=2 * i) if start else None for i in range(len(points))
    ]
    sequence = Sequence(
        owner=owner,
        name=name,
        transport_type=TransportType.objects.get(name=transport_type),
        status=status,
        unique_id=unique_id or uuid.uuid4(),
        published_at=timezone.now() if status == Sequence.Status.PUBLISHED else None,
    )
    sequence.set_route(points, times)
    sequence.image_count = len(points)
    sequence.save()
    prefix = key_prefix or sequence.unique_id.hex[:12]
    Image.objects.bulk_create(
        Image(
            sequence=sequence,
            key=f"{prefix}{index:04d}",
            mapillary_key=f"{prefix}{index:04d}",
            position=index,
            point=Point(lon, lat, srid=4326),
            captured_at=times[index],
            compass_angle=compass(index),
        )
        for index, (lon, lat) in enumerate(points)
    )
    return sequence


def wander(
    rng: random.Random, start: tuple[float, float], count: int, step_m: float
) -> list[tuple[float, float]]:
    """``count`` (lon, lat) points of a walk that turns a little at each step."""
    lon, lat = start
    heading = rng.uniform(0, 2 * math.pi)
    points = []
    for _ in range(count):
        points.append((round(lon, 7), round(lat, 7)))
        heading += rng.gauss(0, 0.35)
        lat += step_m * math.cos(heading) / 111_320
        lon += step_m * math.sin(heading) / (111_320 * math.cos(math.radians(lat)))
    return points


def publish(
    owner: User,
    name: str = "Morning walk",
    *,
    transport: str = "Walk",
    start: tuple[float, float] = (-0.12, 51.5),
    photos: int = 5,
    captured: datetime = datetime(2024, 5, 3, 7, 30, tzinfo=UTC),
    tags: tuple[str, ...] = (),
    description: str = "",
    **fields,
) -> Sequence:
    """A published sequence with a Mapillary key: a route of ``photos`` points going north-east
    from ``start``, a photo at each."""
    sequence = Sequence.objects.create(
        owner=owner, name=name, description=description, transport_type=kind(transport)
    )
    points = [(start[0] + 0.001 * i, start[1] + 0.0005 * i) for i in range(photos)]
    times = [captured + timedelta(seconds=10 * i) for i in range(photos)]
    sequence.set_route(points, times)
    sequence.image_count = photos
    sequence.status = Sequence.Status.PUBLISHED
    sequence.published_at = timezone.now()
    sequence.mapillary_sequence_key = f"mly-seq-{next(_keys)}"
    for field, value in fields.items():
        setattr(sequence, field, value)
    sequence.save()
    Image.objects.bulk_create(
        Image(
            sequence=sequence,
            key=f"{sequence.mapillary_sequence_key}-{i}",
            mapillary_key=f"{sequence.mapillary_sequence_key}-{i}",
            position=i,
            point=Point(*point, srid=4326),
            captured_at=at,
        )
        for i, (point, at) in enumerate(zip(points, times, strict=True))
    )
    for tag in tags:
        sequence.tags.add(Tag.objects.get_or_create(name=tag)[0])
    return sequence


def draft(owner: User, name: str = "Draft walk", *, status: str = "draft", **fields) -> Sequence:
    """A walk as the uploader creates it before handing over a Mapillary key: no route yet."""
    return Sequence.objects.create(
        owner=owner, name=name, transport_type=kind("Walk"), status=status, **fields
    )


def failed_import(
    owner: User, name: str = "Broken walk", error: str = "Mapillary refused it."
) -> Sequence:
    """A sequence whose import failed, with its failed job."""
    sequence = draft(owner, name, status=Sequence.Status.FAILED)
    ImportJob.objects.create(
        sequence=sequence,
        mapillary_sequence_key="failedkey1",
        status=ImportJob.Status.FAILED,
        last_error=error,
    )
    return sequence


# -- imports -----------------------------------------------------------------------------------

# Who Mapillary says the stand-in's owner token belongs to (``/me``).
MAPILLARY_OWNER = MapillaryUser(id=OWNER.id, username=OWNER.username)


def start_import(sequence: Sequence, key: str) -> ImportJob:
    """Ask for ``sequence`` to be imported from the stand-in's Mapillary sequence ``key``, with
    the owner's token, as the API does."""
    job, _ = request_import(
        sequence, mapillary_sequence_key=key, token=OWNER.token, mapillary_user=MAPILLARY_OWNER
    )
    return job
