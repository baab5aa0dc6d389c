"""Tour pages: a tour (its routes on one map, in order, and the photo viewer walking across
them), the tours on Explore, a new tour, adding a sequence to a tour, editing with reordering
that works from the keyboard (and without the script), and likes of tours."""

from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_POST

from mtp.accounts.requests import SignedInRequest
from mtp.lib.text import validate_line, validate_lines
from mtp.sequences.links import photo_path_prefix, photo_url
from mtp.sequences.models import Image, Sequence
from mtp.sequences.photos import photos_available
from mtp.sequences.tags import parse_tags
from mtp.tours import actions
from mtp.tours.models import (
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    Tour,
    TourLike,
)
from mtp.web.maps import map_config

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


def _routes(tour: Tour, *, geometry: bool = False) -> list[Sequence]:
    routes = (
        Sequence.objects.published()
        .filter(tour_entries__tour=tour)
        .select_related("owner", "transport_type")
        .order_by("tour_entries__position")
    )
    return list(routes if geometry else routes.defer("geometry"))


def _tour_photos(routes: list[Sequence]) -> list[list]:
    """Every photo of the routes, route after route: ``[key, lon, lat, angle, time, pano,
    route number]`` (the viewer's form, with the route's place in the tour)."""
    place = {route.pk: number for number, route in enumerate(routes)}
    rows = (
        Image.objects.filter(sequence_id__in=list(place))
        .order_by("sequence_id", "position", "id")
        .values_list("sequence_id", "key", "point", "compass_angle", "captured_at", "is_pano")
    )
    by_route: dict[int, list[list]] = {pk: [] for pk in place}
    for sequence_id, key, point, angle, captured_at, is_pano in rows.iterator(chunk_size=2000):
        by_route[sequence_id].append(
            [
                key,
                round(point.x, 7),
                round(point.y, 7),
                round(angle, 1) if angle is not None else None,
                int(captured_at.timestamp()) if captured_at else None,
                int(is_pano),
                place[sequence_id],
            ]
        )
    return [photo for route in routes for photo in by_route[route.pk]]


def _viewer(request: HttpRequest, tour: Tour, routes: list[Sequence], photos: list[list]) -> dict:
    if not photos:
        return {"viewer": None}
    if (
        not photos_available()
        and not Image.objects.filter(sequence__in=routes).exclude(kept_copy="").exists()
    ):
        return {"viewer": None, "photos_unavailable": True}
    key = request.GET.get("photo")
    index = next((n for n, photo in enumerate(photos) if photo[0] == key), 0)
    total = len(photos)

    def item(position: int) -> dict:
        photo = photos[position]
        route = routes[photo[6]]
        return {
            "key": photo[0],
            "number": position + 1,
            "is_pano": bool(photo[5]),
            "alt": f"{route.name} (route {photo[6] + 1} of {len(routes)}): photo {position + 1} "
            f"of {total}",
            "thumb": photo_url(photo[0], "256"),
            "large": photo_url(photo[0], "2048" if photo[5] else "1024"),
            "route": route,
            "route_number": photo[6] + 1,
        }

    low = max(0, min(index - STRIP_SIDE, total - 2 * STRIP_SIDE - 1))
    return {
        "viewer": {
            "photo": item(index),
            "previous": photos[index - 1][0] if index > 0 else None,
            "next": photos[index + 1][0] if index + 1 < total else None,
            "strip": [item(n) for n in range(low, min(total, low + 2 * STRIP_SIDE + 1))],
            "total": total,
        },
        "viewer_config": {
            "photoUrl": photo_path_prefix(),
            "viewer": static("mtp/viewer.js"),
            "pannellum": static("vendor/pannellum/pannellum.js"),
            "pannellumCss": static("vendor/pannellum/pannellum.css"),
            "name": tour.name,
            "stripSide": STRIP_SIDE,
            "routes": [{"name": route.name, "url": route.get_absolute_url()} for route in routes],
        },
    }


def tour_detail(request: HttpRequest, unique_id: UUID) -> HttpResponse:
    """A tour: its routes on one map and in order, and the viewer walking across them."""
    tour = _visible_tour(request, unique_id)
    routes = _routes(tour, geometry=True)
    photos = _tour_photos(routes)
    lines = [[list(point) for point in route.geometry] for route in routes if route.geometry]
    # A route has its four bounds or none (Sequence sets them together).
    boxes = [
        (route.bbox_west, route.bbox_south, route.bbox_east, route.bbox_north)
        for route in routes
        if route.bbox_west is not None
        and route.bbox_south is not None
        and route.bbox_east is not None
        and route.bbox_north is not None
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
    context = {
        "tour": tour,
        "routes": routes,
        "tags": list(tour.tags.order_by("name")),
        "is_owner": user.is_authenticated and tour.owner_id == user.pk,
        "liked": user.is_authenticated and TourLike.objects.filter(tour=tour, user=user).exists(),
        "image_count": sum(route.image_count for route in routes),
        "distance_m": sum(route.distance_m for route in routes),
        "has_route": bool(photos or lines),
        "map_config": map_config(
            request,
            sequence={
                "route": [],
                "routes": lines,
                "photos": photos,
                "bbox": box,
                "total": len(photos),
            },
            name=tour.name,
        ),
        **_viewer(request, tour, routes, photos),
    }
    return render(request, "web/tour.html", context)


def tour_list(request: HttpRequest) -> HttpResponse:
    """Explore's Tours tab: published tours, newest or most liked first, with a text search."""
    sort = "likes" if request.GET.get("sort") == "likes" else "newest"
    queryset = Tour.objects.published().select_related("owner")
    text = (request.GET.get("q") or "").strip()[:100]
    if text:
        queryset = queryset.matching_text(text)
    order = ["-like_count", "-id"] if sort == "likes" else ["-published_at", "-id"]
    page = Paginator(queryset.order_by(*order), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/tours.html", {"page": page, "sort": sort, "q": text})


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
