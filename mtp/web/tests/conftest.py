"""Personas' sequences for the website's tests: published ones with routes and photos, drafts."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone

from mtp.imports.models import ImportJob
from mtp.sequences.models import CameraMake, CameraModel, Image, Sequence, Tag, TransportType

_keys = itertools.count(1)


def kind(name: str) -> TransportType:
    """A transport type by name, made when a flushed database has lost the seeded ones."""
    parents = {"Walk": "Earth", "Run": "Earth", "Kayak": "Water", "Canoe": "Water"}
    found = TransportType.objects.filter(name=name).first()
    if found is not None:
        return found
    if name in parents:
        parent = kind(parents[name])
        return TransportType.objects.create(name=name, parent=parent)
    return TransportType.objects.create(name=name)


def publish(
    owner,
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
    """A published sequence: a route of ``photos`` points going north-east from ``start``."""
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


def draft(owner, name: str = "Draft walk", *, status: str = "draft", **fields) -> Sequence:
    return Sequence.objects.create(
        owner=owner, name=name, transport_type=kind("Walk"), status=status, **fields
    )


def failed_import(
    owner, name: str = "Broken walk", error: str = "Mapillary refused it."
) -> Sequence:
    sequence = draft(owner, name, status=Sequence.Status.FAILED)
    ImportJob.objects.create(
        sequence=sequence,
        mapillary_sequence_key="failedkey1",
        status=ImportJob.Status.FAILED,
        error=error,
    )
    return sequence


@pytest.fixture
def owner_client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def other_client(other_user) -> Client:
    client = Client()
    client.force_login(other_user)
    return client


@pytest.fixture
def camera() -> CameraModel:
    make = CameraMake.objects.create(name="GoPro")
    return CameraModel.objects.create(make=make, name="Max")
