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
