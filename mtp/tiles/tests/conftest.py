"""Routes and photos to put in tiles (testing.builders.sequence_along, wander), and a seeded
random source for them; testing.tiles reads tiles back."""

import random

import pytest


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20240501)
