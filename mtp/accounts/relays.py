"""Sign-in relays for the MTP Desktop Uploader.

The uploader gives this site as the ``redirect_uri`` of its Mapillary, Google and Strava
sign-ins; the site hands the provider's answer to the app through its URL scheme, query
string unchanged. The target is fixed per relay, never taken from the request, and nothing
of the query (it carries authorization codes) is stored or logged.
"""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

APP_SCHEME = "app.mtp.desktop"


class AppRedirect(HttpResponseRedirect):
    """A 302 to the uploader's own URL scheme (Django allows only http, https and ftp)."""

    allowed_schemes = [APP_SCHEME]


def _relay(target: str):
    @never_cache
    @require_safe
    def relay(request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        response = AppRedirect(
            f"{APP_SCHEME}://{target}?{query}" if query else f"{APP_SCHEME}://{target}"
        )
        # The query carries a one-time code: no page it leads to may see this address.
        response["Referrer-Policy"] = "no-referrer"
        return response

    relay.__name__ = f"{target}_relay"
    relay.__doc__ = f"Redirect to {APP_SCHEME}://{target} with the query string unchanged."
    return relay


mapillary = _relay("mapillary")
google = _relay("google")
strava = _relay("strava")
