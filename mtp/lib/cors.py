"""Cross-origin requests to the API, for applications that run in a web page.

A web application on another site calls the API from its own pages: ``fetch`` with a bearer
token, the token endpoint for the code flow with PKCE, the vector tiles for its map. Browsers
let a page read such a reply only when the reply says so (CORS), and first send a preflight
``OPTIONS`` for any request with an ``Authorization`` header or a JSON body.

The API authenticates only with the ``Authorization`` header, never with a cookie, so it may
answer any origin: ``Access-Control-Allow-Origin: *``, never with
``Access-Control-Allow-Credentials``. Browsers send no cookies with such requests, so a page on
another site reads nothing its own token (or the public client_id rule) would not give it.
``MTP_CORS_ORIGINS`` narrows this to a list of origins, or turns it off when empty.

Covered: everything under ``/api/v1/`` (the tiles and the OAuth token, revocation and device
endpoints included), the STAC API (``/api``, ``/api/collections``...) and the OAuth metadata.
Not covered: the authorization endpoint and the device page, which are pages a person sees in
the browser's own window, and introspection, which is for resource servers, not browsers.

The middleware runs before the database is touched: a preflight is answered at once, without
counting it against a rate limit, and the CORS fields are added to every reply on those paths,
errors and 503s included, so that the page can read the error and the ``Retry-After``.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

# "/api": API v1 under /api/v1/ and the STAC API at /api and beside API v1.
PATHS = ("/api", "/.well-known/oauth-authorization-server")
EXCLUDED = ("/api/v1/authorize", "/api/v1/introspect")
METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"
# Request fields a page may set beyond the CORS-safelisted ones.
REQUEST_HEADERS = "Authorization, Content-Type, If-None-Match"
# Reply fields a page may read beyond the CORS-safelisted ones.
EXPOSED_HEADERS = "Location, Link, ETag, Retry-After, RateLimit, RateLimit-Policy, WWW-Authenticate"
# Chromium keeps a preflight's answer at most 2 hours.
PREFLIGHT_MAX_AGE = 7200


def covers(path: str) -> bool:
    """Whether ``path`` answers other sites' pages."""
    if any(path == excluded or path.startswith(excluded + "/") for excluded in EXCLUDED):
        return False
    return any(path.startswith(prefix) for prefix in PATHS)


def allowed_origin(origin: str) -> str:
    """The Access-Control-Allow-Origin value for a request from ``origin``, "" for none."""
    origins = settings.MTP_CORS_ORIGINS
    if "*" in origins:
        return "*"
    return origin if origin in origins else ""


class CorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        origins = settings.MTP_CORS_ORIGINS
        if not origins or not covers(request.path):
            return self.get_response(request)
        origin = request.headers.get("Origin", "")
        allowed = allowed_origin(origin) if origin else ""
        preflight = request.method == "OPTIONS" and "Access-Control-Request-Method" in (
            request.headers
        )
        if preflight and allowed:
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = METHODS
            response["Access-Control-Allow-Headers"] = REQUEST_HEADERS
            response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        else:
            response = self.get_response(request)
        if allowed:
            response["Access-Control-Allow-Origin"] = allowed
            if not preflight:
                response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if "*" not in origins:
            # The reply depends on the origin: caches must keep one per origin.
            patch_vary_headers(response, ("Origin",))
        return response
