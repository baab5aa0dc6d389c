"""Photos on the site: a photo's like button in the viewer (``like_photo``), Explore's Photos
tab (the most liked photos) and the photo leaderboard, with the leaderboard's filters, and what
other sequences saw where a photo was taken (``photo_nearby``)."""

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from mtp.sequences import actions
from mtp.sequences.leaderboard import (
    decode_photo_cursor,
    encode_photo_cursor,
    most_liked_photos,
)
from mtp.sequences.models import Image
from mtp.sequences.nearby import NearbySearch, nearby
from mtp.web.leaderboards import LeaderboardForm

PER_PAGE = 48


class PhotoFilters(LeaderboardForm):
    """The leaderboard's filters without its measure: photos are ranked by their likes."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["metric"]
        self.fields["period"].help_text = "When the photos were taken."
        self.fields["bbox"].help_text = "west,south,east,north in degrees: photos in this box."

    def clean_cursor(self):
        text = self.cleaned_data["cursor"]
        if not text:
            return None
        try:
            return decode_photo_cursor(text)
        except ValueError:
            raise ValidationError(
                "This page link is not valid: start from the first page."
            ) from None

    def criteria(self):
        self.cleaned_data["metric"] = "photo_likes"
        return super().criteria()


def _page(request: HttpRequest) -> dict:
    """The filters and a page of the most liked photos, as both pages show them."""
    form = PhotoFilters(request.GET or {})
    rows, next_query = None, None
    if form.is_valid():
        rows = most_liked_photos(
            form.criteria(), limit=PER_PAGE + 1, after=form.cleaned_data.get("cursor")
        )
        if len(rows) > PER_PAGE:
            query = request.GET.copy()
            query["cursor"] = encode_photo_cursor(rows[PER_PAGE - 1])
            next_query = query.urlencode()
            rows = rows[:PER_PAGE]
    first_query = request.GET.copy()
    first_query.pop("cursor", None)
    return {
        "form": form,
        "rows": rows,
        "next_query": next_query,
        "first_page": not request.GET.get("cursor"),
        "first_query": first_query.urlencode(),
    }


def photo_list(request: HttpRequest) -> HttpResponse:
    """Explore's Photos tab: the most liked photos, with their sequence and owner."""
    return render(request, "web/photos.html", _page(request))


def photo_leaderboard(request: HttpRequest) -> HttpResponse:
    """The leaderboard of photos: the most liked, by period, transport type and area."""
    return render(request, "web/photo_leaderboard.html", _page(request))


@login_required
@require_POST
def like_photo(request: HttpRequest, key: str) -> HttpResponse:
    """Like a photo (``like=0``: no longer). The viewer's button sends it with fetch and is
    answered with JSON; the form without the script is sent back to the photo."""
    liked = request.POST.get("like") != "0"
    try:
        count = actions.like_image(request.user, key, liked)
    except (Image.DoesNotExist, actions.NotPublished):
        raise Http404("No photo with this key.") from None
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"key": key, "liked": liked, "like_count": count})
    sequence_id = Image.objects.filter(key=key).values_list("sequence__unique_id", flat=True)[0]
    return redirect(f"{reverse('web:sequence', args=[sequence_id])}?photo={quote(key)}#photo-like")


# Degrees either side of a photo's heading that count as looking the same way.
SAME_WAY_DEG = 60.0
NEARBY_SHOWN = 8


def photo_nearby(request: HttpRequest, key: str) -> HttpResponse:
    """``/photos/<key>/nearby.json``: what other sequences saw where a published photo was
    taken, looking the same way (panoramas look every way), nearest first: the viewer's "Here
    at other times". One photo of each sequence (``mtp.sequences.nearby``)."""
    photo = (
        Image.objects.filter(key=key, sequence__status="published")
        .select_related("sequence")
        .only("point", "compass_angle", "is_pano", "sequence__unique_id", "sequence__status")
        .first()
    )
    if photo is None:
        raise Http404("No published photo with this key.")
    heading = None if photo.is_pano or photo.compass_angle is None else photo.compass_angle
    found = nearby(
        NearbySearch(
            lon=photo.point.x,
            lat=photo.point.y,
            heading=heading,
            tolerance=SAME_WAY_DEG,
            exclude=photo.sequence.unique_id,
            limit=NEARBY_SHOWN,
        )
    )
    return JsonResponse(
        {
            "key": key,
            "results": [
                {
                    "key": item["key"],
                    "captured_at": item["captured_at"],
                    "distance_m": item["distance_m"],
                    "thumb": item["thumb_256_url"],
                    "sequence": item["sequence"]["name"],
                    "owner": item["sequence"]["owner"],
                    "url": reverse("web:sequence", args=[item["sequence"]["unique_id"]])
                    + f"?photo={quote(item['key'])}",
                }
                for item in found
            ],
        }
    )
