"""API v1: the NinjaAPI instance, its error handlers and routers."""

import logging

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from ninja import Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from mtp.api import (
    challenges,
    guidebooks,
    leaderboards,
    nearby,
    sequences,
    tours,  # Tours
    users,
    vocab,
)
from mtp.api.bodies import too_large_error
from mtp.api.errors import ApiError, api_error_response, error_response, validation_error_response
from mtp.api.openapi import DocumentedAPI
from mtp.lib.dbavailability import database_error_response

logger = logging.getLogger(__name__)

DESCRIPTION = """\
Share and find street-level imagery sequences.

Every request names its application: with an OAuth 2.0 access token
(`Authorization: Bearer <token>`) the token does; without one, send your application's
`client_id` in the query string. Reads of published sequences need only the `client_id`;
everything that acts for a user needs a token.

JSON is the default format. Sequences are also available as GeoJSON
(`Accept: application/geo+json`) and one sequence's track as GPX (`Accept: application/gpx+xml`).

Errors are JSON: `{"error": "<message>", "status": false, "detail": {...}}`.
See docs/API.md for examples of every call.
"""

api = DocumentedAPI(
    title="Map the Paths API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    # Swagger UI from the package's own static files: the page works without the internet.
    docs=Swagger(settings={"persistAuthorization": True}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)

api.add_router("", users.router)
api.add_router("", sequences.router)
api.add_router("", nearby.router)
api.add_router("", vocab.router)
api.add_router("", leaderboards.router)
api.add_router("", challenges.router)
# Tours and likes
api.add_router("", tours.router)
# Guidebooks
api.add_router("", guidebooks.router)


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, error: ApiError):
    return api_error_response(request, error)


@api.exception_handler(sequences.SequenceMoved)
def on_sequence_moved(request: HttpRequest, moved: sequences.SequenceMoved):
    return sequences.moved_response(request, moved)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, error: ValidationError):
    return validation_error_response(error.errors)


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


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, error: PermissionDenied):
    return error_response(403, "You may not do this.")


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, error: RequestDataTooBig):
    return api_error_response(request, too_large_error())


@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
def on_too_many_fields(request: HttpRequest, error: Exception):
    return error_response(413, "The request has too many form fields.")


@api.exception_handler(MultiPartParserError)
@api.exception_handler(UnreadablePostError)
@api.exception_handler(BadRequest)
@api.exception_handler(SuspiciousOperation)
def on_bad_request(request: HttpRequest, error: Exception):
    return error_response(400, "The request could not be read.")


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def on_database_unavailable(request: HttpRequest, error: Exception):
    return database_error_response(request, error)


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, error: Exception):
    logger.exception("API error on %s %s", request.method, request.path)
    return error_response(500, "Something went wrong on our side. Try again later.")
