"""URLs of API v1, mounted at /api/v1/.

Around django-ninja's own routes: the rate limit (mtp/api/limits.py) and a body size check
before anything reads the body, a JSON 405 for a wrong method, HEAD wherever there is GET,
every route also with a trailing slash, and a JSON 404 (rate limited too) for any other path
under /api/v1/. Keep other /api/v1/ routes (OAuth) before this module's include.
"""

from functools import wraps

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.urls import URLPattern, path, re_path, reverse
from django.views.decorators.csrf import csrf_exempt

from mtp.api.api import api
from mtp.api.bodies import body_refusal_error, carries_nul
from mtp.api.errors import api_error_response, error_response
from mtp.api.limits import bad_token_refusal, count_bad_token, count_request, refusal
from mtp.lib.ratelimit import apply_headers


def _api_view(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        refused = bad_token_refusal(request)
        if refused is not None:
            return refused
        usage = count_request(request)
        if usage.exceeded:
            return refusal(usage)
        if request.method == "HEAD":
            response = _head(view, request, *args, **kwargs)
        else:
            response = _checked_view(view, request, *args, **kwargs)
        return count_bad_token(request, apply_headers(response, usage))

    return wrapper


def _checked_view(view, request: HttpRequest, *args, **kwargs) -> HttpResponse:
    refused = body_refusal_error(request)
    if refused is not None:
        return api_error_response(request, refused)
    if carries_nul(request):
        return error_response(400, "Text may not contain NUL characters.")
    response = view(request, *args, **kwargs)
    if isinstance(response, HttpResponseNotAllowed):
        allowed = {method.strip() for method in response["Allow"].split(",")}
        if "GET" in allowed:
            allowed.add("HEAD")
        methods = sorted(allowed)
        return error_response(
            405,
            f"{request.method} is not allowed here; use {', '.join(methods)}.",
            {"allowed": methods},
            headers={"Allow": ", ".join(methods)},
        )
    return response


def _head(view, request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """HEAD: the GET reply's status and fields, without its body."""
    request.method = "GET"
    try:
        response = _checked_view(view, request, *args, **kwargs)
    finally:
        request.method = "HEAD"
    if isinstance(response, HttpResponse):
        response["Content-Length"] = str(len(response.content))
        response.content = b""
    elif isinstance(response, StreamingHttpResponse):
        # A streamed body (a tour's GPX) is not written at all: its length is not known.
        response.close()
        response.streaming_content = ()
    return response


@csrf_exempt
def not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    return error_response(404, f"There is no {request.path} in API v1. See /api/v1/docs.")


def index(request: HttpRequest, **kwargs) -> HttpResponse:
    """/api/v1/: where the documentation is."""
    return JsonResponse(
        {
            "name": api.title,
            "version": api.version,
            "docs": f"{settings.SITE_URL}{reverse('api:openapi-view')}",
            "openapi": f"{settings.SITE_URL}{reverse('api:openapi-json')}",
        }
    )


def _wrapped_patterns() -> tuple[list, str, str]:
    """django-ninja's patterns, wrapped, each also with a trailing slash (the uploader adds one)."""
    patterns, app_name, namespace = api.urls
    with_slashes = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            if pattern.name == "api-root":
                pattern.callback = index
            pattern.callback = _api_view(pattern.callback)
            route = str(pattern.pattern)
            if route and not route.endswith("/"):
                with_slashes.append(path(f"{route}/", pattern.callback))
    return patterns + with_slashes, app_name, namespace


urlpatterns = [
    path("", _wrapped_patterns()),
    re_path(r"", _api_view(not_found)),
]
