"""The upload API, Panoramax's, under /api/ beside API v1: what the Panoramax command-line
client (``panoramax_cli upload``, ``panoramax_cli login``) calls, unchanged.

- ``GET /api/configuration``: the instance's defaults for upload sets, and that sign-in is on.
- ``GET /api/users/me``: whose token it is.
- ``POST /api/upload_sets`` (JSON), ``GET /api/upload_sets``, ``GET /api/upload_sets/<id>``.
- ``GET /api/upload_sets/<id>/files``; ``POST`` there, multipart with ``file`` and optionally
  ``isBlurred``, ``override_capture_time``, ``override_latitude``, ``override_longitude``.
- ``POST /api/upload_sets/<id>/complete``: no more files; the worker makes the sequences.
- ``POST /api/transfers`` (JSON ``collection_location``): copy another instance's collection
  here (``panoramax_cli migration``); ``GET /api/transfers/<id>``, ``GET
  /api/users/me/transfers``: where transfers stand.
- ``POST /api/auth/tokens/generate``: a token for the command-line client and the link where a
  signed-in person claims it (``mtp.web`` shows that page).

Tokens are this server's OAuth access tokens, in ``Authorization: Bearer``; writing needs the
``write`` scope. Errors are the API's shape (``{"error": ...}``), with ``message`` as well,
which Panoramax's clients print.
"""

import json
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from mtp.api.auth import Caller, authenticate
from mtp.api.errors import ApiError, error_response
from mtp.api.limits import bad_token_refusal, count_bad_token, count_request, refusal
from mtp.api.scopes import WRITE
from mtp.lib.http import json_response
from mtp.lib.ratelimit import apply_headers
from mtp.uploads import actions
from mtp.uploads.actions import SetParameters, UploadRefused
from mtp.uploads.exif import Overrides
from mtp.uploads.models import ProcessUploadSet, Transfer, UploadFile, UploadSet

# What a photo's form carries besides the photo: a few short fields.
FORM_OVERHEAD_BYTES = 64 * 1024


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JsonResponse:
    response = error_response(status, message, headers=headers)
    # Panoramax's clients print ``message``; ours read ``error``.
    body = json.loads(response.content)
    body["message"] = message
    response.content = json.dumps(body).encode()
    return response


def upload_view(*methods: str) -> Callable:
    """An upload API view: rate limited as API v1 is, ``methods`` only, errors in the API's
    shape (``ApiError`` and ``UploadRefused`` alike)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refused = bad_token_refusal(request)
            if refused is not None:
                return refused
            usage = count_request(request)
            if usage.exceeded:
                return refusal(usage)
            if request.method not in methods:
                response: HttpResponse = _error(
                    405,
                    f"{request.method} is not allowed here; use {', '.join(methods)}.",
                    headers={"Allow": ", ".join(methods)},
                )
            else:
                try:
                    response = view(request, *args, **kwargs)
                except ApiError as error:
                    response = _error(error.status, error.message, error.headers)
                except UploadRefused as refused_upload:
                    response = _error(refused_upload.status, refused_upload.message)
            return count_bad_token(request, apply_headers(response, usage))

        return wrapper

    return decorate


def _caller(request: HttpRequest, *, write: bool = False) -> Caller:
    """The person whose token this is; a 401 without one, a 403 without ``write`` to write."""
    caller = authenticate(request, require_user=True)
    if write and not caller.token.allow_scopes([WRITE]):  # type: ignore[union-attr]
        raise ApiError(
            403,
            f"This access token was not granted the '{WRITE}' scope: ask the user again for it.",
        )
    return caller


# The instance ----------------------------------------------------------------------------------


@upload_view("GET", "HEAD")
def configuration(request: HttpRequest) -> HttpResponse:
    """``GET /api/configuration``: the instance's name, that uploads need a signed-in person,
    and the defaults an upload set takes when it says nothing."""
    return json_response(
        {
            "name": {"label": settings.SITE_NAME, "langs": {}},
            "auth": {"enabled": True, "enforce_tos_acceptance": False},
            "defaults": {
                "split_distance": settings.MTP_UPLOAD_SPLIT_DISTANCE,
                "split_time": settings.MTP_UPLOAD_SPLIT_TIME,
                "duplicate_distance": settings.MTP_UPLOAD_DUPLICATE_DISTANCE,
                "duplicate_rotation": settings.MTP_UPLOAD_DUPLICATE_ROTATION,
            },
            "max_photo_bytes": settings.MTP_MAX_PHOTO_BYTES,
        }
    )


@upload_view("GET", "HEAD")
def me(request: HttpRequest) -> HttpResponse:
    """``GET /api/users/me``: the token's person. Their ``id`` is their username, as in
    ``/api/users/<id>/collection``."""
    username = _caller(request).user.username  # type: ignore[attr-defined]
    return json_response(
        {
            "id": username,
            "name": username,
            "links": [
                {
                    "rel": "collection",
                    "href": f"{settings.SITE_URL}/api/users/{username}/collection",
                }
            ],
        }
    )


# Upload sets -----------------------------------------------------------------------------------


def _set_json(upload_set: UploadSet) -> dict[str, Any]:
    sequence_ids = [
        str(unique_id) for unique_id in upload_set.sequences.values_list("unique_id", flat=True)
    ]
    return upload_set.to_dict(counts=UploadFile.counts(upload_set), sequence_ids=sequence_ids)


@upload_view("GET", "HEAD", "POST")
def upload_sets(request: HttpRequest) -> HttpResponse:
    """``POST``: a new upload set from a JSON body. ``GET``: the caller's upload sets."""
    if request.method == "POST":
        caller = _caller(request, write=True)
        parameters = _set_parameters(_json_body(request))
        upload_set = actions.create_upload_set(caller.user, caller.application, parameters)
        return json_response(_set_json(upload_set))
    caller = _caller(request)
    mine = UploadSet.objects.filter(owner_id=caller.user.pk).order_by("-created_at")[:100]  # type: ignore[attr-defined]
    return json_response({"upload_sets": [_set_json(item) for item in mine]})


@upload_view("GET", "HEAD")
def upload_set(request: HttpRequest, unique_id: str) -> HttpResponse:
    """``GET /api/upload_sets/<id>``: the set, its files' counts by state, its sequences."""
    caller = _caller(request)
    return json_response(_set_json(actions.owned_upload_set(caller.user, unique_id)))


@upload_view("GET", "HEAD", "POST")
def files(request: HttpRequest, unique_id: str) -> HttpResponse:
    """``POST``: one photo into the set (multipart ``file``). ``GET``: the set's files."""
    if request.method == "POST":
        return _add_file(request, unique_id)
    caller = _caller(request)
    owned = actions.owned_upload_set(caller.user, unique_id)
    listed = UploadFile.objects.filter(upload_set=owned).order_by("id")
    return json_response({"files": [item.to_dict() for item in listed]})


def _add_file(request: HttpRequest, unique_id: str) -> HttpResponse:
    caller = _caller(request, write=True)
    owned = actions.owned_upload_set(caller.user, unique_id)
    limit = settings.MTP_MAX_PHOTO_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiError(400, "The Content-Length header is not a number.") from None
    if declared > limit + FORM_OVERHEAD_BYTES:
        raise ApiError(413, f"The photo is over the limit of {limit} bytes.")
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise ApiError(415, "Send the photo as multipart/form-data, in the field 'file'.")
    try:
        upload = request.FILES.get("file")
    except RequestDataTooBig:
        raise ApiError(413, "The form's fields are too large.") from None
    if upload is None:
        raise ApiError(400, "file: send the photo in the multipart field 'file'.")
    if upload.size is not None and upload.size > limit:
        raise ApiError(413, f"The photo is over the limit of {limit} bytes.")
    data = upload.read()
    added = actions.add_file(
        owned,
        upload.name or "photo.jpg",
        data,
        overrides=_overrides(request.POST),
        is_blurred=request.POST.get("isBlurred", "false").strip().lower() == "true",
    )
    body = {
        "picture_id": str(added.picture_id),
        "upload_set_id": str(owned.unique_id),
        **added.to_dict(),
    }
    return json_response(body, status=202)


def _overrides(form) -> Overrides:
    """The uploader's ``override_latitude``, ``override_longitude``, ``override_capture_time``."""
    values: dict[str, Any] = {}
    for field, name in (("override_latitude", "lat"), ("override_longitude", "lon")):
        text = form.get(field)
        if text:
            try:
                values[name] = float(text)
            except ValueError:
                raise ApiError(400, f"{field}: give a number of degrees.") from None
    text = form.get("override_capture_time")
    if text:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(400, "override_capture_time: give an RFC 3339 date and time.") from None
        if moment.tzinfo is None:
            raise ApiError(400, "override_capture_time: give the time's offset (Z or +01:00).")
        values["captured_at"] = moment
    return Overrides(**values)


@upload_view("POST")
def complete(request: HttpRequest, unique_id: str) -> HttpResponse:
    """``POST /api/upload_sets/<id>/complete``: no more files; processing starts."""
    caller = _caller(request, write=True)
    completed = actions.complete(actions.owned_upload_set(caller.user, unique_id))
    return json_response(_set_json(completed))


# Parsing ---------------------------------------------------------------------------------------


def _json_body(request: HttpRequest) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise ApiError(415, "Send the upload set as a JSON object (application/json).")
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.")
    return body


def _number(body: dict[str, Any], field: str, kind: type, minimum: float) -> Any:
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(400, f"{field}: give a number.")
    if value < minimum:
        raise ApiError(400, f"{field}: give a number of at least {minimum}.")
    return kind(value)


def _flag(body: dict[str, Any], field: str) -> bool:
    value = body.get(field, False)
    if not isinstance(value, bool):
        raise ApiError(400, f"{field}: give true or false.")
    return value


def _choice(body: dict[str, Any], field: str, choices: list[str], default: str) -> str:
    value = body.get(field)
    if value is None:
        return default
    normal = str(value).replace("_", "-")
    if normal not in choices:
        raise ApiError(400, f"{field}: choose one of {', '.join(choices)}.")
    return normal


def _set_parameters(body: dict[str, Any]) -> SetParameters:
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ApiError(400, "title: give the upload set a title.")
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ApiError(400, "metadata: give a JSON object.")
    semantics = body.get("semantics")
    if semantics is not None and (
        not isinstance(semantics, list)
        or not all(
            isinstance(item, dict) and isinstance(item.get("key"), str) for item in semantics
        )
    ):
        raise ApiError(400, 'semantics: give a list of {"key": ..., "value": ...}.')
    relative_heading = body.get("relative_heading")
    if relative_heading is not None and (
        isinstance(relative_heading, bool) or not isinstance(relative_heading, int)
    ):
        raise ApiError(400, "relative_heading: give a whole number of degrees.")
    return SetParameters(
        title=title,
        estimated_nb_files=_number(body, "estimated_nb_files", int, 0),
        split_distance=_number(body, "split_distance", int, 0),
        split_time=_number(body, "split_time", int, 0),
        no_split=_flag(body, "no_split"),
        duplicate_distance=_number(body, "duplicate_distance", float, 0),
        duplicate_rotation=_number(body, "duplicate_rotation", int, 0),
        no_deduplication=_flag(body, "no_deduplication"),
        sort_method=_choice(
            body, "sort_method", UploadSet.SortMethod.values, UploadSet.SortMethod.TIME_ASC
        ),
        visibility=_choice(
            body, "visibility", UploadSet.Visibility.values, UploadSet.Visibility.ANYONE
        ),
        relative_heading=relative_heading,
        metadata=metadata,
        semantics=semantics,
    )


# Transfers from other instances ----------------------------------------------------------------


def _transfer_json(transfer: Transfer) -> dict[str, Any]:
    sequence = transfer.sequence
    job = getattr(transfer.upload_set, "job", None)
    return transfer.to_dict(
        collection_ready=sequence is not None and sequence.status == sequence.Status.PUBLISHED,
        collection_failed=job is not None and job.status == ProcessUploadSet.Status.FAILED,
    )


@upload_view("POST")
def transfers(request: HttpRequest) -> HttpResponse:
    """``POST /api/transfers``: copy the collection at ``collection_location`` (another
    instance's ``/api/collections/<id>``) here; the worker does it. 202, with the collection it
    becomes in ``Location``."""
    caller = _caller(request, write=True)
    location = _json_body(request).get("collection_location")
    if not isinstance(location, str) or not location.strip():
        raise ApiError(400, "collection_location: give the address of the collection to copy.")
    started = actions.start_transfer(caller.user, caller.application, location.strip())
    response = json_response(_transfer_json(started), status=202)
    if started.sequence is not None:
        response["Location"] = settings.SITE_URL + reverse(
            "stac-collection", args=[started.sequence.unique_id]
        )
    return response


@upload_view("GET", "HEAD")
def transfer(request: HttpRequest, unique_id: str) -> HttpResponse:
    """``GET /api/transfers/<id>``: where one of the caller's transfers stands."""
    caller = _caller(request)
    return json_response(_transfer_json(actions.owned_transfer(caller.user, unique_id)))


@upload_view("GET", "HEAD")
def user_transfers(request: HttpRequest, user_id: str) -> HttpResponse:
    """``GET /api/users/me/transfers``: the caller's transfers, those under way unless
    ``show_all=true``. Only a person's own are shown (``me``, or their id)."""
    caller = _caller(request)
    username = caller.user.username  # type: ignore[attr-defined]
    if user_id not in ("me", username):
        raise ApiError(404, "Only your own transfers are shown: /api/users/me/transfers.")
    listed = Transfer.objects.filter(owner_id=caller.user.pk).select_related(  # type: ignore[attr-defined]
        "sequence", "upload_set__job"
    )
    if request.GET.get("show_all", "false").strip().lower() != "true":
        listed = listed.exclude(status__in=[Transfer.Status.SUCCEEDED, Transfer.Status.FAILED])
    return json_response({"transfers": [_transfer_json(item) for item in listed[:100]]})


# Tokens of ``panoramax_cli login`` -----------------------------------------------------------


@upload_view("POST")
def generate_token(request: HttpRequest) -> HttpResponse:
    """``POST /api/auth/tokens/generate``: a token that works once a signed-in person claims
    it at the ``claim`` link (the command-line client shows the link and waits)."""
    claim, raw = actions.generate_cli_token()
    claim_url = settings.SITE_URL + reverse("claim-token", args=[claim.unique_id])
    return json_response(
        {
            "id": str(claim.unique_id),
            "jwt_token": raw,
            "description": actions.CLI_APPLICATION_NAME,
            "generated_at": claim.created_at,
            "links": [{"rel": "claim", "type": "text/html", "href": claim_url}],
        }
    )


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return _error(404, f"There is no {request.path} in the upload API.")
