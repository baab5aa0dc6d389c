"""URLs of API v1, mounted at /api/v1/.

Around django-ninja's own routes: a body size check before anything reads the body, a JSON 405
for a wrong method, every route also with a trailing slash, and a JSON 404 for any other path
under /api/v1/. Keep other /api/v1/ routes (OAuth) before this module's include.
"""

from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import Resolver404, URLPattern, path, re_path, resolve, reverse
from django.views.decorators.csrf import csrf_exempt

from mtp.api.api import api
from mtp.api.bodies import body_too_large
from mtp.api.errors import api_error_response, error_response


def _api_view(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        refusal = body_too_large(request)
        if refusal is not None:
            return api_error_response(request, refusal)
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = sorted(method.strip() for method in response["Allow"].split(","))
            return error_response(
                405,
                f"{request.method} is not allowed here; use {', '.join(allowed)}.",
                {"allowed": allowed},
                headers={"Allow": ", ".join(allowed)},
            )
        return response

    return wrapper


@csrf_exempt
def not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    return error_response(404, f"There is no {request.path} in API v1. See /api/v1/docs.")


@csrf_exempt
def without_trailing_slash(request: HttpRequest, route: str) -> HttpResponse:
    """The route without its trailing slash (the MTP Desktop Uploader adds one)."""
    try:
        match = resolve(request.path_info.rstrip("/"))
    except Resolver404:
        return not_found(request)
    if match.func in (not_found, without_trailing_slash):
        return not_found(request)
    return match.func(request, *match.args, **match.kwargs)


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
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            if pattern.name == "api-root":
                pattern.callback = index
            pattern.callback = _api_view(pattern.callback)
    return patterns, app_name, namespace


urlpatterns = [
    path("", _wrapped_patterns()),
    re_path(r"^(?P<route>.+)/$", without_trailing_slash),
    re_path(r"", not_found),
]
