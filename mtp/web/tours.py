"""Tour pages: a tour (its routes on one map, in order, and the photo viewer walking across
them), the tours on Explore, a new tour, adding a sequence to a tour, editing with reordering
that works from the keyboard (and without the script), and likes of tours."""

from itertools import accumulate
from urllib.parse import urlencode
from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from mtp.accounts.models import public_name
from mtp.accounts.requests import SignedInRequest
from mtp.lib.text import validate_line, validate_lines
from mtp.sequences.links import photo_path_prefix, photo_url
from mtp.sequences.models import Image, Sequence
from mtp.sequences.photos import photos_available
from mtp.sequences.tags import parse_tags
from mtp.tours import actions
from mtp.tours.formats import geojson_response, gpx_response
from mtp.tours.models import (
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    Tour,
    TourLike,
)
from mtp.web.maps import WEB_CLIENT_ID, map_config
from mtp.web.templatetags.web import distance

PER_PAGE = 20
STRIP_SIDE = 5


class TourForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX_LENGTH, strip=True, validators=[validate_line])
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=DESCRIPTION_MAX_LENGTH,
        validators=[validate_lines],
    )
    tags = forms.CharField(required=False, help_text="Separated by commas: lake, geneva")
    status = forms.ChoiceField(
        choices=[("published", "Published: anyone can see it"), ("draft", "Draft: only you")],
        initial="published",
    )

    def clean_tags(self) -> list[str]:
        try:
            return parse_tags(self.cleaned_data.get("tags") or "")
        except ValidationError as error:
            raise forms.ValidationError(error.messages[0]) from None


def _visible_tour(request: HttpRequest, unique_id: UUID) -> Tour:
    user = request.user if request.user.is_authenticated else None
    return get_object_or_404(
        Tour.objects.visible_to(user).select_related("owner"), unique_id=unique_id
    )


def _own_tour(request: SignedInRequest, unique_id: UUID) -> Tour:
    return get_object_or_404(
        Tour.objects.filter(owner=request.user).select_related("owner"), unique_id=unique_id
    )


def _routes(tour: Tour) -> list[Sequence]:
    routes = (
        Sequence.objects.published()
        .filter(tour_entries__tour=tour)
        .select_related("owner", "transport_type")
        .order_by("tour_entries__position")
    )
    return list(routes.defer("geometry"))


PHOTO_VALUES = ("key", "point", "compass_angle", "captured_at", "is_pano")
# What the tour's page shows of each route.
ROUTE_VALUES = (
    *("id", "unique_id", "name", "image_count", "distance_m"),
    *("bbox_west", "bbox_south", "bbox_east", "bbox_north"),
    *("transport_type__name", "owner__username", "owner__display_name"),
)


def _route_rows(tour: Tour) -> list[dict]:
    """The tour's published routes in order, as values with their link and the line the page
    shows under each: a tour may hold 500 routes, whose models and template lookups (a
    ``reverse()`` each) cost more than the rest of the page."""
    rows = list(
        Sequence.objects.published()
        .filter(tour_entries__tour=tour)
        .order_by("tour_entries__position")
        .values(*ROUTE_VALUES)
    )
    blank = str(UUID(int=0))
    link = reverse("web:sequence", args=[blank])
    for row in rows:
        count = row["image_count"]
        by = public_name(row["owner__username"], row["owner__display_name"])
        row["url"] = link.replace(blank, str(row["unique_id"]))
        row["meta"] = (
            f"{row['transport_type__name']} by {by} · {distance(row['distance_m'])} · "
            f"{count} photo{'' if count == 1 else 's'}"
        )
    return rows


def _photo(row: tuple, place: int) -> list:
    """A photo in the viewer's form ``[key, lon, lat, angle, time, pano, route number]``."""
    key, point, angle, captured_at, is_pano = row
    return [
        key,
        round(point.x, 7),
        round(point.y, 7),
        round(angle, 1) if angle is not None else None,
        int(captured_at.timestamp()) if captured_at else None,
        int(is_pano),
        place,
    ]


def _route_photos(route: dict, start: int, stop: int) -> list[tuple]:
    """The route's photos ``start`` to ``stop`` (0-based, in capture order) as values."""
    rows = Image.objects.filter(sequence_id=route["id"]).order_by("position", "id")
    return list(rows.values_list(*PHOTO_VALUES)[start:stop])


def _place_of(routes: list[dict], firsts: list[int], key: str | None) -> int:
    """The number (0-based, across the routes) of the photo ``key``, or 0."""
    if not key:
        return 0
    place = {route["id"]: number for number, route in enumerate(routes)}
    found = (
        Image.objects.filter(key=key, sequence_id__in=list(place))
        .values_list("sequence_id", "position", "id")
        .first()
    )
    if found is None:
        return 0
    sequence_id, position, pk = found
    before = (
        Image.objects.filter(sequence_id=sequence_id)
        .filter(Q(position__lt=position) | Q(position=position, id__lt=pk))
        .count()
    )
    return firsts[place[sequence_id]] + before


def _photos_between(routes: list[dict], firsts: list[int], low: int, high: int) -> dict:
    """The photos numbered ``low`` to ``high`` (excluded) across the routes, by number: the
    few the page shows, read from the one or two routes they are on."""
    photos: dict[int, list] = {}
    for place, (route, first) in enumerate(zip(routes, firsts, strict=True)):
        start, stop = max(low, first), min(high, first + route["image_count"])
        if start >= stop:
            continue
        rows = _route_photos(route, start - first, stop - first)
        for number, row in enumerate(rows, start=start):
            photos[number] = _photo(row, place)
    return photos


def _viewer(request: HttpRequest, tour: Tour, routes: list[dict]) -> dict:
    """The viewer as the page renders it: the photo asked for (``?photo=``), its neighbours
    and a strip around it, read alone; the script loads each route's photos from the API as
    the viewer reaches it (a tour may hold 500 routes of thousands of photos each)."""
    counts = [route["image_count"] for route in routes]
    total = sum(counts)
    if not total:
        return {"viewer": None}
    if (
        not photos_available()
        and not Image.objects.filter(sequence_id__in=[route["id"] for route in routes])
        .exclude(kept_copy="")
        .exists()
    ):
        return {"viewer": None, "photos_unavailable": True}
    firsts = [0, *accumulate(counts)][:-1]
    index = min(_place_of(routes, firsts, request.GET.get("photo")), total - 1)
    low = max(0, min(index - STRIP_SIDE, total - 2 * STRIP_SIDE - 1))
    photos = _photos_between(routes, firsts, low, min(total, low + 2 * STRIP_SIDE + 1))
    if index not in photos:
        return {"viewer": None}

    def item(position: int) -> dict:
        photo = photos[position]
        route = routes[photo[6]]
        return {
            "key": photo[0],
            "number": position + 1,
            "is_pano": bool(photo[5]),
            "alt": f"{route['name']} (route {photo[6] + 1} of {len(routes)}): photo {position + 1} "
            f"of {total}",
            "thumb": photo_url(photo[0], "256"),
            "large": photo_url(photo[0], "2048" if photo[5] else "1024"),
            "route": route,
            "route_number": photo[6] + 1,
        }

    images = reverse("api:list_images", args=[UUID(int=0)]).replace(str(UUID(int=0)), "{id}")
    return {
        "viewer": {
            "photo": item(index),
            "previous": photos[index - 1][0] if index - 1 in photos else None,
            "next": photos[index + 1][0] if index + 1 in photos else None,
            "strip": [item(number) for number in sorted(photos)],
            "total": total,
        },
        "viewer_config": {
            "photoUrl": photo_path_prefix(),
            "viewer": static("mtp/viewer.js"),
            "pannellum": static("vendor/pannellum/pannellum.js"),
            "pannellumCss": static("vendor/pannellum/pannellum.css"),
            "name": tour.name,
            "stripSide": STRIP_SIDE,
            "position": index,
            # A route's photos, 100 at a time: the API's list of a sequence's images.
            "images": f"{images}?client_id={WEB_CLIENT_ID}&limit=100",
            "routes": [
                {
                    "name": route["name"],
                    "url": route["url"],
                    "id": str(route["unique_id"]),
                    "first": first,
                    "count": route["image_count"],
                }
                for route, first in zip(routes, firsts, strict=True)
            ],
        },
    }


def tour_detail(request: HttpRequest, unique_id: UUID) -> HttpResponseBase:
    """A tour: its routes on one map and in order, and the viewer walking across them; with
    ``?format=geojson`` or ``?format=gpx``, its routes to download (streamed)."""
    tour = _visible_tour(request, unique_id)
    if "format" in request.GET:
        return _download(tour, request.GET["format"])
    routes = _route_rows(tour)
    # A route has its four bounds or none (Sequence sets them together).
    boxes = [
        (route["bbox_west"], route["bbox_south"], route["bbox_east"], route["bbox_north"])
        for route in routes
        if route["bbox_west"] is not None
    ]
    box = (
        [
            min(west for west, _, _, _ in boxes),
            min(south for _, south, _, _ in boxes),
            max(east for _, _, east, _ in boxes),
            max(north for _, _, _, north in boxes),
        ]
        if boxes
        else None
    )
    user = request.user
    image_count = sum(route["image_count"] for route in routes)
    context = {
        "tour": tour,
        "routes": routes,
        "tags": list(tour.tags.order_by("name")),
        "is_owner": user.is_authenticated and tour.owner_id == user.pk,
        "liked": user.is_authenticated and TourLike.objects.filter(tour=tour, user=user).exists(),
        "image_count": image_count,
        "distance_m": sum(route["distance_m"] for route in routes),
        "has_route": bool(boxes),
        "map_config": map_config(
            request,
            sequence={
                # The routes' lines come from the tour's GeoJSON, the photos with the viewer.
                "route": [],
                "routesUrl": f"{tour.get_absolute_url()}?format=geojson",
                "photos": [],
                "bbox": box,
                "total": image_count,
            },
            name=tour.name,
        ),
        **_viewer(request, tour, routes),
    }
    return render(request, "web/tour.html", context)


def _download(tour: Tour, kind: str) -> HttpResponseBase:
    """The tour as GeoJSON or GPX, as the API streams it, to save."""
    if kind == "gpx":
        response = gpx_response(tour)
    elif kind == "geojson":
        response = geojson_response(tour)
    else:
        return HttpResponse(
            "Unknown format: use format=geojson or format=gpx.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    name = f"{slugify(tour.name) or 'tour'}-{str(tour.unique_id)[:8]}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def tour_list(request: HttpRequest) -> HttpResponse:
    """Explore's Tours tab: published tours, newest or most liked first, with a text search."""
    sort = "likes" if request.GET.get("sort") == "likes" else "newest"
    queryset = Tour.objects.published().select_related("owner")
    text = (request.GET.get("q") or "").strip()[:100]
    if text:
        queryset = queryset.matching_text(text)
    order = ["-like_count", "-id"] if sort == "likes" else ["-published_at", "-id"]
    page = Paginator(queryset.order_by(*order), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "sort": sort,
        "q": text,
        "noun": "tour",
        "query": urlencode({"q": text, "sort": sort}),
        "new_url": reverse("web:tour-new"),
    }
    return render(request, "web/tours.html", context)


# Making and changing tours --------------------------------------------------------------------


@login_required
def tour_new(request: SignedInRequest) -> HttpResponse:
    """A new tour, with the sequence ``?sequence=`` (or the form's) as its first route."""
    first = _published_sequence(request.POST.get("sequence") or request.GET.get("sequence"))
    form = TourForm(request.POST or None, initial={"name": first.name if first else ""})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        tour = actions.create_tour(
            request.user,
            name=data["name"],
            description=data["description"],
            status=data["status"],
            tags=data["tags"],
            sequence_ids=[first.pk] if first else [],
        )
        return redirect("web:tour-edit", tour.unique_id)
    return render(request, "web/tour_new.html", {"form": form, "first": first})


def _published_sequence(unique_id: str | None) -> Sequence | None:
    if not unique_id:
        return None
    try:
        UUID(unique_id)
    except ValueError:
        return None
    return Sequence.objects.published().filter(unique_id=unique_id).first()


@login_required
def tour_add(request: SignedInRequest) -> HttpResponse:
    """Add a published sequence to one of your tours (the end of it), or start a new one."""
    sequence = _published_sequence(request.POST.get("sequence") or request.GET.get("sequence"))
    if sequence is None:
        raise Http404("No published sequence with this id.")
    tours = list(Tour.objects.filter(owner=request.user).order_by("-updated_at", "-id"))
    if request.method == "POST":
        tour = next((t for t in tours if str(t.unique_id) == request.POST.get("tour")), None)
        if tour is None:
            return redirect(f"{reverse('web:tour-new')}?sequence={sequence.unique_id}")
        actions.add_route(request.user, tour.pk, sequence.pk)
        return redirect("web:tour-edit", tour.unique_id)
    return render(request, "web/tour_add.html", {"sequence": sequence, "tours": tours})


@login_required
def tour_edit(request: SignedInRequest, unique_id: UUID) -> HttpResponse:
    """Change a tour: its fields, and its routes' order with Move up, Move down and Remove
    buttons (ordinary buttons: the keyboard and a page without the script use them)."""
    tour = _own_tour(request, unique_id)
    if request.method == "POST":
        return _edit(request, tour)
    return _edit_page(request, tour, _routes(tour), _tour_form(tour))


def _tour_form(tour: Tour) -> TourForm:
    return TourForm(
        initial={
            "name": tour.name,
            "description": tour.description,
            "tags": ", ".join(tour.tags.order_by("name").values_list("name", flat=True)),
            "status": tour.status,
        }
    )


def _edit_page(request, tour, routes, form, status: int = 200, error: str = "") -> HttpResponse:
    moved = request.GET.get("moved")
    return render(
        request,
        "web/tour_edit.html",
        {
            "tour": tour,
            "routes": routes,
            "form": form,
            "moved": moved,
            "focus": request.GET.get("focus"),
            "error": error,
        },
        status=status,
    )


def _edit(request: HttpRequest, tour: Tour) -> HttpResponse:
    if "move" in request.POST or "remove" in request.POST:
        removed = request.POST.get("remove")
        action, _, which = (
            request.POST.get("move") or (f"remove:{removed}" if removed else "")
        ).partition(":")
        if not which:
            # Every button names its route: an empty one was not sent by the page.
            error = "Choose a route to move or remove."
            return _edit_page(request, tour, _routes(tour), _tour_form(tour), 400, error)
        focus = actions.move_route(request.user, tour.pk, which, action)
        url = reverse("web:tour-edit", args=[tour.unique_id])
        if focus:
            # The moved route keeps the focus, on the button that can move it on the same way
            # (autofocus, which also scrolls to it; a #fragment would keep it from applying).
            return redirect(f"{url}?moved={which}&focus={focus}")
        return redirect(f"{url}#routes")
    form = TourForm(request.POST)
    if not form.is_valid():
        return _edit_page(request, tour, _routes(tour), form, status=400)
    data = form.cleaned_data
    tour = actions.change_tour(
        request.user,
        tour.pk,
        name=data["name"],
        description=data["description"],
        status=data["status"],
        tags=data["tags"],
    )
    return redirect(tour.get_absolute_url())


@login_required
def tour_delete(request: SignedInRequest, unique_id: UUID) -> HttpResponse:
    tour = _own_tour(request, unique_id)
    if request.method == "POST":
        actions.delete_tour(request.user, tour.pk)
        return redirect("accounts:profile", request.user.username)
    return render(request, "web/tour_delete.html", {"tour": tour})


# Likes ----------------------------------------------------------------------------------------


@login_required
@require_POST
def like_tour(request: HttpRequest, unique_id: UUID) -> HttpResponse:
    tour = get_object_or_404(Tour.objects.published(), unique_id=unique_id)
    actions.like_tour(request.user, tour, request.POST.get("like") != "0")
    return redirect(f"{tour.get_absolute_url()}#like")
