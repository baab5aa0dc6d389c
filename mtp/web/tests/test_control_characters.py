"""Control characters in what the site's forms and the models take: refused with a message in
every text field (tabs and line ends allowed where a text has lines), nothing written."""

import json

import pytest
from django.core.exceptions import ValidationError

from mtp.accounts.models import User
from mtp.challenges.models import Challenge
from mtp.guidebooks.models import Guidebook, Poi, Scene
from mtp.sequences.models import Sequence
from mtp.tours.models import Tour
from testing.builders import publish

pytestmark = pytest.mark.django_db

LONDON = [[-0.13, 51.49], [-0.10, 51.49], [-0.10, 51.51], [-0.13, 51.51], [-0.13, 51.49]]
NAME = "Lake\x01 walk \x1b[31m"
MESSAGE = "Text may not hold control characters"


@pytest.fixture
def forms(owner, settings) -> dict:
    """(path, form fields without the one tried) of each form that writes text."""
    settings.MTP_CHALLENGE_CREATORS = "everyone"
    sequence = publish(owner, "River walk", photos=1)
    guidebook = Guidebook.objects.create(owner=owner, name="River guide")
    scene = Scene.objects.create(guidebook=guidebook, image=sequence.images.all()[0], position=0)
    editor = f"/guidebooks/{guidebook.unique_id}"
    return {
        "sequence": (
            f"/my/sequences/{sequence.unique_id}/edit/",
            {"name": "River walk", "transport_type": sequence.transport_type_id},
        ),
        "tour": ("/tours/new/", {"name": "A tour", "status": "published"}),
        "guidebook": ("/guidebooks/new/", {"name": "A guide"}),
        "guidebook-change": (f"{editor}/edit/", {"action": "save", "name": "A guide"}),
        "scene": (f"{editor}/scenes/{scene.unique_id}/edit/", {"action": "save"}),
        "poi": (
            f"{editor}/scenes/{scene.unique_id}/edit/",
            {"action": "add-poi", "title": "Heron", "x": "0.5", "y": "0.5"},
        ),
        "challenge": (
            "/challenges/new/",
            {
                "name": "Map the City",
                "area": json.dumps({"type": "Polygon", "coordinates": [LONDON]}),
                "start": "2024-05-01T00:00",
                "end": "2024-06-01T00:00",
            },
        ),
        "profile": (
            "/accounts/settings/",
            {"save_profile": "1", "profile-email": owner.email},
        ),
    }


def state() -> tuple:
    return (
        list(Sequence.objects.values_list("name", "description")),
        list(Tour.objects.values_list("name", "description")),
        list(Guidebook.objects.values_list("name", "description")),
        list(Scene.objects.values_list("title", "description")),
        list(Poi.objects.values_list("title", "description")),
        list(Challenge.objects.values_list("name", "description", "camera_makes")),
        list(User.objects.values_list("display_name", flat=True)),
    )


@pytest.mark.parametrize(
    ("form", "field", "value"),
    [
        ("sequence", "name", NAME),
        ("sequence", "name", "River\nwalk"),
        ("sequence", "description", "One\x0bline"),
        ("tour", "name", NAME),
        ("tour", "description", "x\x85y"),
        ("guidebook", "name", NAME),
        ("guidebook", "description", "x\x07"),
        ("guidebook-change", "name", NAME),
        ("scene", "title", NAME),
        ("scene", "description", "x\x1b[31m"),
        ("poi", "title", "Heron\tgrey"),
        ("poi", "description", "x\x01y"),
        ("challenge", "name", NAME),
        ("challenge", "description", "x\x9b"),
        ("challenge", "camera_makes", "GoPro, Insta\x01360"),
        ("profile", "profile-display_name", NAME),
    ],
)
def test_a_form_refuses_control_characters_with_a_message(owner_client, forms, form, field, value):
    path, fields = forms[form]
    before = state()
    response = owner_client.post(path, {**fields, field: value})
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert state() == before


@pytest.mark.parametrize("form", ["sequence", "tour", "guidebook", "scene", "poi", "challenge"])
def test_a_form_keeps_a_descriptions_tabs_and_line_ends(owner_client, forms, form):
    path, fields = forms[form]
    response = owner_client.post(path, {**fields, "description": "One\tline\r\nand another"})
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.mark.parametrize(
    ("model", "field", "lines"),
    [
        (Sequence, "name", False),
        (Sequence, "description", True),
        (Tour, "name", False),
        (Tour, "description", True),
        (Guidebook, "name", False),
        (Guidebook, "description", True),
        (Scene, "title", False),
        (Scene, "description", True),
        (Poi, "title", False),
        (Poi, "description", True),
        (Challenge, "name", False),
        (Challenge, "description", True),
        (User, "display_name", False),
    ],
)
def test_the_models_refuse_control_characters_too(model, field, lines):
    """What the admin and any other model form check."""
    model_field = model._meta.get_field(field)
    with pytest.raises(ValidationError, match=MESSAGE):
        model_field.clean("a\x1b[31m", None)
    if lines:
        assert model_field.clean("a\tb\r\nc", None) == "a\tb\r\nc"
    else:
        with pytest.raises(ValidationError, match=MESSAGE):
            model_field.clean("a\nb", None)


def test_an_app_name_with_control_characters_is_refused(developer_client):
    response = developer_client.post(
        "/developers/register/",
        {
            "name": "My app\x1b[31m",
            "client_type": "public",
            "flows": ["implicit"],
            "redirect_uris": "https://app.example.org/cb",
        },
    )
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
