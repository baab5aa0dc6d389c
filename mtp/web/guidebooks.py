"""Guidebook pages: the list (Explore's Guidebooks tab), the reader, and the owner's editor.

The reader shows one scene at a time (``?scene=2``): its photo with the points of interest as
markers, the list of the points below it, a map of every scene, and links to the scenes
before and after; ``static/mtp/guidebook.js`` makes the steps instant, opens a point from its
marker and takes the arrow keys. The editor is plain forms; on a scene's page, a click on the
photo places the new point (the script fills in x and y, which can also be typed).
"""

from urllib.parse import parse_qs, urlencode, urlsplit
from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from mtp.accounts.requests import SignedInRequest
from mtp.guidebooks import actions
from mtp.guidebooks.models import (
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    POI_DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    URL_MAX_LENGTH,
    Category,
    Guidebook,
    Poi,
    Scene,
    TooManyPois,
    TooManyScenes,
)
from mtp.lib.text import validate_line, validate_lines
from mtp.sequences.models import Image
from mtp.sequences.tags import parse_tags
from mtp.web.maps import map_config

PER_PAGE = 20


def _category_choices() -> list[tuple[str, str]]:
    return [("", "None")] + [(c.slug, c.name) for c in Category.objects.all()]


def _category(slug: str) -> Category | None:
    return Category.objects.filter(slug=slug).first() if slug else None


# Reading ---------------------------------------------------------------------------------------


class GuidebookSearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    category = forms.ChoiceField(label="Category", required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "Any")] + _category_choices()[1:]  # type: ignore[attr-defined]


def guidebook_list(request: HttpRequest) -> HttpResponse:
    """Explore's Guidebooks tab: published guidebooks, newest first, by text and category.
    Each is listed once: a person's own, drafts included, are on their profile."""
    form = GuidebookSearchForm(request.GET or None)
    queryset = Guidebook.objects.published()
    if form.is_valid():
        if form.cleaned_data["q"].strip():
            queryset = queryset.matching_text(form.cleaned_data["q"].strip())
        if form.cleaned_data["category"]:
            queryset = queryset.filter(category__slug=form.cleaned_data["category"])
    queryset = (
        queryset.select_related("owner", "category")
        .annotate(
            shown_scene_count=Count("scenes", filter=Q(scenes__image__sequence__status="published"))
        )
        .order_by("-published_at", "-id")
    )
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    # The search as asked, for the pager's links; the person's own are on their profile.
    query = {name: request.GET[name] for name in ("q", "category") if request.GET.get(name)}
    context = {
        "form": form,
        "page": page,
        "noun": "guidebook",
        "query": urlencode(query),
        "new_url": reverse("web:guidebook-new"),
    }
    return render(request, "web/guidebooks.html", context)


def guidebook_detail(request: HttpRequest, unique_id: UUID) -> HttpResponse:
    """The reader: one scene at a time, its points of interest, and the map of the scenes."""
    guidebook = get_object_or_404(
        Guidebook.objects.visible_to(request.user).select_related("owner", "category"),
        unique_id=unique_id,
    )
    data = guidebook.reading_dict()
    scenes = data["scenes"]
    try:
        number = int(request.GET.get("scene", "1"))
    except ValueError:
        number = 1
    number = max(1, min(number, len(scenes))) if scenes else 0
    context = {
        "guidebook": guidebook,
        "data": data,
        "scenes": scenes,
        "scene": scenes[number - 1] if scenes else None,
        "number": number,
        "is_owner": request.user.is_authenticated and guidebook.owner_id == request.user.pk,
        "map_config": map_config(
            request,
            pannellum=static("vendor/pannellum/pannellum.js"),
            pannellumCss=static("vendor/pannellum/pannellum.css"),
        ),
    }
    return render(request, "web/guidebook.html", context)


# Editing ---------------------------------------------------------------------------------------


class GuidebookForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX_LENGTH, validators=[validate_line])
    description = forms.CharField(
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        validators=[validate_lines],
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    category = forms.ChoiceField(required=False)
    tags = forms.CharField(required=False, max_length=2000, help_text="Comma-separated.")
    published = forms.BooleanField(
        required=False, label="Published", help_text="Seen by everyone; unticked: only you."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _category_choices()  # type: ignore[attr-defined]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("A guidebook needs a name.")
        return name

    def clean_tags(self) -> list[str]:
        try:
            return parse_tags(self.cleaned_data["tags"])
        except ValidationError as error:
            raise ValidationError(error.messages[0]) from None


@login_required
@require_http_methods(["GET", "POST"])
def guidebook_new(request: SignedInRequest) -> HttpResponse:
    form = GuidebookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        guidebook = actions.create_guidebook(
            request.user,
            name=data["name"],
            description=data["description"].strip(),
            category=_category(data["category"]),
            published=data["published"],
            tags=data["tags"],
        )
        return redirect("web:guidebook-edit", unique_id=guidebook.unique_id)
    return render(request, "web/guidebook_new.html", {"form": form})


def _owned(request: SignedInRequest, unique_id: UUID) -> Guidebook:
    guidebook = Guidebook.objects.filter(owner=request.user, unique_id=unique_id).first()
    if guidebook is None:
        raise Http404("No guidebook of yours with this id.")
    return guidebook


def _uuid(data, name: str) -> UUID | None:
    """The id the form field ``name`` holds, None when it is missing; a 404 when it is not an
    id at all (no page sends one: there is nothing it could name)."""
    value = data.get(name)
    if value is None:
        return None
    try:
        return UUID(value)
    except ValueError:
        raise Http404(f"No {name} with this id.") from None


class SceneAddForm(forms.Form):
    image = forms.CharField(
        label="Photo",
        max_length=2000,
        help_text="The address of a photo on a sequence's page (it ends with ?photo=...), or "
        "the photo's key.",
    )
    title = forms.CharField(required=False, max_length=TITLE_MAX_LENGTH, validators=[validate_line])

    def clean_image(self) -> Image:
        given = self.cleaned_data["image"].strip()
        # A sequence page's address names its photo in ?photo=<key>.
        key = parse_qs(urlsplit(given).query).get("photo", [given])[0] if "?" in given else given
        image = Image.objects.filter(key=key, sequence__status="published").first()
        if image is None:
            raise ValidationError("No photo of a published sequence has this key.")
        return image


@login_required
@require_http_methods(["GET", "POST"])
def guidebook_edit(request: SignedInRequest, unique_id: UUID) -> HttpResponse:
    """The owner's editor: the guidebook's fields, its scenes in order (move, delete), and a
    new scene. Each form posts its ``action``."""
    guidebook = _owned(request, unique_id)
    action = request.POST.get("action") if request.method == "POST" else None
    form = GuidebookForm(
        request.POST if action == "save" else None,
        initial={
            "name": guidebook.name,
            "description": guidebook.description,
            "category": guidebook.category.slug if guidebook.category is not None else "",
            "tags": ", ".join(guidebook.tag_names()),
            "published": guidebook.is_published,
        },
    )
    scene_form = SceneAddForm(
        request.POST if action == "add-scene" else None,
        initial={"image": request.GET.get("image", "")},
    )
    edit_url = reverse("web:guidebook-edit", args=[guidebook.unique_id])
    if action == "save" and form.is_valid():
        data = form.cleaned_data
        actions.change_guidebook(
            request.user,
            guidebook.pk,
            name=data["name"],
            description=data["description"].strip(),
            category=_category(data["category"]),
            published=data["published"],
            tags=data["tags"],
        )
        return redirect(edit_url)
    if action == "add-scene" and scene_form.is_valid():
        try:
            actions.add_scene(
                request.user,
                guidebook.pk,
                scene_form.cleaned_data["image"],
                title=scene_form.cleaned_data["title"].strip(),
            )
        except TooManyScenes as error:
            scene_form.add_error("image", str(error))
        else:
            return redirect(edit_url + "#scenes")
    if action in ("up", "down", "delete-scene"):
        scene = get_object_or_404(guidebook.scenes, unique_id=_uuid(request.POST, "scene"))
        try:
            if action == "delete-scene":
                actions.delete_scene(request.user, guidebook.pk, scene.pk)
            else:
                actions.shift_scene(
                    request.user, guidebook.pk, scene.pk, -1 if action == "up" else 1
                )
        except Scene.DoesNotExist:
            raise Http404("No scene with this id.") from None
        return redirect(f"{edit_url}#scene-{request.POST.get('scene')}")
    if action == "delete":
        actions.delete_guidebook(request.user, guidebook.pk)
        return redirect("web:guidebooks")
    scenes = list(
        guidebook.scenes.select_related("image", "image__sequence")
        .annotate(poi_count=Count("pois"))
        .order_by("position", "id")
    )
    return render(
        request,
        "web/guidebook_edit.html",
        {"guidebook": guidebook, "form": form, "scene_form": scene_form, "scenes": scenes},
    )


class PoiForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX_LENGTH, validators=[validate_line])
    description = forms.CharField(
        required=False,
        max_length=POI_DESCRIPTION_MAX_LENGTH,
        validators=[validate_lines],
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    x = forms.FloatField(
        min_value=0, max_value=1, help_text="0 (left edge) to 1 (right edge): click the photo."
    )
    y = forms.FloatField(min_value=0, max_value=1, help_text="0 (top) to 1 (bottom).")
    category = forms.ChoiceField(required=False)
    url = forms.URLField(
        label="Link", required=False, max_length=URL_MAX_LENGTH, assume_scheme="https"
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _category_choices()  # type: ignore[attr-defined]


class SceneForm(forms.Form):
    title = forms.CharField(required=False, max_length=TITLE_MAX_LENGTH, validators=[validate_line])
    description = forms.CharField(
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        validators=[validate_lines],
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def scene_edit(request: SignedInRequest, unique_id: UUID, scene_id: UUID) -> HttpResponse:
    """A scene's title and description, and its points: click the photo to place a new one."""
    guidebook = _owned(request, unique_id)
    scene = get_object_or_404(
        Scene.objects.select_related("image", "image__sequence"),
        guidebook=guidebook,
        unique_id=scene_id,
    )
    action = request.POST.get("action") if request.method == "POST" else None
    scene_form = SceneForm(
        request.POST if action == "save" else None,
        initial={"title": scene.title, "description": scene.description},
    )
    # Its own ids: the scene's form above has a title and a description too.
    poi_form = PoiForm(request.POST if action == "add-poi" else None, auto_id="id_poi_%s")
    here = reverse("web:scene-edit", args=[guidebook.unique_id, scene.unique_id])
    if action == "save" and scene_form.is_valid():
        actions.change_scene(
            request.user,
            guidebook.pk,
            scene.pk,
            title=scene_form.cleaned_data["title"].strip(),
            description=scene_form.cleaned_data["description"].strip(),
        )
        return redirect(here)
    if action == "add-poi" and poi_form.is_valid():
        data = poi_form.cleaned_data
        try:
            actions.add_poi(
                request.user,
                guidebook.pk,
                scene.pk,
                title=data["title"].strip(),
                description=data["description"].strip(),
                x=data["x"],
                y=data["y"],
                category=_category(data["category"]),
                url=data["url"],
            )
        except TooManyPois as error:
            poi_form.add_error(None, str(error))
        else:
            return redirect(here + "#points")
    if action == "delete-poi":
        poi_id = _uuid(request.POST, "poi")
        poi = Poi.objects.filter(scene=scene, unique_id=poi_id).first() if poi_id else None
        if poi is not None:
            actions.delete_poi(request.user, guidebook.pk, poi.pk)
        return redirect(here + "#points")
    pois = [
        poi.to_dict(is_pano=scene.image.is_pano) for poi in scene.pois.select_related("category")
    ]
    shown = scene.image.sequence.is_public
    # A photo of a sequence no longer published: only its own owner sees it (a signed link).
    own_photo = scene.image.sequence.owner_id == request.user.pk
    image = scene.image.to_dict(private=not shown) if shown or own_photo else None
    return render(
        request,
        "web/scene_edit.html",
        {
            "guidebook": guidebook,
            "scene": scene,
            "image": image,
            "shown": shown,
            "pois": pois,
            "scene_form": scene_form,
            "poi_form": poi_form,
            # The panorama's preview, as the reader shows it.
            "preview": {"url": image["thumb_2048_url"], "pois": pois} if image else None,
            "map_config": {
                "pannellum": static("vendor/pannellum/pannellum.js"),
                "pannellumCss": static("vendor/pannellum/pannellum.css"),
            },
        },
    )
