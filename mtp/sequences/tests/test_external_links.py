"""The one reading of a Strava activity and of a Google Street View link."""

import re

import pytest
from django.core.exceptions import ValidationError

from mtp.sequences.external_links import (
    GOOGLE_STREET_VIEW_MAX_LENGTH,
    STRAVA_ACTIVITY_PATTERN,
    parse_google_street_view,
    parse_strava,
    strava_url,
)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("1234567890", "1234567890"),
        (" 42 ", "42"),
        ("42/", "42"),
        ("0042", "42"),
        (42, "42"),
        ("https://www.strava.com/activities/42", "42"),
        ("https://strava.com/activities/42", "42"),
        ("http://www.strava.com/activities/42", "42"),
        ("www.strava.com/activities/42", "42"),
        ("strava.com/activities/42", "42"),
        ("https://www.strava.com/activities/42/", "42"),
        ("https://www.strava.com/activities/42/overview", "42"),
        ("https://www.strava.com/activities/42/segments/7", "42"),
        ("https://www.strava.com/activities/42?share_sig=AB12&utm_source=ios", "42"),
        ("https://www.strava.com/activities/42#comments", "42"),
        ("https://www.strava.com/activities/42?from=/activities/7", "42"),
        ("9" * 20, "9" * 20),
        ("", ""),
        ("   ", ""),
    ],
)
def test_an_activity_id_or_its_strava_link_is_stored_as_the_id(given, stored):
    assert parse_strava(given) == stored


@pytest.mark.parametrize(
    "given",
    [
        "0",
        0,
        -5,
        True,
        "12ab",
        "٤٢",  # Arabic-Indic digits
        "1" * 21,
        "https://www.strava.com/athletes/42",
        "https://www.strava.com/routes/42",
        "https://www.strava.com/activities/",
        "https://www.strava.com/activities/42abc",
        "https://evil.example.org/activities/42",
        "https://www.strava.com.evil.example.org/activities/42",
        "https://strava.app.link/Xy12",
        "ftp://www.strava.com/activities/42",
        "javascript:alert(1)",
        "https://www.strava.com/activities/42 and more",
        None,
        4.2,
    ],
)
def test_anything_else_is_refused_with_the_rule(given):
    with pytest.raises(ValidationError) as raised:
        parse_strava(given)
    assert raised.value.messages == [
        "Give the Strava activity as its number or as https://www.strava.com/activities/<number>."
    ]


@pytest.mark.parametrize(
    "given",
    ["42", "0042", "https://www.strava.com/activities/42/overview", "strava.com/activities/1"],
)
def test_the_api_document_pattern_accepts_what_the_rule_accepts(given):
    assert re.fullmatch(STRAVA_ACTIVITY_PATTERN, given)


@pytest.mark.parametrize("given", ["0", "12ab", "https://www.strava.com/athletes/42", "1" * 21])
def test_the_api_document_pattern_refuses_what_the_rule_refuses(given):
    assert not re.fullmatch(STRAVA_ACTIVITY_PATTERN, given)


def test_the_strava_page_is_built_from_the_stored_id():
    assert strava_url("42") == "https://www.strava.com/activities/42"
    assert strava_url("") == ""


def test_a_google_street_view_link_is_stored_trimmed_and_otherwise_as_given():
    link = "https://www.google.com/maps/@46.2,6.1,3a,75y?entry=ttu#x"
    assert parse_google_street_view(f"  {link}\n") == link
    assert parse_google_street_view("https://maps.app.goo.gl/abc?") == (
        "https://maps.app.goo.gl/abc?"
    )
    assert parse_google_street_view("  ") == ""


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("maps.app.goo.gl/abc", "Give the Google Street View link as an https URL."),
        ("http://maps.app.goo.gl/abc", "Give the Google Street View link as an https URL."),
        ("https://evil.example.org/maps", "is a Google Maps link"),
        (
            "https://maps.app.goo.gl/" + "x" * GOOGLE_STREET_VIEW_MAX_LENGTH,
            f"at most {GOOGLE_STREET_VIEW_MAX_LENGTH} characters",
        ),
    ],
)
def test_a_link_that_is_no_google_maps_link_is_refused(given, message):
    with pytest.raises(ValidationError) as raised:
        parse_google_street_view(given)
    assert message in raised.value.messages[0]
