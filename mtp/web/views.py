"""Server-rendered pages: explore, a sequence's page, my sequences; and the health check.

Pages that change data are plain forms with CSRF, acting on the models for their owner only:
anyone else's sequence is a 404, exactly like one that does not exist.
"""

import functools
import logging
import math
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mtp.accounts.requests import SignedInRequest
from mtp.imports.actions import (
    InvalidImportField,
    TokenRefused,
    import_new_sequence,
    start_import,
)
from mtp.imports.jobs import ImportRequestError
from mtp.imports.models import ImportJob, latest_imports
from mtp.lib.http import GEOJSON, json_response
from mtp.sequences.actions import change_sequence, delete_sequence
from mtp.sequences.actions import like_sequence as set_sequence_liked
from mtp.sequences.formats import feature, gpx_response
from mtp.sequences.links import photo_path_prefix, photo_url
from mtp.sequences.models import (
    Image,
    ImageLike,
    Sequence,
    SequenceLike,
    transport_types_by_name,
)
from mtp.sequences.photos import cover_keys, photos_available
from mtp.sequences.tags import tag_names_by_sequence
from mtp.uploads.models import UploadFile, UploadSet
from mtp.web.challenges import challenges_near
from mtp.web.first_run import first_steps, staff_checklist
from mtp.web.forms import (
    ExploreForm,
    ImportForm,
    NewImportForm,
    SequenceForm,
    transport_type_choices,
)
from mtp.web.maps import map_config, published_extent

logger = logging.getLogger(__name__)

RESULTS_PER_PAGE = 20
# Filters the tiles cannot apply themselves (text, tags) are drawn from this many matches.
MAP_MATCHES_LIMIT = 1000
# Thumbnails either side of the current photo in the sequence page's strip.
STRIP_SIDE = 5
# Upload sets in progress, and photos that could not be processed, shown on My sequences.
UPLOAD_ROWS = 20


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 when it does not (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        response = JsonResponse({"status": "error", "database": "unavailable"}, status=503)
        response["Retry-After"] = "5"
        return response
    return JsonResponse({"status": "ok", "database": "ok"})


# -- explore ----------------------------------------------------------------------------------


def _day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def explore_queryset(filters: dict):
    """Published sequences matching the explore filters (already cleaned), newest first."""
    queryset = Sequence.objects.published()
    if filters.get("bbox"):
        queryset = queryset.in_bbox(*filters["bbox"])
    if filters.get("type"):
        kind = transport_types_by_name().get(filters["type"].lower())
        if kind is None:
            return queryset.none()
        queryset = queryset.of_transport_type(kind)
    if filters.get("tag"):
        queryset = queryset.with_all_tags(filters["tag"])
    if filters.get("start"):
        queryset = queryset.filter(captured_at_start__gte=_day_start(filters["start"]))
    if filters.get("end") and filters["end"] < date.max:
        # The last day (9999-12-31) has no day after it: it ends nothing.
        end = _day_start(filters["end"]) + timedelta(days=1)
        queryset = queryset.filter(captured_at_start__lt=end)
    if filters.get("q"):
        queryset = queryset.matching_text(filters["q"])
    return (
        queryset.select_related("owner", "transport_type")
        .defer("geometry")
        .order_by("-published_at", "-id")
    )


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _results_context(request: HttpRequest) -> dict:
    form = ExploreForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return {"form": form, "page": None, "map_matches": None}
    filters = form.cleaned_data if form.is_bound else {}
    queryset = explore_queryset(filters)
    paginator = Paginator(queryset, RESULTS_PER_PAGE)
    page = paginator.get_page(_page_number(request))
    tags = tag_names_by_sequence([sequence.pk for sequence in page])
    # Covers only where this server can give photos (not a fresh instance without a token).
    covers = cover_keys(page) if photos_available() else {}
    for sequence in page:
        sequence.tag_names = tags.get(sequence.pk, [])
        cover = covers.get(sequence.pk)
        sequence.cover_url = photo_url(cover, "256") if cover else ""
    map_matches = None
    if filters.get("q") or filters.get("tag"):
        # The tiles carry no text or tags: the map shows these matches only.
        ids = queryset.values_list("unique_id", flat=True)[:MAP_MATCHES_LIMIT]
        map_matches = [str(unique_id) for unique_id in ids]
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "form": form,
        "page": page,
        "in_area": bool(filters.get("bbox")),
        "query": query.urlencode(),
        "map_matches": map_matches,
    }


def home(request: HttpRequest) -> HttpResponse:
    """Explore: every published sequence on the map, filters, and a list that follows the map."""
    context = _results_context(request)
    form = context["form"]
    context["more_filters"] = form.is_bound and any(
        form.data.get(name) for name in ("type", "tag", "start", "end")
    )
    box = form.cleaned_data.get("bbox") if form.is_bound and not form.errors else None
    context["challenges_near"] = challenges_near(box)
    user = request.user
    if user.is_staff:
        checklist = staff_checklist()
        # Shown until everything is set up.
        context["checklist"] = checklist if not all(step.done for step in checklist) else None
    if user.is_authenticated and not Sequence.objects.filter(owner_id=user.pk).exists():
        context["first_steps"] = first_steps()
    groups = transport_type_choices(with_groups=False)
    context["map_config"] = map_config(
        request,
        extent=published_extent(),
        transportTypes={group: [name for name, _ in options] for group, options in groups},
        resultsUrl=reverse("web:explore-results"),
        photoUrl=photo_path_prefix() if photos_available() else "",
    )
    return render(request, "web/home.html", context)


@require_GET
def explore_results(request: HttpRequest) -> HttpResponse:
    """The explore page's result list alone, for the page's script to swap in as the map moves."""
    return render(request, "web/_results.html", _results_context(request))


# -- a sequence's page ------------------------------------------------------------------------


class Merged(Exception):
    """The id is that of a sequence merged into another: the page redirects there."""

    def __init__(self, request: HttpRequest, sequence: Sequence) -> None:
        super().__init__(str(sequence.unique_id))
        match = request.resolver_match
        assert match is not None  # raised from a view, which was resolved
        url = reverse(
            f"web:{match.url_name}", kwargs={**match.kwargs, "unique_id": sequence.unique_id}
        )
        query = request.META.get("QUERY_STRING")
        self.response = redirect(f"{url}?{query}" if query else url, permanent=True)


def _sequence_or_merged(request: HttpRequest, queryset, unique_id: UUID) -> Sequence:
    """The sequence of ``queryset`` with this id; ``Merged`` when the id was merged into one
    of them; 404 otherwise."""
    sequence = queryset.filter(unique_id=unique_id).first()
    if sequence is not None:
        return sequence
    target = queryset.filter(aliases__unique_id=unique_id).first()
    if target is None:
        raise Http404("No sequence with this id.")
    raise Merged(request, target)


def _visible_sequence(request: HttpRequest, unique_id: UUID) -> Sequence:
    """A published sequence, or the viewer's own in any state; 404 otherwise."""
    return _sequence_or_merged(
        request,
        Sequence.objects.visible_to(request.user).select_related(
            "owner", "transport_type__parent", "camera_make", "camera_model"
        ),
        unique_id,
    )


def follows_merges(view):
    """Pages of a sequence answer for a merged id with a redirect to the sequence it joined."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Merged as merged:
            return merged.response

    return wrapper


def _download(sequence: Sequence, kind: str) -> HttpResponse:
    """The sequence as a GeoJSON Feature or a GPX track, as the API renders it, to save."""
    if kind == "gpx":
        response = gpx_response(sequence)
    elif kind == "geojson":
        data = sequence.to_dict(tags=tag_names_by_sequence([sequence.pk])[sequence.pk])
        response = json_response(feature(sequence, data), media_type=GEOJSON)
    else:
        return HttpResponse(
            "Unknown format: use format=geojson or format=gpx.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    name = slugify(sequence.name) or "sequence"
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{str(sequence.unique_id)[:8]}.{kind}"'
    )
    return response


def _route_data(sequence: Sequence) -> dict:
    """The route and every photo for the page's map and viewer (GeoJSON order, lon/lat).

    Each photo is ``[key, lon, lat, compass angle or None, Unix time or None, 1 if 360°]``:
    compact, because a long sequence has thousands.
    """
    images = Image.objects.filter(sequence=sequence).order_by("position", "id")
    photos = []
    rows = images.values_list("key", "point", "compass_angle", "captured_at", "is_pano")
    for key, point, angle, captured_at, is_pano in rows.iterator(chunk_size=2000):
        photos.append(
            [
                key,
                round(point.x, 7),
                round(point.y, 7),
                round(angle, 1) if angle is not None else None,
                int(captured_at.timestamp()) if captured_at else None,
                int(is_pano),
            ]
        )
    route = [list(coords) for coords in sequence.geometry] if sequence.geometry else []
    box = None
    if sequence.bbox_west is not None:
        box = [sequence.bbox_west, sequence.bbox_south, sequence.bbox_east, sequence.bbox_north]
    return {"route": route, "photos": photos, "bbox": box, "total": len(photos)}


def _photo_at(photos: list[list], key: str | None) -> int:
    """The place of the photo ``key`` (the address's ``?photo=``) in the list; 0 if absent."""
    if key:
        for index, photo in enumerate(photos):
            if photo[0] == key:
                return index
    return 0


def _photo_alt(sequence: Sequence, photo: list, number: int, total: int) -> str:
    """A photo's text alternative: which one, where and when it was taken."""
    _key, lon, lat, angle, at, is_pano = photo
    parts = [f"{sequence.name}: photo {number} of {total}"]
    if is_pano:
        parts[0] += ", a 360° panorama"
    parts.append(
        f"at {abs(lat):.5f}° {'N' if lat >= 0 else 'S'}, {abs(lon):.5f}° {'E' if lon >= 0 else 'W'}"
    )
    if angle is not None and not is_pano:
        parts.append(f"looking {compass_point(angle)}")
    if at is not None:
        when = datetime.fromtimestamp(at, tz=UTC)
        parts.append(f"taken {when.day} {when:%B %Y, %H:%M} UTC")
    return ", ".join(parts)


COMPASS_POINTS = (
    "north",
    "north-east",
    "east",
    "south-east",
    "south",
    "south-west",
    "west",
    "north-west",
)


def compass_point(angle: float) -> str:
    """The nearest of the eight compass points to ``angle`` (degrees clockwise from north)."""
    return COMPASS_POINTS[round(angle / 45) % 8]


def photos_shown(sequence: Sequence) -> bool:
    """Whether the sequence's photos can be shown: Mapillary can give them, or copies were kept.
    Otherwise pages say so rather than show broken images."""
    return photos_available() or sequence.images.exclude(kept_copy="").exists()


def _viewer_context(request: HttpRequest, sequence: Sequence, photos: list[list]) -> dict:
    """What the page's photo viewer starts with, rendered so it works before (and without) the
    script: the current photo, its neighbours' addresses, a strip of thumbnails around it."""
    if not photos:
        return {"viewer": None}
    if not photos_shown(sequence):
        return {"viewer": None, "photos_unavailable": True}
    index = _photo_at(photos, request.GET.get("photo"))
    total = len(photos)

    def item(position: int) -> dict:
        photo = photos[position]
        return {
            "key": photo[0],
            "number": position + 1,
            "is_pano": bool(photo[5]),
            "alt": _photo_alt(sequence, photo, position + 1, total),
            "captured_at": datetime.fromtimestamp(photo[4], tz=UTC) if photo[4] else None,
            "thumb": photo_url(photo[0], "256"),
            "large": photo_url(photo[0], "2048" if photo[5] else "1024"),
            "download": photo_url(photo[0], "original"),
        }

    low = max(0, min(index - STRIP_SIDE, total - 2 * STRIP_SIDE - 1))
    strip = [item(position) for position in range(low, min(total, low + 2 * STRIP_SIDE + 1))]
    photo = item(index)
    likes = photo_likes(request, sequence)
    if likes is not None:
        photo["like_count"] = likes["counts"].get(photo["key"], 0)
        photo["liked"] = photo["key"] in likes["liked"]
    return {
        "viewer": {
            "likeable": likes is not None,
            # What other sequences saw here: only from a published sequence's photos.
            "nearby": sequence.is_public,
            "photo": photo,
            "previous": photos[index - 1][0] if index > 0 else None,
            "next": photos[index + 1][0] if index + 1 < total else None,
            "strip": strip,
            "total": total,
        },
        "viewer_config": {
            "photoUrl": photo_path_prefix(),
            "viewer": static("mtp/viewer.js"),
            "pannellum": static("vendor/pannellum/pannellum.js"),
            "pannellumCss": static("vendor/pannellum/pannellum.css"),
            "name": sequence.name,
            "stripSide": STRIP_SIDE,
            # The address of what other sequences saw at a photo, its key in place of KEY.
            **(
                {"nearbyUrl": reverse("web:photo-nearby", args=["KEY"])}
                if sequence.is_public
                else {}
            ),
            **(
                {
                    "likes": likes["counts"],
                    "liked": sorted(likes["liked"]),
                    # The address of a photo's like, its key in place of KEY.
                    "likeUrl": reverse("web:photo-like", args=["KEY"]),
                }
                if likes is not None
                else {}
            ),
        },
    }


def photo_likes(request: HttpRequest, sequence: Sequence) -> dict | None:
    """The likes of a published sequence's photos for its viewer: each liked photo's count by
    its key, and the keys of those the person reading likes (two queries, however many photos);
    None for a sequence that is not published, whose photos cannot be liked."""
    if not sequence.is_public:
        return None
    counts = dict(
        Image.objects.filter(sequence=sequence, like_count__gt=0).values_list("key", "like_count")
    )
    liked: set[str] = set()
    if request.user.is_authenticated:
        liked = set(
            ImageLike.objects.filter(user=request.user, image__sequence=sequence).values_list(
                "image__key", flat=True
            )
        )
    return {"counts": counts, "liked": liked}


def explore_hash(box: list[float] | None) -> str:
    """The explore map's URL fragment (``map=zoom/lat/lon``) that frames the box."""
    if box is None:
        return ""
    west, south, east, north = box
    span = max(east - west, (north - south) * 1.5, 1e-6)
    zoom = max(2, min(16, math.floor(math.log2(360 / span)) - 1))
    return f"map={zoom}/{(south + north) / 2:.5f}/{(west + east) / 2:.5f}"


@follows_merges
def sequence_detail(request: HttpRequest, unique_id: UUID) -> HttpResponse:
    """A sequence's page; with ``?format=geojson`` or ``?format=gpx``, its route to download."""
    sequence = _visible_sequence(request, unique_id)
    if "format" in request.GET:
        return _download(sequence, request.GET["format"])
    is_owner = sequence.owner_id == request.user.pk
    route = _route_data(sequence)
    first_image = route["photos"][0][0] if route["photos"] else None
    latest_job = latest_imports([sequence.pk]).get(sequence.pk) if is_owner else None
    context = {
        "sequence": sequence,
        "tags": list(sequence.tags.order_by("name")),
        "is_owner": is_owner,
        "job": latest_job,
        "mapillary_url": (
            f"https://www.mapillary.com/app/?pKey={first_image}&focus=photo" if first_image else ""
        ),
        "strava_url": sequence.strava_url,
        "has_route": bool(route["photos"] or route["route"]),
        "explore_hash": explore_hash(route["bbox"]),
        "map_config": map_config(request, sequence=route, name=sequence.name),
        **_viewer_context(request, sequence, route["photos"]),
        **sequence_likes(request, sequence),
    }
    return render(request, "web/sequence.html", context)


# -- my sequences -----------------------------------------------------------------------------


def _own_sequence(request: SignedInRequest, unique_id: UUID) -> Sequence:
    return _sequence_or_merged(
        request,
        Sequence.objects.select_related("transport_type").filter(owner=request.user),
        unique_id,
    )


def _last_key(sequence: Sequence) -> str:
    """The Mapillary key to offer for another try: the sequence's, else its last import's."""
    if sequence.mapillary_sequence_key:
        return sequence.mapillary_sequence_key
    job = getattr(sequence, "job", None)
    return job.mapillary_sequence_key if job is not None else ""


@login_required
def my_sequences(request: SignedInRequest) -> HttpResponse:
    """The owner's sequences by state (importing, failed, drafts, published), and their
    upload sets still being sent or processed."""
    sequences = list(
        Sequence.objects.filter(owner=request.user)
        .select_related("transport_type", "application")
        .defer("geometry")
        .order_by("-created_at", "-id")
    )
    ids = [sequence.pk for sequence in sequences]
    jobs = latest_imports(ids)
    tags = tag_names_by_sequence(ids)
    groups: dict[str, list[Sequence]] = {status: [] for status in Sequence.Status.values}
    for sequence in sequences:
        sequence.job = jobs.get(sequence.pk)  # type: ignore[attr-defined]
        sequence.tag_names = tags.get(sequence.pk, [])  # type: ignore[attr-defined]
        if sequence.status in (Sequence.Status.DRAFT, Sequence.Status.FAILED):
            sequence.import_form = ImportForm(  # type: ignore[attr-defined]
                auto_id=f"id_{sequence.unique_id.hex[:12]}_%s",
                initial={"mapillary_sequence_key": _last_key(sequence)},
            )
        groups[sequence.status].append(sequence)
    return render(
        request,
        "web/my_sequences.html",
        {
            "uploading": _unfinished_uploads(request.user),
            "left_out": list(
                UploadFile.objects.filter(
                    upload_set__owner=request.user, status=UploadFile.Status.BROKEN
                )
                .select_related("upload_set")
                .order_by("-id")[:UPLOAD_ROWS]
            ),
            "importing": groups[Sequence.Status.IMPORTING],
            "failed": groups[Sequence.Status.FAILED],
            "drafts": groups[Sequence.Status.DRAFT],
            "published": groups[Sequence.Status.PUBLISHED],
            "count": len(sequences),
        },
    )


def _unfinished_uploads(user) -> list[UploadSet]:
    """The person's upload sets not yet made into sequences, each with its files' counts."""
    upload_sets = list(
        UploadSet.objects.filter(owner=user)
        .exclude(status=UploadSet.Status.DISPATCHED)
        .select_related("application")
        .order_by("-created_at", "-id")[:UPLOAD_ROWS]
    )
    for upload_set in upload_sets:
        counts = UploadFile.counts(upload_set)
        upload_set.total = sum(counts.values())  # type: ignore[attr-defined]
        upload_set.processed = upload_set.total - counts.get(UploadFile.Status.RECEIVED, 0)  # type: ignore[attr-defined]
    return upload_sets


@never_cache
@login_required
@require_GET
def my_progress(request: SignedInRequest) -> JsonResponse:
    """The state of the owner's imports and upload sets, for the page to follow while they run."""
    sequences = Sequence.objects.filter(owner=request.user).filter(
        Q(status=Sequence.Status.IMPORTING)
        | Q(import_jobs__status__in=ImportJob.ACTIVE)
        | Q(unique_id__in=_uuids(request.GET.getlist("id")))
    )
    rows = list(sequences.distinct().values("pk", "unique_id", "status", "image_count"))
    jobs = latest_imports([row["pk"] for row in rows])
    items = []
    for row in rows:
        job = jobs.get(row["pk"])
        items.append(
            {
                "id": str(row["unique_id"]),
                "status": row["status"],
                "image_count": row["image_count"],
                "import": None
                if job is None
                else {
                    "status": job.status,
                    "done": job.progress_done,
                    "total": job.progress_total,
                    "error": job.last_error or None,
                },
            }
        )
    uploads = [
        {
            "id": str(upload_set.unique_id),
            "status": upload_set.status,
            "processed": upload_set.processed,  # type: ignore[attr-defined]
            "total": upload_set.total,  # type: ignore[attr-defined]
        }
        for upload_set in _unfinished_uploads(request.user)
    ]
    return JsonResponse({"sequences": items, "upload_sets": uploads})


def _uuids(values: list[str]) -> list[UUID]:
    found = []
    for value in values[:100]:
        try:
            found.append(UUID(value))
        except ValueError:
            continue
    return found


@follows_merges
@login_required
@require_http_methods(["GET", "POST"])
def sequence_edit(request: SignedInRequest, unique_id: UUID) -> HttpResponse:
    sequence = _own_sequence(request, unique_id)
    # The photo the owner chose on the sequence page, offered (and picked) as the cover.
    picked = (request.POST or request.GET).get("cover", "")[:100]
    form = SequenceForm(request.POST or None, instance=sequence, picked=picked)
    if request.method == "POST" and form.is_valid():
        data, changed = form.cleaned_data, form.changed_data
        cover = data.get("cover")
        change_sequence(
            request.user,
            sequence.pk,
            name=data["name"] if "name" in changed else None,
            description=data["description"] if "description" in changed else None,
            transport_type_id=data["transport_type"].pk if "transport_type" in changed else None,
            google_street_view=data["google_street_view"]
            if "google_street_view" in changed
            else None,
            strava=data["strava"] if "strava" in changed else None,
            cover=(cover.key if cover else "") if "cover" in changed else None,
            tags=data["tags"] if "tags" in changed else None,
        )
        messages.success(request, f"“{sequence.name}” is saved.")
        return redirect(sequence.get_absolute_url())
    covers = []
    if "cover" in form.fields and not photos_shown(sequence):
        del form.fields["cover"]
    if "cover" in form.fields:
        thumbs = [photo_url(image.key, "256") for image in form.cover_photos]
        covers = list(zip(form["cover"], thumbs, strict=True))
    context = {"sequence": sequence, "form": form, "covers": covers}
    return render(request, "web/sequence_edit.html", context)


@follows_merges
@login_required
@require_http_methods(["GET", "POST"])
def sequence_delete(request: SignedInRequest, unique_id: UUID) -> HttpResponse:
    sequence = _own_sequence(request, unique_id)
    if request.method == "POST":
        name = sequence.name
        delete_sequence(request.user, sequence.pk)
        messages.success(request, f"“{name}” is deleted.")
        return redirect("web:my")
    return render(request, "web/sequence_delete.html", {"sequence": sequence})


@follows_merges
@sensitive_post_parameters("mapillary_token")
@login_required
@require_http_methods(["GET", "POST"])
def sequence_import(request: SignedInRequest, unique_id: UUID) -> HttpResponse:
    """Start (or retry) an import with the owner's Mapillary token, which is not kept after it."""
    sequence = _own_sequence(request, unique_id)
    if request.method == "GET":
        sequence.job = latest_imports([sequence.pk]).get(sequence.pk)  # type: ignore[attr-defined]
        form = ImportForm(initial={"mapillary_sequence_key": _last_key(sequence)})
        return render(request, "web/sequence_import.html", {"sequence": sequence, "form": form})
    form = ImportForm(request.POST)
    if form.is_valid():
        try:
            start_import(
                request.user,
                sequence,
                mapillary_key=form.cleaned_data["mapillary_sequence_key"],
                mapillary_token=form.cleaned_data["mapillary_token"],
                wait_for_mapillary=True,
            )
        except TokenRefused as refused:
            form.add_error("mapillary_token", f"Mapillary refused it: {refused.message}")
        except ImportRequestError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"The import of “{sequence.name}” has started.")
            return redirect("web:my")
    return render(
        request, "web/sequence_import.html", {"sequence": sequence, "form": form}, status=400
    )


# What the source of a sequence made on these pages says.
WEBSITE_SOURCE = "website"
# Where refusals about the key or the token go on the import forms.
IMPORT_FIELDS = {"seq_key": "mapillary_sequence_key", "token": "mapillary_token"}


@sensitive_post_parameters("mapillary_token")
@login_required
@require_http_methods(["GET", "POST"])
def sequence_import_new(request: SignedInRequest) -> HttpResponse:
    """A new sequence imported from Mapillary in one step, by the actions the API uses
    (``mtp.imports.actions.import_new_sequence``: create the sequence, start its import); a
    refusal is shown on the form and nothing is written. The token is not kept after it."""
    form = NewImportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sequence, _job = import_new_sequence(
                request.user,
                name=data["name"],
                description=data["description"],
                transport_type_id=data["transport_type"].pk,
                tags=data["tags"],
                source=WEBSITE_SOURCE,
                mapillary_key=data["mapillary_sequence_key"],
                mapillary_token=data["mapillary_token"],
            )
        except TokenRefused as refused:
            form.add_error("mapillary_token", f"Mapillary refused it: {refused.message}")
        except InvalidImportField as invalid:
            form.add_error(IMPORT_FIELDS[invalid.field], invalid.message)
        except ImportRequestError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"The import of “{sequence.name}” has started.")
            return redirect("web:my")
    status = 400 if request.method == "POST" else 200
    return render(request, "web/sequence_import.html", {"form": form}, status=status)


# Likes ----------------------------------------------------------------------------------------


def sequence_likes(request: HttpRequest, sequence: Sequence) -> dict:
    """What a sequence's page shows of its likes: whether the viewer likes it."""
    user = request.user
    liked = (
        user.is_authenticated
        and sequence.is_public
        and SequenceLike.objects.filter(sequence=sequence, user=user).exists()
    )
    return {"liked": liked}


@login_required
@require_POST
def like_sequence(request: HttpRequest, unique_id: UUID) -> HttpResponse:
    sequence = get_object_or_404(Sequence.objects.published(), unique_id=unique_id)
    set_sequence_liked(request.user, sequence, request.POST.get("like") != "0")
    return redirect(f"{sequence.get_absolute_url()}#like")
