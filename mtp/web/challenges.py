"""Challenge pages: the list, a challenge with its area, leaderboard and time left."""

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from mtp.challenges.models import Challenge
from mtp.sequences.leaderboard import METRICS, photo_count, standings

LEADERBOARD_SIZE = 50


def challenge_detail(request: HttpRequest, unique_id: UUID) -> HttpResponse:
    """A challenge: its area, window, what counts, photos inside so far and its leaderboard."""
    challenge = get_object_or_404(
        Challenge.objects.select_related("owner").prefetch_related("transport_types"),
        unique_id=unique_id,
    )
    metric = request.GET.get("metric", "images")
    if metric not in METRICS:
        metric = "images"
    now = timezone.now()
    context = {
        "challenge": challenge,
        "metric": metric,
        "metrics": [("images", "Photos"), ("distance", "Distance"), ("sequences", "Sequences")],
        "rows": standings(challenge.criteria(metric), limit=LEADERBOARD_SIZE),
        "photos_inside": photo_count(challenge.criteria()),
        "started": challenge.start <= now,
        "ended": challenge.end <= now,
        "feature": challenge.to_feature(),
    }
    return render(request, "web/challenge.html", context)
