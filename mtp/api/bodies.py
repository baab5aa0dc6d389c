"""Request bodies: JSON, form-urlencoded or multipart, read into one dict and validated."""

import json
import re
from io import BytesIO
from typing import Any, TypeVar

import pydantic
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParser
from ninja.errors import ValidationError

from mtp.api.errors import ApiError
from mtp.lib.http import BodyRefusal, body_refusal, too_large

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
BODY_TYPES = ("application/json", *FORM_TYPES)

SchemaT = TypeVar("SchemaT", bound=pydantic.BaseModel)


def body_refusal_error(request: HttpRequest) -> ApiError | None:
    """The API's error for a body refused before anything reads it (``body_refusal``: 411, 400
    or 413, with the limit), for every content type (Django checks only some)."""
    refusal = body_refusal(request)
    if refusal is None:
        return None
    return ApiError(refusal.status, refusal.message, _limit_detail(refusal))


def too_large_error() -> ApiError:
    """The API's 413 for a body found over the limit while it was read."""
    refusal = too_large()
    return ApiError(refusal.status, refusal.message, _limit_detail(refusal))


def _limit_detail(refusal: BodyRefusal) -> dict | None:
    return {"limit": refusal.limit} if refusal.limit is not None else None


# A JSON \u0000 escape: a backslash that is not itself escaped, then u0000.
JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def carries_nul(request: HttpRequest) -> bool:
    """Whether the query string or the body holds a NUL character, which no text field may
    contain (PostgreSQL cannot store one). Checked before anything reads the values."""
    if any("\x00" in value for _, values in request.GET.lists() for value in values):
        return True
    if int(request.META.get("CONTENT_LENGTH") or 0) <= 0:
        return False
    content_type = request.content_type or ""
    if content_type == "application/json":
        return JSON_NUL.search(request.body) is not None
    if content_type in FORM_TYPES:
        return any("\x00" in value for _, values in form_fields(request) for value in values)
    return False


def parse_json(raw: bytes) -> Any:
    """A JSON body, or a 400: not JSON, nested too deeply for the parser (RecursionError), or
    holding a lone UTF-16 surrogate (``"\\ud800"``), which is no character and which neither
    database can store."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "The request body is not valid JSON.") from None
    if _has_lone_surrogate(data):
        raise ApiError(
            400, "The request body holds a lone UTF-16 surrogate (\\ud800 to \\udfff): no text may."
        )
    return data


def _has_lone_surrogate(data: Any) -> bool:
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def read_body(request: HttpRequest, accepted: tuple[str, ...] = BODY_TYPES) -> dict[str, Any]:
    """The body as a dict, sent as one of ``accepted``. Form fields sent more than once become
    lists."""
    content_type = request.content_type or ""
    has_body = int(request.META.get("CONTENT_LENGTH") or 0) > 0
    if content_type in FORM_TYPES and content_type in accepted:
        return {
            key: values[0] if len(values) == 1 else values for key, values in form_fields(request)
        }
    if not has_body:
        return {}
    if content_type == "application/json" and content_type in accepted:
        data = parse_json(request.body)
        if not isinstance(data, dict):
            raise ApiError(400, "The JSON body must be an object.")
        return data
    raise ApiError(
        415,
        f"Send the body as one of {', '.join(accepted)} (not {content_type or 'untyped'}).",
        {"accepted": list(accepted)},
    )


def form_fields(request: HttpRequest):
    """The fields of a form body. Django parses forms only for POST; PUT and PATCH are read here."""
    if request.method == "POST":
        # Never request.body here: a multipart body may already have been streamed into POST.
        return request.POST.lists()
    if request.content_type == "application/x-www-form-urlencoded":
        return QueryDict(request.body, encoding=request.encoding).lists()
    parser = MultiPartParser(
        request.META, BytesIO(request.body), request.upload_handlers, request.encoding
    )
    fields, _files = parser.parse()
    return fields.lists()


def validate_body(
    request: HttpRequest, schema: type[SchemaT], accepted: tuple[str, ...] = BODY_TYPES
) -> SchemaT:
    """The body read and validated against ``schema``; a 422 listing every problem otherwise."""
    data = read_body(request, accepted)
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as error:
        errors: list[dict[str, Any]] = []
        for details in error.errors(include_url=False, include_input=False):
            item: dict[str, Any] = dict(details)
            item["loc"] = ("body", *item["loc"])
            if "ctx" in item:
                item["ctx"] = {key: str(value) for key, value in item["ctx"].items()}
            errors.append(item)
        raise ValidationError(errors) from None


# The request body of an endpoint that takes JSON or a form, for the OpenAPI document.
def openapi_body(
    schema: type[pydantic.BaseModel],
    *,
    required: bool = True,
    accepted: tuple[str, ...] = BODY_TYPES,
) -> dict[str, Any]:
    reference = schema.model_json_schema(ref_template="#/components/schemas/{model}")
    return {
        "requestBody": {
            "required": required,
            "content": {media_type: {"schema": reference} for media_type in accepted},
        }
    }
