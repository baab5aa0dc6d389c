"""API v1: the NinjaAPI instance, its error handlers and routers."""

from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from mtp.api.auth import token_auth
from mtp.api.errors import ApiError, api_error_response, error_response
from mtp.api.schemas import MeOut

api = NinjaAPI(
    title="Map the Paths API",
    version="1",
    description="Share and find street-level imagery sequences. See docs/API.md.",
    urls_namespace="api",
)


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, error: ApiError):
    return api_error_response(request, error)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, error: ValidationError):
    return error_response(422, "The request is not valid.", {"errors": error.errors})


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, error: AuthenticationError):
    return error_response(
        401, "Authentication is required.", headers={"WWW-Authenticate": 'Bearer realm="api"'}
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, error: HttpError):
    return error_response(error.status_code, str(error))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, error: Http404):
    return error_response(404, "Not found.")


@api.get("/me", auth=token_auth, response=MeOut, tags=["users"], summary="The signed-in user")
def me(request: HttpRequest):
    """The user the access token acts for."""
    user = request.auth.user
    return MeOut(
        username=user.username, display_name=user.public_name, profile_url=user.get_absolute_url()
    )
