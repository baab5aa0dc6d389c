"""The API's one error shape: ``{"error": "<message>", "status": false, "detail": {...}}``.

The MTP Desktop Uploader treats any reply with an ``error`` key as a failure, so every
failure carries one, with a real HTTP status.
"""

from typing import Any

from django.http import HttpRequest, JsonResponse


class ApiError(Exception):
    """An error to answer with ``status`` and ``message``; raise it anywhere in an API view."""

    def __init__(
        self,
        status: int,
        message: str,
        detail: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail or {}
        self.headers = headers or {}


def error_response(
    status: int,
    message: str,
    detail: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    response = JsonResponse(
        {"error": message, "status": False, "detail": detail or {}}, status=status
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def api_error_response(request: HttpRequest, error: ApiError) -> JsonResponse:
    return error_response(error.status, error.message, error.detail, error.headers)


def _field_name(location: tuple | list) -> str:
    # ("body", "name") -> "name"; ("query", "filters", "limit") -> "limit"
    parts = [str(part) for part in location[1:] if part not in ("filters", "params", "payload")]
    return ".".join(parts)


def validation_error_response(errors: list[dict[str, Any]]) -> JsonResponse:
    """A 422 whose message names the first problem; every problem is in ``detail.errors``."""
    listed = []
    for error in errors:
        field = _field_name(error.get("loc", ()))
        if error.get("type") == "missing":
            message = f"{field} is required." if field else "A value is required."
        else:
            message = str(error.get("msg", "is not valid"))
            if field:
                message = f"{field}: {message}"
        listed.append({"field": field, "message": message, "type": error.get("type", "")})
    summary = listed[0]["message"] if listed else "The request is not valid."
    return error_response(422, summary, {"errors": listed})


def invalid_parameter(field: str, message: str) -> ApiError:
    """A 422 for one query or body field, in the same shape as schema validation errors."""
    text = f"{field}: {message}"
    return ApiError(422, text, {"errors": [{"field": field, "message": text, "type": "invalid"}]})
