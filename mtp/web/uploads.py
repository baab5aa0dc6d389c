"""The Upload photos page, and the few calls its script makes with the session and CSRF.

The page is Uppy's Dashboard (vendor/uppy) driven by mtp/web/static/mtp/upload.js. It sends
photos the way the Panoramax command-line client does (docs/UPLOAD.md) through the same
actions (``mtp.uploads.actions``): make an upload set, send each photo, complete the set, then
follow it until its sequences are made. The API under /api/ takes bearer tokens only; these
calls are the website's own, signed in with the session:

- ``POST /upload/sets/``: a new upload set from the page's form (title, way of travel, tags).
- ``GET /upload/sets/<id>/``: the set, its files and the sequences it became.
- ``POST /upload/sets/<id>/files/``: one photo, multipart ``file``; 202, or the refusal.
- ``POST /upload/sets/<id>/complete/``: no more files.

Sending the same folder again resumes: the page lists the set's files and sends only those the
server does not hold (by name and size; a file sent anyway is a 409 that changes nothing).
"""

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from mtp.accounts.requests import SignedInRequest
from mtp.lib.http import json_response
from mtp.uploads import actions
from mtp.uploads.actions import SetParameters, UploadRefused
from mtp.uploads.models import UploadFile, UploadSet
from mtp.web.forms import UploadSetForm

# What a photo's form carries besides the photo: the CSRF token and the file's name.
FORM_OVERHEAD_BYTES = 64 * 1024


def _refusal(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def unfinished_upload_set(user) -> UploadSet | None:
    """The person's latest upload set made on this page and not completed: the one the page
    carries on with when the same folder is dropped again."""
    return (
        UploadSet.objects.filter(owner=user, application__isnull=True, status=UploadSet.Status.OPEN)
        .order_by("-created_at", "-id")
        .first()
    )


def upload_set_state(upload_set: UploadSet) -> dict[str, Any]:
    """What the page shows of a set: the set as the upload API gives it, its files, and the
    sequences it became with their links."""
    sequences = list(
        upload_set.sequences.order_by("created_at", "id").values("unique_id", "name", "status")
    )
    files = UploadFile.objects.filter(upload_set=upload_set).order_by("id")
    return {
        "upload_set": upload_set.to_dict(
            counts=UploadFile.counts(upload_set),
            sequence_ids=[str(row["unique_id"]) for row in sequences],
        ),
        "files": [item.to_dict() for item in files],
        "sequences": [
            {
                "id": str(row["unique_id"]),
                "name": row["name"],
                "status": row["status"],
                "url": reverse("web:sequence", args=[row["unique_id"]]),
            }
            for row in sequences
        ],
    }


def _own_upload_set(request: SignedInRequest, unique_id: UUID) -> UploadSet:
    return actions.owned_upload_set(request.user, str(unique_id))


@login_required
@require_GET
def upload_page(request: SignedInRequest) -> HttpResponse:
    """The Upload photos page: the form of a new set, or the unfinished one to carry on."""
    unfinished = unfinished_upload_set(request.user)
    initial: dict[str, Any] = {}
    if unfinished is not None:
        initial = {
            "title": unfinished.title,
            "transport_type": (unfinished.metadata or {}).get("transport_type", ""),
            "tags": ", ".join(item.get("key", "") for item in unfinished.semantics or []),
        }
    config = {
        "uppy": static("vendor/uppy/uppy.min.mjs"),
        "create": reverse("web:upload-sets"),
        "maxPhotoBytes": settings.MTP_MAX_PHOTO_BYTES,
        "unfinished": (
            reverse("web:upload-set", args=[unfinished.unique_id]) if unfinished else None
        ),
    }
    form = UploadSetForm(initial=initial)
    if unfinished is not None:
        # The unfinished set keeps what it was made with.
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "web/upload.html",
        {
            "form": form,
            "unfinished": unfinished,
            "upload_config": config,
        },
    )


@login_required
@require_POST
def upload_sets(request: SignedInRequest) -> HttpResponse:
    """A new upload set from the page's form; the set's state and its calls' addresses."""
    form = UploadSetForm(request.POST)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else "form"
        return _refusal(400, f"{label}: {' '.join(str(error) for error in errors)}")
    data = form.cleaned_data
    metadata = {"transport_type": data["transport_type"]} if data["transport_type"] else {}
    try:
        upload_set = actions.create_upload_set(
            request.user,
            None,
            SetParameters(
                title=data["title"],
                metadata=metadata,
                semantics=[{"key": name, "value": ""} for name in data["tags"]],
            ),
        )
    except UploadRefused as refused:
        return _refusal(refused.status, refused.message)
    return _state_response(upload_set, status=201)


def _state_response(upload_set: UploadSet, status: int = 200) -> HttpResponse:
    unique_id = upload_set.unique_id
    body = upload_set_state(upload_set)
    body["links"] = {
        "self": reverse("web:upload-set", args=[unique_id]),
        "files": reverse("web:upload-set-files", args=[unique_id]),
        "complete": reverse("web:upload-set-complete", args=[unique_id]),
    }
    return json_response(body, status=status)


@never_cache
@login_required
@require_GET
def upload_set(request: SignedInRequest, unique_id: UUID) -> HttpResponse:
    """The set's state, for the page to follow; another person's set is a 404."""
    try:
        return _state_response(_own_upload_set(request, unique_id))
    except UploadRefused as refused:
        return _refusal(refused.status, refused.message)


@login_required
@require_POST
def upload_set_files(request: SignedInRequest, unique_id: UUID) -> HttpResponse:
    """One photo into the set (multipart ``file``): 202 with the file, or why it is refused."""
    try:
        owned = _own_upload_set(request, unique_id)
    except UploadRefused as refused:
        return _refusal(refused.status, refused.message)
    limit = settings.MTP_MAX_PHOTO_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _refusal(400, "The Content-Length header is not a number.")
    if declared > limit + FORM_OVERHEAD_BYTES:
        return _refusal(413, f"The photo is over the limit of {limit} bytes.")
    upload = request.FILES.get("file")
    if upload is None:
        return _refusal(400, "file: send the photo in the multipart field 'file'.")
    if upload.size is not None and upload.size > limit:
        return _refusal(413, f"The photo is over the limit of {limit} bytes.")
    try:
        added = actions.add_file(owned, upload.name or "photo.jpg", upload.read())
    except UploadRefused as refused:
        return _refusal(refused.status, refused.message)
    return json_response({"file": added.to_dict()}, status=202)


@login_required
@require_POST
def upload_set_complete(request: SignedInRequest, unique_id: UUID) -> HttpResponse:
    """No more files: the worker makes the sequences."""
    try:
        completed = actions.complete(_own_upload_set(request, unique_id))
    except UploadRefused as refused:
        return _refusal(refused.status, refused.message)
    return _state_response(completed)
