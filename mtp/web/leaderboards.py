"""The leaderboard page: who mapped the most, with the API's filters, as a plain GET form."""

import math
from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mtp.sequences.leaderboard import (
    PERIOD_DAYS,
    Criteria,
    camera_make_ids,
    decode_cursor,
    encode_cursor,
    standings,
    transport_type_ids,
)
from mtp.sequences.models import transport_types_by_name
from mtp.web.forms import transport_type_choices

PER_PAGE = 50
METRIC_CHOICES = [
    ("images", "Photos"),
    ("distance", "Distance"),
    ("sequences", "Sequences"),
    ("photo_likes", "Likes of their photos"),
]
PERIOD_CHOICES = [
    ("all", "All time"),
    ("year", "Last 365 days"),
    ("month", "Last 30 days"),
    ("week", "Last 7 days"),
]


class LeaderboardForm(forms.Form):
    """The leaderboard's filters; every one optional, bad values reported."""

    metric = forms.ChoiceField(label="Rank by", choices=METRIC_CHOICES, required=False)
    period = forms.ChoiceField(label="Captured", choices=PERIOD_CHOICES, required=False)
    type = forms.ChoiceField(label="Transport type", required=False)
    camera_make = forms.CharField(label="Camera make", required=False, max_length=100)
    bbox = forms.CharField(
        label="Area",
        required=False,
        max_length=200,
        help_text="west,south,east,north in degrees: sequences crossing this box.",
    )
    cursor = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [  # type: ignore[attr-defined]
            ("", "Any transport type"),
            *transport_type_choices(with_groups=True),
        ]

    def clean_bbox(self) -> tuple[float, float, float, float] | None:
        text = self.cleaned_data["bbox"].strip()
        if not text:
            return None
        try:
            west, south, east, north = (float(part) for part in text.split(","))
        except ValueError:
            raise ValidationError("Give four numbers: west,south,east,north.") from None
        if not all(math.isfinite(value) for value in (west, south, east, north)):
            raise ValidationError("Give four numbers: west,south,east,north.")
        if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
            raise ValidationError(
                "Longitudes are -180 to 180, latitudes -90 to 90, south below north."
            )
        return west, south, east, north

    def clean_cursor(self) -> tuple[int, int] | None:
        text = self.cleaned_data["cursor"]
        if not text:
            return None
        try:
            return decode_cursor(text)
        except ValueError:
            raise ValidationError(
                "This page link is not valid: start from the first page."
            ) from None

    def criteria(self) -> Criteria:
        data = self.cleaned_data
        kinds = None
        if data.get("type"):
            kind = transport_types_by_name().get(data["type"].lower())
            kinds = transport_type_ids([kind]) if kind is not None else frozenset()
        days = PERIOD_DAYS[data.get("period") or "all"]
        return Criteria(
            metric=data.get("metric") or "images",
            transport_type_ids=kinds,
            camera_make_ids=camera_make_ids([data["camera_make"]])
            if data.get("camera_make")
            else None,
            captured_from=timezone.now() - timedelta(days=days) if days else None,
            bbox=data.get("bbox"),
        )


def _without_cursor(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("cursor", None)
    return query.urlencode()


def leaderboard(request: HttpRequest) -> HttpResponse:
    """People ranked by what they published: photos, distance or sequences."""
    form = LeaderboardForm(request.GET or None)
    rows, next_query = None, None
    if not form.is_bound or form.is_valid():
        if not form.is_bound:
            form = LeaderboardForm({})
            form.is_valid()
        criteria = form.criteria()
        rows = standings(criteria, limit=PER_PAGE + 1, after=form.cleaned_data.get("cursor"))
        if len(rows) > PER_PAGE:
            query = request.GET.copy()
            query["cursor"] = encode_cursor(rows[PER_PAGE - 1])
            next_query = query.urlencode()
            rows = rows[:PER_PAGE]
    context = {
        "form": form,
        "rows": rows,
        "metric": (form.cleaned_data.get("metric") if form.is_valid() else None) or "images",
        "next_query": next_query,
        "first_page": not request.GET.get("cursor"),
        "first_query": _without_cursor(request),
    }
    return render(request, "web/leaderboard.html", context)
