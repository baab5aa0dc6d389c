"""Editing a sequence: the owner's own fields, through the model's validation."""

import pytest

from mtp.sequences.models import Sequence
from testing.builders import draft, kind, publish


def form_data(sequence: Sequence, **changes) -> dict:
    data = {
        "name": sequence.name,
        "description": sequence.description,
        "transport_type": sequence.transport_type_id,
        "tags": ", ".join(tag.name for tag in sequence.tags.all()),
        "google_street_view": sequence.google_street_view,
        "strava": sequence.strava,
    }
    data.update(changes)
    return data


def edit_url(sequence: Sequence) -> str:
    return f"/my/sequences/{sequence.unique_id}/edit/"


@pytest.mark.django_db
def test_the_form_shows_the_current_values_with_kinds_grouped_under_their_group(
    owner_client, owner
):
    sequence = publish(owner, "River walk", tags=("river", "autumn"))
    html = owner_client.get(edit_url(sequence)).content.decode()
    assert 'value="River walk"' in html
    assert 'value="autumn, river"' in html
    assert '<optgroup label="Earth">' in html
    assert f'<option value="{sequence.transport_type_id}" selected>Walk</option>' in html
    assert '<option value="">' not in html  # a sequence always has a type


@pytest.mark.django_db
def test_the_owner_changes_name_type_tags_and_links(owner_client, owner):
    sequence = publish(owner, "River walk", tags=("river",))
    response = owner_client.post(
        edit_url(sequence),
        form_data(
            sequence,
            name="  Thames walk ",
            transport_type=kind("Run").pk,
            tags="River, Dawn,dawn",
            google_street_view=" https://maps.app.goo.gl/xyz ",
            strava="https://www.strava.com/activities/12345/overview",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == sequence.get_absolute_url()
    sequence.refresh_from_db()
    assert sequence.name == "Thames walk"
    assert sequence.transport_type.name == "Run"
    assert sorted(tag.name for tag in sequence.tags.all()) == ["dawn", "river"]
    assert sequence.google_street_view == "https://maps.app.goo.gl/xyz"
    assert sequence.strava == "12345"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "   "}, "This field is required."),
        ({"tags": "ok, not ok!"}, "Invalid tag &#x27;not ok!&#x27;"),
        ({"google_street_view": "http://maps.example.org/x"}, "as an https URL"),
        ({"google_street_view": "https://evil.example.org/maps"}, "is a Google Maps link"),
        ({"google_street_view": "maps.app.goo.gl/xyz"}, "as an https URL"),
        ({"strava": "https://www.strava.com/athletes/42"}, "Give the Strava activity as its"),
        ({"strava": "javascript:alert(1)"}, "Give the Strava activity as its"),
        ({"transport_type": "group"}, "Select a valid choice."),
    ],
)
def test_invalid_changes_are_refused_with_a_message_and_nothing_is_saved(
    owner_client, owner, changes, message
):
    sequence = publish(owner, "River walk", tags=("river",))
    if changes.get("transport_type") == "group":
        changes["transport_type"] = kind("Earth").pk
    response = owner_client.post(edit_url(sequence), form_data(sequence, **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    sequence.refresh_from_db()
    assert sequence.name == "River walk"
    assert [tag.name for tag in sequence.tags.all()] == ["river"]


@pytest.mark.django_db
def test_saving_leaves_the_route_an_import_wrote_meanwhile(owner_client, owner):
    sequence = draft(owner, "Importing walk", status="importing")
    data = form_data(sequence, name="Renamed")
    # The import publishes the sequence while the owner has the form open.
    published = publish(owner, "Other")
    Sequence.objects.filter(pk=sequence.pk).update(
        status="published",
        published_at=published.published_at,
        image_count=5,
        distance_m=321.0,
        geometry=published.geometry,
    )
    assert owner_client.post(edit_url(sequence), data).status_code == 302
    sequence.refresh_from_db()
    assert (sequence.name, sequence.status, sequence.image_count) == ("Renamed", "published", 5)
    assert sequence.distance_m == 321.0 and sequence.geometry is not None


@pytest.mark.django_db
def test_anyone_else_gets_a_404_and_changes_nothing(other_client, client, owner):
    sequence = publish(owner, "River walk")
    assert other_client.get(edit_url(sequence)).status_code == 404
    assert (
        other_client.post(edit_url(sequence), form_data(sequence, name="Mine")).status_code == 404
    )
    assert client.post(edit_url(sequence), form_data(sequence, name="Mine")).status_code == 302
    sequence.refresh_from_db()
    assert sequence.name == "River walk"
