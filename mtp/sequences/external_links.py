"""A sequence's links elsewhere: its Strava activity and its Google Street View upload.

The rules here are the only ones: the API, the website's form, the admin and the data
migration that normalised older rows all go through them, so a value is stored in one form
whatever path wrote it.
"""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

# Strava ------------------------------------------------------------------------------------------

# An activity id: digits ([0-9], not \d: never another script's digits), at most 20 of them once
# leading zeros are dropped (the API document's integer maximum is 10**20 - 1).
_ACTIVITY_ID = "0*[1-9][0-9]{0,19}"
# What may be given for an activity: its id, or its page on strava.com as browsers and the app's
# share button give it (http or https or none, with or without www, then the page's own paths,
# query and fragment: /overview, ?share_sig=..., #comments). Written for both Python and the
# OpenAPI document's ECMAScript patterns.
STRAVA_ACTIVITY_PATTERN = (
    f"(https?://)?(www\\.)?strava\\.com/activities/{_ACTIVITY_ID}([/?#][^\\s\\x00]*)?"
    f"|{_ACTIVITY_ID}/?"
)
STRAVA_ACTIVITY = re.compile(f"^(?:{STRAVA_ACTIVITY_PATTERN})$")
STRAVA_RULE = (
    "Give the Strava activity as its number or as https://www.strava.com/activities/<number>."
)


def parse_strava(value: str | int) -> str:
    """The Strava activity ``value`` names, in its stored form: its id as digits ("42").

    ``value`` is the id (a positive number, or its digits) or the activity's strava.com link.
    Blank text gives "" (no activity). Raises ValidationError otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationError(STRAVA_RULE, code="invalid_strava")
    if isinstance(value, int):
        if value <= 0:
            raise ValidationError(STRAVA_RULE, code="invalid_strava")
        value = str(value)
    text = value.strip()
    if not text:
        return ""
    if not STRAVA_ACTIVITY.match(text):
        raise ValidationError(STRAVA_RULE, code="invalid_strava")
    _, found, after = text.partition("/activities/")
    rest = after if found else text
    digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
    return digits.lstrip("0")


def strava_url(activity: str) -> str:
    """The page of the Strava activity with the stored id ``activity``; "" for none."""
    return f"https://www.strava.com/activities/{activity}" if activity else ""


# Google Street View ------------------------------------------------------------------------------

GOOGLE_STREET_VIEW_MAX_LENGTH = 500
# Google's hosts that serve Google Maps (a Street View share link is a Google Maps link).
GOOGLE_HOST = re.compile(r"(?:www\.|maps\.)?google\.(?:com|[a-z]{2}|com?\.[a-z]{2})")


def google_street_view_problem(url: str) -> str | None:
    """Why ``url`` is not a Google Maps link (https://maps.app.goo.gl/...,
    https://www.google.com/maps/..., https://maps.google.com/...), or None."""
    try:
        URLValidator(schemes=["https"])(url)
    except ValidationError:
        return "Give the Google Street View link as an https URL."
    parts = urlsplit(url)
    host, path = parts.hostname or "", parts.path
    if not parts.username and not parts.password and parts.port is None:
        if host == "maps.app.goo.gl" or (host == "goo.gl" and path.startswith("/maps/")):
            return None
        if GOOGLE_HOST.fullmatch(host) and (host.startswith("maps.") or path.startswith("/maps")):
            return None
    return (
        "A Google Street View link is a Google Maps link, such as https://maps.app.goo.gl/... "
        "or https://www.google.com/maps/..."
    )


def parse_google_street_view(value: str) -> str:
    """The Google Street View link ``value`` as stored: trimmed, otherwise as given ("" for
    none). Raises ValidationError when it is too long or not a Google Maps link."""
    text = value.strip()
    if not text:
        return ""
    if len(text) > GOOGLE_STREET_VIEW_MAX_LENGTH:
        raise ValidationError(
            f"A link is at most {GOOGLE_STREET_VIEW_MAX_LENGTH} characters.", code="invalid_link"
        )
    if problem := google_street_view_problem(text):
        # No params: Django would format the message with %.
        raise ValidationError(problem, code="invalid_link")
    return text
