"""The API and the website's edit form read tags and links by one rule: the same text gives
the same stored value, or the same refusal, whichever of them it was typed into."""

import json

import pytest
from django.test import Client

from mtp.sequences.models import MAX_TAGS, TAG_MAX_LENGTH, Sequence, TransportType
from testing.builders import bearer, issue_token

pytestmark = pytest.mark.django_db

LONGEST = [f"{n:03d}-" + "t" * (TAG_MAX_LENGTH - 4) for n in range(MAX_TAGS)]

TAGS = {
    "duplicates in any case": "Lake, lake,LAKE",
    "white space around and between": "  River ,\tDawn\n ,  ",
    "empty items": ",a,,b, ,",
    "empty": "",
    "a space inside": "ok, two words",
    "an underscore": "under_score",
    "letters beyond a-z": "Ünï",
    "one too long": "x" * (TAG_MAX_LENGTH + 1),
    "the longest": "y" * TAG_MAX_LENGTH,
    "one too many": ",".join(f"t{n}" for n in range(MAX_TAGS + 1)),
    "the most, each at its longest, spaced out and repeated": " ,  ".join(LONGEST * 2),
}

STRAVA = {
    "an id": "1234567890",
    "an id with zeros and spaces": "  0042 ",
    "an activity link": "https://www.strava.com/activities/42",
    "a shared link": "https://www.strava.com/activities/42/overview?share_sig=AB12",
    "a link without https": "strava.com/activities/42",
    "an athlete's page": "https://www.strava.com/athletes/42",
    "another site": "https://evil.example.org/activities/1",
    "a script": "javascript:alert(1)",
    "not a number": "12ab",
    "nothing": "",
}

GOOGLE_STREET_VIEW = {
    "a share link": " https://maps.app.goo.gl/xyz ",
    "a maps link with an empty query": "https://www.google.com/maps/@46.2,6.1?",
    "no scheme": "maps.app.goo.gl/xyz",
    "http": "http://maps.app.goo.gl/xyz",
    "another site": "https://evil.example.org/maps",
    "too long": "https://maps.app.goo.gl/" + "x" * 500,
}


@pytest.fixture
def walk() -> TransportType:
    return TransportType.objects.get(name="Walk")


@pytest.fixture
def through_the_api(client, owner, app, walk):
    """Change a new sequence through PATCH /api/v1/sequence/<id>: (stored, error)."""
    headers = bearer(issue_token(owner, app))

    def change(field: str, value: str) -> tuple[object, str | None]:
        sequence = Sequence.objects.create(owner=owner, name="Walk", transport_type=walk)
        response = client.patch(
            f"/api/v1/sequence/{sequence.unique_id}",
            json.dumps({field: value}),
            content_type="application/json",
            **headers,
        )
        if response.status_code != 200:
            assert response.status_code == 422, response.content
            return unchanged(sequence, field), response.json()["error"]
        return stored(sequence, field), None

    return change


@pytest.fixture
def through_the_website(owner, walk):
    """Change a new sequence through its edit page: (stored, error)."""
    client = Client()
    client.force_login(owner)

    def change(field: str, value: str) -> tuple[object, str | None]:
        sequence = Sequence.objects.create(owner=owner, name="Walk", transport_type=walk)
        data = {"name": "Walk", "description": "", "transport_type": walk.pk, "tags": ""}
        data |= {"google_street_view": "", "strava": "", field: value}
        response = client.post(f"/my/sequences/{sequence.unique_id}/edit/", data)
        if response.status_code != 302:
            errors = response.context["form"].errors
            assert list(errors) == [field], errors
            return unchanged(sequence, field), errors[field][0]
        return stored(sequence, field), None

    return change


def stored(sequence: Sequence, field: str) -> object:
    if field == "tags":
        return sorted(sequence.tags.values_list("name", flat=True))
    return getattr(Sequence.objects.get(pk=sequence.pk), field)


def unchanged(sequence: Sequence, field: str) -> object:
    value = stored(sequence, field)
    assert value == ([] if field == "tags" else "")
    return value


def assert_agree(api: tuple[object, str | None], website: tuple[object, str | None]) -> None:
    (api_stored, api_error), (website_stored, website_error) = api, website
    assert api_stored == website_stored
    assert (api_error is None) == (website_error is None)
    if api_error is not None and website_error is not None:
        # The API names the field before the rule's own message.
        assert website_error in api_error, (api_error, website_error)


@pytest.mark.parametrize("text", TAGS.values(), ids=TAGS.keys())
def test_tags_typed_into_either_are_read_alike(through_the_api, through_the_website, text):
    assert_agree(through_the_api("tags", text), through_the_website("tags", text))


@pytest.mark.parametrize("text", STRAVA.values(), ids=STRAVA.keys())
def test_a_strava_activity_typed_into_either_is_stored_alike(
    through_the_api, through_the_website, text
):
    assert_agree(through_the_api("strava", text), through_the_website("strava", text))


@pytest.mark.parametrize("text", GOOGLE_STREET_VIEW.values(), ids=GOOGLE_STREET_VIEW.keys())
def test_a_google_street_view_link_typed_into_either_is_stored_alike(
    through_the_api, through_the_website, text
):
    assert_agree(
        through_the_api("google_street_view", text),
        through_the_website("google_street_view", text),
    )


def test_what_each_stores_is_the_normal_form(through_the_api, through_the_website):
    link = "https://www.strava.com/activities/0042/overview"
    assert through_the_api("strava", link) == through_the_website("strava", link) == ("42", None)
    tags = "Lake, lake, Dawn"
    expected = (["dawn", "lake"], None)
    assert through_the_api("tags", tags) == through_the_website("tags", tags) == expected
