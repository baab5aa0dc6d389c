"""Control characters in text the API writes: refused with a 422 in every text field (tabs and
line ends allowed where a text has lines), nothing written."""

import json

import pytest

from mtp.challenges.models import Challenge
from mtp.guidebooks.models import Guidebook, Poi, Scene
from mtp.sequences.models import Sequence
from mtp.tours.models import Tour
from testing.builders import API

GENEVA = [[6.13, 46.19], [6.16, 46.19], [6.16, 46.21], [6.13, 46.21], [6.13, 46.19]]
# Refused in every text; a name or title holds one line, so no tab or line end either.
CONTROLS = ["x\x01", "red \x1b[31malert", "x\x7f", "x\x85y", "x\x9f"]
LINE_ENDS = ["Lake\nwalk", "Lake\r\nwalk", "Lake\twalk", "Lake\rwalk"]


def challenge(**fields) -> dict:
    return {
        "name": "Map old Geneva",
        "area": {"type": "Polygon", "coordinates": [GENEVA]},
        "start": "2024-05-01T00:00:00Z",
        "end": "2024-06-01T00:00:00Z",
        **fields,
    }


@pytest.fixture
def writes(owner, published, settings) -> dict:
    """(method, path, body without the field) of each write, and what it would have written."""
    settings.MTP_CHALLENGE_CREATORS = "everyone"
    guidebook = Guidebook.objects.create(owner=owner, name="River guide")
    image = published.images.order_by("position").first()
    scene = Scene.objects.create(guidebook=guidebook, image=image, position=0)
    sequence = f"{API}/sequence"
    return {
        "sequence": ("POST", f"{sequence}/create", {"name": "Walk", "transport_type": "Walk"}),
        "sequence-change": ("PATCH", f"{sequence}/{published.unique_id}", {}),
        "tour": ("POST", f"{API}/tours", {"name": "A tour"}),
        "guidebook": ("POST", f"{API}/guidebooks", {"name": "A guide"}),
        "scene": (
            "POST",
            f"{API}/guidebooks/{guidebook.unique_id}/scenes",
            {"image": image.mapillary_key},
        ),
        "poi": (
            "POST",
            f"{API}/guidebooks/{guidebook.unique_id}/scenes/{scene.unique_id}/pois",
            {"title": "Heron", "x": 0.5, "y": 0.5},
        ),
        "challenge": ("POST", f"{API}/challenges", challenge()),
    }


def counts() -> tuple[int, ...]:
    return (
        Sequence.objects.count(),
        Tour.objects.count(),
        Guidebook.objects.count(),
        Scene.objects.count(),
        Poi.objects.count(),
        Challenge.objects.count(),
    )


def send(client, headers, write, field, value):
    method, path, body = write
    return client.generic(
        method, path, json.dumps({**body, field: value}), "application/json", **headers
    )


ONE_LINE = [
    ("sequence", "name"),
    ("sequence", "source"),
    ("sequence-change", "name"),
    ("tour", "name"),
    ("guidebook", "name"),
    ("scene", "title"),
    ("poi", "title"),
    ("challenge", "name"),
]
LINES = [
    ("sequence", "description"),
    ("sequence-change", "description"),
    ("tour", "description"),
    ("guidebook", "description"),
    ("scene", "description"),
    ("poi", "description"),
    ("challenge", "description"),
]


@pytest.mark.parametrize("value", CONTROLS + LINE_ENDS)
@pytest.mark.parametrize(("write", "field"), ONE_LINE)
def test_a_text_of_one_line_with_control_characters_is_a_422(
    client, owner_headers, writes, write, field, value
):
    before = counts()
    response = send(client, owner_headers, writes[write], field, value)
    assert response.status_code == 422, response.content
    assert "control characters" in response.json()["error"]
    assert counts() == before
    assert not Sequence.objects.filter(name=value).exists()


@pytest.mark.parametrize("value", CONTROLS)
@pytest.mark.parametrize(("write", "field"), LINES)
def test_a_text_of_several_lines_with_control_characters_is_a_422(
    client, owner_headers, writes, write, field, value
):
    before = counts()
    response = send(client, owner_headers, writes[write], field, f"First line\n{value}")
    assert response.status_code == 422, response.content
    assert "control characters" in response.json()["error"]
    assert counts() == before


@pytest.mark.parametrize(("write", "field"), LINES)
def test_a_text_of_several_lines_keeps_its_tabs_and_line_ends(
    client, owner_headers, writes, write, field
):
    response = send(client, owner_headers, writes[write], field, "One\tline\r\nand another")
    assert response.status_code in (200, 201), response.content


def test_a_challenges_camera_makes_are_one_line_each(client, owner_headers, writes):
    response = send(client, owner_headers, writes["challenge"], "camera_makes", ["Go\x1bPro"])
    assert response.status_code == 422, response.content
    assert not Challenge.objects.exists()
