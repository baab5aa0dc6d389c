"""Signed-in browsers and a camera for the website's tests; the personas' sequences come from
testing.builders (publish, draft, failed_import)."""

import pytest
from django.test import Client

from mtp.sequences.models import CameraMake, CameraModel


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
