"""A Content-Security-Policy on every response, a 413 for a body over the size limit (411 for
one sent in chunks without a length), and no caching of pages shown to a signed-in person.

Django's SecurityMiddleware and XFrameOptionsMiddleware already send ``X-Content-Type-Options:
nosniff``, ``Referrer-Policy``, ``Cross-Origin-Opener-Policy`` and ``X-Frame-Options: DENY``
(see SECURE_* and X_FRAME_OPTIONS in settings). ContentSecurityPolicyMiddleware adds the CSP:

- Site pages (HTML): nothing inline, nothing from another site but the base map's tiles and
  the photos: the photo links are this site's, but answer with a redirect to Mapillary's CDN
  (``*.fbcdn.net``; the stand-in's own address when ``MAPILLARY_API_URL`` points elsewhere),
  and a browser checks the redirect's target against ``img-src`` too.
  ``form-action 'self'``: every form posts to this site. The OAuth consent pages answer their
  form with a redirect to the application (``app.mtp.desktop://app#access_token=...``), and
  browsers may check ``form-action`` against that redirect too (Chromium does), so those
  pages set their own
  policy without it (SIGN_IN_PAGE_CSP, set by ``sign_in_page``); a response that already has a
  policy keeps it.
- The admin (``/admin/``): the map widget of the sequence and image pages (GeoDjango's) runs
  an inline script and loads OpenLayers from cdn.jsdelivr.net with OpenStreetMap tiles, so
  the admin's pages allow inline scripts and styles and those two origins. Only staff see
  them.
- The API's documentation page (Swagger UI) runs under the pages' policy: its script and
  stylesheet are files of this site and it sets styles only through the DOM.
- Anything that is not HTML (JSON, GeoJSON, GPX, tiles): ``default-src 'none'``: such a reply
  opened in a browser runs and loads nothing, and cannot be framed.

Static files are answered by WhiteNoise before this middleware runs, so scripts (the map's
worker among them) carry no policy of their own and run under their page's.
"""

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from mtp.lib.http import body_refusal

HEADER = "Content-Security-Policy"
DEFAULT_BASEMAP = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
ADMIN_ORIGINS = "https://cdn.jsdelivr.net"
ADMIN_TILES = "https://tile.openstreetmap.org"
# Where Mapillary's signed photo links point (scontent-<place>.xx.fbcdn.net and the like).
MAPILLARY_API = "https://graph.mapillary.com"
MAPILLARY_PHOTOS = "https://*.fbcdn.net"

NOT_HTML_POLICY = "default-src 'none'; frame-ancestors 'none'"
# Pages where people sign in or grant access: nothing from elsewhere, never framed.
SIGN_IN_PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'"
)


def sign_in_page(response: HttpResponse) -> HttpResponse:
    """``response`` with the headers of a page where people sign in, grant access or see a
    secret: its own policy (no ``form-action``), no referrer to other sites, never framed,
    never cached."""
    response[HEADER] = SIGN_IN_PAGE_CSP
    # Nothing (the authorization request's state, say) leaks to other sites; same-origin, not
    # no-referrer, so that the consent form's post carries this site's Origin for CSRF.
    response["Referrer-Policy"] = "same-origin"
    response["X-Frame-Options"] = "DENY"
    response["Cache-Control"] = "no-store"
    return response


def _origin(url: str) -> str:
    """The origin of a tile URL template ("" for none); a placeholder host covers subdomains."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = parts.netloc
    if "{" in host and "." in host:
        # {s}.tile.example.org: any subdomain of tile.example.org.
        host = "*." + host.split(".", 1)[1]
    return f"{parts.scheme}://{host}"


def _join(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def photo_origin() -> str:
    """Where the photo links redirect to: Mapillary's CDN, or the stand-in serving as it."""
    api = getattr(settings, "MAPILLARY_API_URL", MAPILLARY_API).rstrip("/")
    return MAPILLARY_PHOTOS if api == MAPILLARY_API else _origin(api)


def page_policy() -> str:
    """The policy of the site's pages."""
    basemap = _origin(getattr(settings, "MTP_BASEMAP_TILE_URL", DEFAULT_BASEMAP))
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            _join("img-src 'self' data:", basemap, photo_origin()),
            _join("connect-src 'self'", basemap),
            "worker-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


ADMIN_POLICY = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' 'unsafe-inline' {ADMIN_ORIGINS}",
        f"style-src 'self' 'unsafe-inline' {ADMIN_ORIGINS}",
        f"img-src 'self' data: {ADMIN_TILES}",
        f"connect-src 'self' {ADMIN_TILES}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def policy_for(request: HttpRequest, response: HttpResponse) -> str:
    """The policy a response gets when its view set none."""
    content_type = response.get("Content-Type", "")
    if not content_type.startswith("text/html"):
        return NOT_HTML_POLICY
    path = request.path_info
    if path.startswith("/admin/"):
        return ADMIN_POLICY
    return page_policy()


class ContentSecurityPolicyMiddleware:
    """Set ``Content-Security-Policy`` on every response that has none (see the module doc)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy_for(request, response)
        return response


class PrivatePageMiddleware:
    """``Cache-Control: private, no-store`` on every page shown to a signed-in person.

    Such a page carries their name, their drafts, their applications: no shared cache may keep
    it, and the browser neither (a page reached with Back after signing out on a shared computer
    would show it again). A view that sets its own Cache-Control keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            "Cache-Control" not in response
            and response.get("Content-Type", "").startswith("text/html")
            and request.user.is_authenticated
        ):
            response["Cache-Control"] = "private, no-store"
        return response


# The OAuth endpoints under /api/v1/; the rest of /api/v1/ answers a large body itself, in the
# API's error shape and after its rate limit (mtp/api/urls.py).
OAUTH_PATHS = (
    "/api/v1/authorize",
    "/api/v1/token",
    "/api/v1/revoke",
    "/api/v1/introspect",
    "/api/v1/device_authorization",
)


# Where photos are uploaded: the upload API (``POST /api/upload_sets/<id>/files``) and the
# website's upload page (``POST /upload/sets/<id>/files/``).
PHOTO_UPLOADS = re.compile(r"^/(api/upload_sets|upload/sets)/[^/]+/files/?$")


class RequestSizeMiddleware:
    """A 413 for a body declared larger than MTP_MAX_BODY_BYTES, before anything reads it, a
    411 for a chunked body without a length, a 400 for a length that is not a number
    (``mtp.lib.http.body_refusal``).

    Without it Django refuses such a body only once a view or the CSRF check reads the form,
    with a 400 page, even at the OAuth endpoints, which answer JSON.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if PHOTO_UPLOADS.match(path):
            # A photo is larger than any other body: the upload API and the upload page check
            # it against MTP_MAX_PHOTO_BYTES and answer in their own shape (mtp/api/uploads.py,
            # mtp/web/uploads.py).
            return self.get_response(request)
        if not path.startswith("/api/v1/") or path.startswith(OAUTH_PATHS):
            refusal = body_refusal(request)
            if refusal is not None:
                return _refusal(path, refusal.status, refusal.message)
        return self.get_response(request)


def _refusal(path: str, status: int, message: str) -> HttpResponse:
    """RFC 6749's error shape at the OAuth endpoints, plain text on the site."""
    if path.startswith("/api/v1/"):
        return JsonResponse(
            {"error": "invalid_request", "error_description": message}, status=status
        )
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
