"""Sequences to read, search and edit, built the way an import leaves them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from conftest import bearer
from mtp.sequences.models import Image, Sequence, Tag, TransportType, clear_transport_types_cache
from mtp.sequences.tags import forget_tag_ids

API = "/api/v1"
# A short walk along the lake shore in Geneva.
GENEVA_WALK = [(6.1432, 46.2044), (6.1450, 46.2050), (6.1475, 46.2061), (6.1500, 46.2070)]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The personas' passwords are never checked here; hashing them properly takes seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_transport_types():
    # The in-process copy must not outlive a test's database.
    clear_transport_types_cache()
    forget_tag_ids()
    yield
    clear_transport_types_cache()
    forget_tag_ids()


def make_sequence(
    owner,
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
    """A sequence with its route, capture times and (optionally) an image per route point."""
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
        from django.contrib.gis.geos import Point

        Image.objects.bulk_create(
            Image(
                sequence=sequence,
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


@pytest.fixture
def published(owner) -> Sequence:
    return make_sequence(owner, tags=("lake", "geneva"))


@pytest.fixture
def draft(owner) -> Sequence:
    return make_sequence(owner, name="Not yet imported", status="draft", route=[], images=False)


@pytest.fixture
def owner_headers(owner_token) -> dict[str, str]:
    return bearer(owner_token)


@pytest.fixture
def other_headers(other_token) -> dict[str, str]:
    return bearer(other_token)
