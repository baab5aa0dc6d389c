"""PUT /api/v1/sequence/import/<unique_id> with links (Google Street View, Strava)."""

import json

import pytest

from mtp.api.schemas import SequenceWriteOut
from testing.builders import API

LINK = "https://maps.app.goo.gl/Xyz123"


def put(client, sequence, headers, body, slash=True, **extra):
    url = f"{API}/sequence/import/{sequence.unique_id}{'/' if slash else ''}"
    return client.put(url, json.dumps(body), content_type="application/json", **headers, **extra)


def test_the_uploader_attaches_a_google_street_view_link(client, owner_headers, draft):
    response = put(client, draft, owner_headers, {"google_street_view": LINK})
    assert response.status_code == 200
    body = response.json()
    assert "error" not in body
    SequenceWriteOut.model_validate(body)
    assert body["sequence"]["google_street_view"] == LINK
    draft.refresh_from_db()
    assert draft.google_street_view == LINK
    assert draft.status == "draft"


def test_the_uploader_attaches_a_strava_activity(client, owner_headers, draft):
    response = put(client, draft, owner_headers, {"strava": "1234567890"})
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.strava == "1234567890"


def test_a_strava_activity_url_or_number_is_kept_as_its_id(client, owner_headers, draft):
    put(client, draft, owner_headers, {"strava": "https://www.strava.com/activities/42"})
    draft.refresh_from_db()
    assert draft.strava == "42"
    put(client, draft, owner_headers, {"strava": 43})
    draft.refresh_from_db()
    assert draft.strava == "43"


def test_both_links_at_once_without_the_trailing_slash(client, owner_headers, draft):
    body = {"google_street_view": LINK, "strava": "7"}
    assert put(client, draft, owner_headers, body, slash=False).status_code == 200
    draft.refresh_from_db()
    assert (draft.google_street_view, draft.strava) == (LINK, "7")


def test_sending_the_same_link_again_changes_nothing(client, owner_headers, draft):
    put(client, draft, owner_headers, {"strava": "7"})
    draft.refresh_from_db()
    updated = draft.updated_at
    assert put(client, draft, owner_headers, {"strava": "7"}).status_code == 200
    draft.refresh_from_db()
    assert draft.updated_at == updated


@pytest.mark.parametrize(
    "link",
    [
        "https://maps.app.goo.gl/abc123",
        "https://goo.gl/maps/abc123",
        "https://www.google.com/maps/@46.2044,6.1432,3a,75y,90t/data=!3m6",
        "https://www.google.co.uk/maps/place/Geneva",
        "https://maps.google.ch/?cbll=46.2,6.1",
    ],
)
def test_google_maps_links_are_taken(client, owner_headers, draft, link):
    assert put(client, draft, owner_headers, {"google_street_view": link}).status_code == 200
    draft.refresh_from_db()
    assert draft.google_street_view == link


def test_a_link_leaves_the_other_link_alone(client, owner_headers, draft):
    put(client, draft, owner_headers, {"google_street_view": LINK})
    put(client, draft, owner_headers, {"strava": "7"})
    draft.refresh_from_db()
    assert (draft.google_street_view, draft.strava) == (LINK, "7")


@pytest.mark.parametrize(
    "body",
    [
        {"google_street_view": "http://maps.example.org/x"},
        {"google_street_view": "not a url"},
        {"google_street_view": "https://evil.example.org/maps/@46.2,6.1"},
        {"google_street_view": "https://www.google.com.evil.example.org/maps"},
        {"google_street_view": "https://goo.gl/phish"},
        {"google_street_view": "https://user@www.google.com/maps"},
        {"strava": "https://evil.example.org/activities/1"},
        {"strava": "12ab"},
    ],
)
def test_bad_links_are_a_422(client, owner_headers, draft, body):
    response = put(client, draft, owner_headers, body)
    assert response.status_code == 422
    assert response.json()["status"] is False
    draft.refresh_from_db()
    assert (draft.google_street_view, draft.strava) == ("", "")


def test_a_form_body_works_too(client, owner_headers, draft):
    url = f"{API}/sequence/import/{draft.unique_id}"
    response = client.put(
        url, "strava=99", content_type="application/x-www-form-urlencoded", **owner_headers
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.strava == "99"


def test_another_user_gets_404_and_changes_nothing(client, other_headers, draft):
    response = put(client, draft, other_headers, {"google_street_view": LINK})
    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.google_street_view == ""


def test_another_user_gets_404_even_for_a_bad_body(client, other_headers, draft):
    assert put(client, draft, other_headers, {}).status_code == 404


def test_import_needs_a_token(client, app, draft):
    response = put(client, draft, {}, {"strava": "1"}, QUERY_STRING=f"client_id={app.client_id}")
    assert response.status_code == 401


def test_a_multipart_body_works_too(client, owner_headers, draft):
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    url = f"{API}/sequence/import/{draft.unique_id}"
    body = encode_multipart(BOUNDARY, {"google_street_view": LINK})
    response = client.put(url, body, content_type=MULTIPART_CONTENT, **owner_headers)
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.google_street_view == LINK


@pytest.mark.parametrize("body", [{}, {"google_street_view": None, "strava": ""}])
def test_a_body_with_nothing_to_attach_answers_200_and_changes_nothing(
    client, owner_headers, draft, body
):
    response = put(client, draft, owner_headers, body)
    assert response.status_code == 200
    assert "error" not in response.json()
    before = draft.updated_at
    draft.refresh_from_db()
    assert (draft.google_street_view, draft.strava, draft.updated_at) == ("", "", before)
