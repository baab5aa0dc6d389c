"""The OAuth 2.0 endpoints: django-oauth-toolkit's views with this server's rules.

Authorization (the consent page), token, revocation (RFC 7009), introspection (RFC 7662),
server metadata (RFC 8414) and the device flow (RFC 8628); their URLs are in oauth_urls.py.
The developer pages, where people register applications, are in views.py.
"""

import base64
import json
import re
from datetime import timedelta
from urllib.parse import unquote_plus

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import View
from oauth2_provider import views as dot_views
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import get_access_token_model
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views.mixins import OAuthLibMixin
from oauthlib.common import add_params_to_uri
from oauthlib.oauth2.rfc6749 import errors as oauth_errors

from mtp.developers.forms import ConsentForm, UserCodeForm
from mtp.developers.models import Application, redirect_destination
from mtp.developers.oauth2 import DeviceGrant, digest
from mtp.lib import ratelimit
from mtp.lib.http import client_ip
from mtp.lib.ratelimit import Policy
from mtp.lib.security import sign_in_page

AccessToken = get_access_token_model()


def who_asks(application: Application, redirect_uri: str = "") -> dict:
    """What a consent page says of the application asking: its owner's name and username
    (a display name alone can be anything), and where the browser goes afterwards."""
    owner = application.user
    return {
        "owner_name": owner.public_name if owner else settings.SITE_NAME,
        "owner_username": owner.username if owner and owner.public_name != owner.username else "",
        "destination": redirect_destination(redirect_uri) if redirect_uri else "",
    }


def _oauth_error(status: int, error: str, description: str, **headers: str) -> JsonResponse:
    """An RFC 6749 section 5.2 error body."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


# A percent sign not followed by two hex digits: oauthlib cannot decode such a query string.
BAD_PERCENT_ENCODING = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _malformed(request: HttpRequest) -> str | None:
    """What is wrong with a request's parameters that no OAuth endpoint should try to parse."""
    if BAD_PERCENT_ENCODING.search(request.META.get("QUERY_STRING", "")):
        return "The query string is not properly percent-encoded."
    for params in (request.GET, request.POST):
        for key, values in params.lists():
            if any("\x00" in value for value in (key, *values)):
                return "Parameters cannot contain NUL characters."
    client_id, secret = _client_credentials(request)
    if "\x00" in (client_id or "") + (secret or ""):
        return "Client credentials cannot contain NUL characters."
    return None


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _client_credentials(request: HttpRequest) -> tuple[str | None, str | None]:
    """The client_id and secret a request authenticates with (Basic header, else form body)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except ValueError:
            # binascii.Error, UnicodeDecodeError, and the ValueError b64decode raises for a
            # header that is not ASCII (found by mtp/developers/tests/test_fuzz.py).
            return None, None
        client_id, _, secret = decoded.partition(":")
        return unquote_plus(client_id), unquote_plus(secret)
    return request.POST.get("client_id"), request.POST.get("client_secret")


class OAuthEndpointMixin:
    """Rate limit per address, answer only POST with JSON errors, never let a reply be cached.

    The views using it also hide every POST parameter from error reports (codes, verifiers,
    secrets and tokens all travel there).
    """

    rate_scope = "oauth"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        usage = ratelimit.hit(
            Policy(self.rate_scope, settings.OAUTH_RATE_LIMIT, settings.OAUTH_RATE_WINDOW),
            client_ip(request),
        )
        if usage.exceeded:
            response = _oauth_error(
                429,
                "temporarily_unavailable",
                "Too many requests from this address; try again later.",
            )
        elif problem := _malformed(request):
            response = _oauth_error(400, "invalid_request", problem)
        else:
            response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        if response.status_code == 401 and b'"invalid_client"' in response.content:
            # RFC 6749 section 5.2: name the scheme the client can authenticate with.
            response["WWW-Authenticate"] = 'Basic realm="oauth"'
        return _no_store(ratelimit.apply_headers(response, usage))

    def http_method_not_allowed(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return _oauth_error(405, "invalid_request", "Use POST.", Allow="POST")


# -- authorization endpoint ------------------------------------------------------------------


class AuthorizationView(dot_views.AuthorizationView):
    """The consent page: DOT's authorization view with this server's rules.

    ``response_type=implicit`` means ``token``; errors for the implicit flow go in the
    fragment; a denial or error never redirects to a URI the application has not registered.
    """

    template_name = "developers/authorize.html"
    form_class = ConsentForm

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "GET" and request.GET.get("response_type") == "implicit":
            query = request.GET.copy()
            query["response_type"] = "token"
            request.META["QUERY_STRING"] = query.urlencode()
            request.GET = query  # type: ignore[assignment]
        self.response_type = request.GET.get("response_type")
        self.redirect_uri_given = "redirect_uri" in request.GET
        if problem := _malformed(request):
            return sign_in_page(
                self._error_page(oauth_errors.InvalidRequestFatalError(description=problem))
            )
        if request.method == "GET" and not request.user.is_authenticated:
            # Say what is wrong with a bad request before asking anyone to log in.
            try:
                self.validate_authorization_request(request)
            except OAuthToolkitError as error:
                return sign_in_page(self.error_response(error, application=None))
        return sign_in_page(super().dispatch(request, *args, **kwargs))

    def get_initial(self) -> dict:
        initial = super().get_initial()
        initial["redirect_uri_given"] = self.redirect_uri_given
        return initial

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        application = context.get("application")
        if application is not None:
            form = context.get("form")
            redirect_uri = context.get("redirect_uri") or (
                form.data.get("redirect_uri", "") if form is not None else ""
            )
            context.update(who_asks(application, redirect_uri))
        return context

    def form_valid(self, form: ConsentForm) -> HttpResponse:
        application = Application.objects.filter(client_id=form.cleaned_data["client_id"]).first()
        if (
            application is None
            or not application.is_active
            or not application.redirect_uri_allowed(form.cleaned_data["redirect_uri"])
        ):
            return self._error_page(
                oauth_errors.InvalidRequestFatalError(description="Invalid request.")
            )
        self.response_type = form.cleaned_data["response_type"]
        self.redirect_uri_given = form.cleaned_data["redirect_uri_given"]
        return super().form_valid(form)

    def create_authorization_response(self, request, scopes, credentials, allow):
        # Whether the request named a redirect URI binds the code to it (RFC 6749 4.1.3).
        credentials = {**credentials, "redirect_uri_given": self.redirect_uri_given}
        if not credentials.get("state"):
            # The consent form carries an absent state as ""; answer with none, not "state=".
            credentials.pop("state", None)
        return super().create_authorization_response(request, scopes, credentials, allow)

    def error_response(self, error: OAuthToolkitError, application, **kwargs) -> HttpResponse:
        redirect_allowed, _ = OAuthLibMixin.error_response(self, error, **kwargs)
        oauthlib_error = error.oauthlib_error
        redirect_uri = oauthlib_error.redirect_uri
        if application is None and oauthlib_error.client_id:
            application = Application.objects.filter(client_id=oauthlib_error.client_id).first()
        if (
            not redirect_allowed
            or not redirect_uri
            or application is None
            or not application.redirect_uri_allowed(redirect_uri)
        ):
            return self._error_page(oauthlib_error)
        implicit = "token" in (self.response_type, oauthlib_error.response_type) or (
            oauthlib_error.response_mode == "fragment"
        )
        url = add_params_to_uri(redirect_uri, oauthlib_error.twotuples, fragment=implicit)
        return self.redirect(url, application)

    def _error_page(self, oauthlib_error) -> HttpResponse:
        return self.render_to_response(
            {"error": oauthlib_error}, status=getattr(oauthlib_error, "status_code", 400)
        )


# -- token, revocation, introspection, metadata ---------------------------------------------


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(sensitive_post_parameters(), name="dispatch")
class TokenView(OAuthEndpointMixin, dot_views.TokenView):
    """Code exchange, refresh and device code polling."""

    rate_scope = "token"

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # Device codes too go through oauthlib, which asks Validator.validate_device_code.
        # Not DOT's authorization_flow_token_response: it reads the new token back from the
        # database to send app_authorized (which nothing here listens to), and a replay of
        # the code racing this exchange may already have revoked that token (RFC 6749
        # 4.1.2), which made the read fail with a 500.
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(sensitive_post_parameters(), name="dispatch")
class RevokeTokenView(OAuthEndpointMixin, dot_views.RevokeTokenView):
    """RFC 7009 token revocation."""

    rate_scope = "revoke"


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(sensitive_post_parameters(), name="dispatch")
class IntrospectTokenView(OAuthEndpointMixin, OAuthLibMixin, View):
    """RFC 7662 introspection, for resource servers registered as confidential clients.

    POST only: a token in a URL would end up in logs.
    """

    rate_scope = "introspect"

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        client_id, secret = _client_credentials(request)
        client = Application.objects.filter(client_id=client_id or "", is_active=True).first()
        if (
            client is None
            or client.client_type != Application.CLIENT_CONFIDENTIAL
            or not secret
            or not self.authenticate_client(request)
        ):
            return _oauth_error(
                401, "invalid_client", "Introspection needs a confidential client's credentials."
            )
        value = request.POST.get("token")
        if not value:
            return _oauth_error(400, "invalid_request", "The token parameter is missing.")
        token = (
            AccessToken.objects.select_related("application", "user")
            .filter(token_checksum=digest(value))
            .first()
        )
        if (
            token is None
            or token.is_expired()
            or token.application is None
            or not token.application.is_active
            or token.user is None
            or not token.user.is_active
        ):
            return JsonResponse({"active": False})
        return JsonResponse(
            {
                "active": True,
                "scope": token.scope,
                "client_id": token.application.client_id,
                "username": token.user.get_username(),
                "token_type": "Bearer",
                "exp": int(token.expires.timestamp()),
                "iat": int(token.created.timestamp()),
            }
        )


class ServerMetadataView(dot_views.OAuthServerMetadataView):
    """RFC 8414 metadata, also naming the device authorization endpoint."""

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data["device_authorization_endpoint"] = request.build_absolute_uri(
            reverse("oauth2_provider:device-authorization")
        )
        data["token_endpoint_auth_methods_supported"] = [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ]
        data["revocation_endpoint_auth_methods_supported"] = data[
            "token_endpoint_auth_methods_supported"
        ]
        data["introspection_endpoint_auth_methods_supported"] = [
            "client_secret_basic",
            "client_secret_post",
        ]
        data["service_documentation"] = request.build_absolute_uri("/developers/")
        metadata = JsonResponse(data)
        metadata["Access-Control-Allow-Origin"] = "*"
        return metadata


# -- device authorization (RFC 8628) ---------------------------------------------------------


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(sensitive_post_parameters(), name="dispatch")
class DeviceAuthorizationView(OAuthEndpointMixin, dot_views.DeviceAuthorizationView):
    """Where a device asks for a device code and the user code to show; codes stored hashed."""

    rate_scope = "device"

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        headers, body, status = self.create_device_authorization_response(request)
        if status != 200:
            return JsonResponse(json.loads(body), status=status, headers=headers)
        client_id, _ = _client_credentials(request)
        application = Application.objects.filter(client_id=client_id or "").first()
        if application is None or not application.allows_grant_type(Application.GRANT_DEVICE_CODE):
            return _oauth_error(
                400, "unauthorized_client", "This application may not use the device flow."
            )
        scope = body.get("scope") or " ".join(oauth2_settings._DEFAULT_SCOPES)
        DeviceGrant.objects.create(
            client_id=application.client_id,
            device_code=digest(body["device_code"]),
            user_code=body["user_code"],
            scope=scope,
            interval=body.get("interval") or 5,
            expires=timezone.now() + timedelta(seconds=body["expires_in"]),
        )
        body.pop("scope", None)
        return JsonResponse(body, status=200, headers=headers)


class DeviceUserCodeView(dot_views.DeviceUserCodeView):
    """``/device``: the signed-in user types the code their device shows."""

    template_name = "developers/device.html"
    form_class = UserCodeForm

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return sign_in_page(super().dispatch(request, *args, **kwargs))

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # Code attempts count per user and per address, like log-in attempts.
        policy = Policy("device-code", settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW)
        for ident in (f"user:{request.user.pk}", f"ip:{client_ip(request)}"):
            usage = ratelimit.hit(policy, ident)
            if usage.exceeded:
                response = self.render_to_response(
                    self.get_context_data(throttled=True), status=429
                )
                return ratelimit.apply_headers(response, usage)
        return super().post(request, *args, **kwargs)

    def get_success_url(self) -> str:
        return reverse(
            "oauth2_provider:device-confirm",
            kwargs={
                "client_id": self.device_grant.client_id,
                "user_code": self.device_grant.user_code,
            },
        )


class DeviceConfirmView(dot_views.DeviceConfirmView):
    """The consent page for a device: names the app, its owner and what it may do."""

    template_name = "developers/device_confirm.html"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return sign_in_page(super().dispatch(request, *args, **kwargs))

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        application = context["application"]
        context.update(who_asks(application))
        return context

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        if form.cleaned_data["action"] == "accept":
            messages.success(self.request, "Done: your device is signed in. You can return to it.")
        elif form.cleaned_data["action"] == "deny":
            messages.info(self.request, "Denied: the device was not given access.")
        return response

    def get_success_url(self) -> str:
        return reverse("oauth2_provider:device")
