"""Challenge pages: the list, a challenge with its area, leaderboard and time left, a new one."""

import json
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from mtp.accounts.requests import SignedInRequest
from mtp.challenges import actions
from mtp.challenges.areas import parse_area
from mtp.challenges.models import (
    DESCRIPTION_MAX_LENGTH,
    MAX_CAMERA_MAKES,
    NAME_MAX_LENGTH,
    Challenge,
    may_create_challenges,
)
from mtp.lib.dates import in_utc
from mtp.lib.text import validate_line, validate_lines
from mtp.sequences.leaderboard import METRICS, photo_count, standings
from mtp.sequences.models import TransportType
from mtp.web.forms import transport_type_choices
from mtp.web.maps import map_config, published_extent

LEADERBOARD_SIZE = 50
PER_PAGE = 20
# Running challenges shown on Explore.
NEAR_LIMIT = 5


def challenges_near(box: tuple[float, float, float, float] | None) -> list[Challenge]:
    """Running challenges whose area meets the box (any, without one), ending soonest first."""
    queryset = Challenge.objects.active()
    if box is not None:
        queryset = queryset.in_bbox(*box)
    return list(
        queryset.select_related("owner")
        .defer("area", "area_outline")
        .order_by("end", "id")[:NEAR_LIMIT]
    )


def challenge_list(request: HttpRequest) -> HttpResponse:
    """Running challenges first (ending soonest first), then those to come, then past ones."""
    now = timezone.now()
    # Their names and windows: not their areas, which may have thousands of corners each.
    challenges = Challenge.objects.select_related("owner").defer("area", "area_outline")
    running = list(challenges.active(now).order_by("end", "id"))
    upcoming = list(challenges.filter(start__gt=now).order_by("start", "id"))
    past = Paginator(
        challenges.filter(end__lte=now).order_by("-end", "-id"),
        PER_PAGE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "web/challenges.html",
        {
            "running": running,
            "upcoming": upcoming,
            "past": past,
            "may_create": may_create_challenges(request.user),
        },
    )


def challenge_detail(request: HttpRequest, unique_id: UUID) -> HttpResponse:
    """A challenge: its area, window, what counts, photos inside so far and its leaderboard."""
    # Without its area, which may have thousands of corners: the map draws the outline kept
    # with it, and the leaderboard counts through the area's pieces.
    challenge = get_object_or_404(
        Challenge.objects.select_related("owner").prefetch_related("transport_types").defer("area"),
        unique_id=unique_id,
    )
    metric = request.GET.get("metric", "images")
    if metric not in METRICS:
        metric = "images"
    now = timezone.now()
    photos_inside = photo_count(challenge.criteria())
    context = {
        "challenge": challenge,
        "metric": metric,
        "metrics": [("images", "Photos"), ("distance", "Distance"), ("sequences", "Sequences")],
        "rows": standings(challenge.criteria(metric), limit=LEADERBOARD_SIZE),
        "photos_inside": photos_inside,
        "uncounted": uncounted(challenge) if photos_inside == 0 else None,
        "started": challenge.start <= now,
        "ended": challenge.end <= now,
        "feature": challenge.to_feature(outline=True),
        "map_config": map_config(request),
    }
    return render(request, "web/challenge.html", context)


def uncounted(challenge: Challenge) -> dict[str, int]:
    """Why a challenge counts no photo when its area holds some: how many published photos in
    the area were taken outside its window (of the ways of travel and cameras it counts), and
    how many more of other ways of travel or cameras."""
    counted = challenge.criteria()
    any_time = replace(counted, captured_from=None, captured_until=None)
    anything = replace(any_time, transport_type_ids=None, camera_make_ids=None)
    other_times = photo_count(any_time)
    return {"other_times": other_times, "other_kinds": photo_count(anything) - other_times}


def _utc(moment: datetime) -> datetime:
    # A time typed with an offset may have no UTC value, which the databases need (as the API).
    try:
        return in_utc(moment)
    except ValueError as error:
        raise ValidationError(str(error)) from None


class ChallengeForm(forms.Form):
    """A new challenge. The area is GeoJSON: drawn on the map, or pasted without JavaScript."""

    name = forms.CharField(max_length=NAME_MAX_LENGTH, validators=[validate_line])
    description = forms.CharField(
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        validators=[validate_lines],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    area = forms.CharField(
        label="Area",
        max_length=500_000,
        help_text="Draw it on the map; or paste a GeoJSON Polygon or MultiPolygon "
        "(longitude, latitude).",
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )
    transport_types = forms.MultipleChoiceField(
        label="Ways of travel that count",
        required=False,
        help_text="None selected: any.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    camera_makes = forms.CharField(
        label="Camera makes that count",
        required=False,
        max_length=2000,
        help_text="Comma-separated; empty: any.",
    )
    start = forms.DateTimeField(
        label="Starts (UTC)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    end = forms.DateTimeField(
        label="Ends (UTC)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["transport_types"].choices = transport_type_choices(  # type: ignore[attr-defined]
            with_groups=True
        )

    def clean_area(self):
        try:
            data = json.loads(self.cleaned_data["area"])
        except (ValueError, RecursionError):
            # RecursionError: nested deeper than the parser goes, which no GeoJSON is.
            raise ValidationError("The area is not GeoJSON: draw it on the map.") from None
        if isinstance(data, dict) and data.get("type") == "Feature":
            data = data.get("geometry")
        return parse_area(data)

    def clean_start(self) -> datetime:
        return _utc(self.cleaned_data["start"])

    def clean_end(self) -> datetime:
        return _utc(self.cleaned_data["end"])

    def clean_camera_makes(self) -> list[str]:
        names: list[str] = []
        for part in self.cleaned_data["camera_makes"].split(","):
            name = part.strip()
            validate_line(name)
            if name and name.lower() not in [known.lower() for known in names]:
                if len(name) > 100:
                    raise ValidationError("A camera make is at most 100 characters.")
                names.append(name)
        if len(names) > MAX_CAMERA_MAKES:
            raise ValidationError(f"At most {MAX_CAMERA_MAKES} camera makes.")
        return names

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] <= cleaned["start"]:
            self.add_error("end", "The end must be after the start.")
        return cleaned


@login_required
@require_http_methods(["GET", "POST"])
def challenge_new(request: SignedInRequest) -> HttpResponse:
    """Create a challenge by drawing its area (staff only unless the server lets everyone)."""
    if not may_create_challenges(request.user):
        raise PermissionDenied
    form = ChallengeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        names = [name.lower() for name in data["transport_types"]]
        kinds = [kind for kind in TransportType.objects.all() if kind.name.lower() in names]
        challenge = actions.create_challenge(
            request.user,
            name=data["name"].strip(),
            description=data["description"].strip(),
            camera_makes=data["camera_makes"],
            start=data["start"],
            end=data["end"],
            area=data["area"],
            transport_type_ids=[kind.pk for kind in kinds],
        )
        return redirect(challenge)
    return render(
        request,
        "web/challenge_new.html",
        # The drawing map opens on the published routes, where an area is worth drawing.
        {"form": form, "map_config": map_config(request, extent=published_extent())},
    )
