"""A database that does not answer, or is full: a 503 with Retry-After (or a 507), never a 500.

While PostgreSQL restarts or fails over, the requests in flight and those arriving before it
is back fail with ``OperationalError`` ("terminating connection due to administrator
command", "the database system is shutting down", "connection refused") or, on a connection
that broke mid-request, ``InterfaceError`` ("connection already closed"). Nothing is wrong
with those requests: the client should send them again shortly, and a 503 with
``Retry-After`` says exactly that. A database that is out of space (SQLite's "database or
disk is full", PostgreSQL's ``disk_full``) is a 507: the write was refused whole (it ran in
a transaction or a single statement), and trying again helps only once an operator has
made room.

``DatabaseAvailabilityMiddleware`` does it for every page; the API's own exception handler
calls ``database_error_response`` for the same answers in the API's error shape.
"""

import logging
import sys
from collections.abc import Callable

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

# Seconds a client should wait before trying again; a restart takes a few.
RETRY_AFTER_SECONDS = 5
UNAVAILABLE = "The database is not answering; try again shortly."
FULL = "The server has run out of storage, so nothing was saved. Try again later."
# PostgreSQL's SQLSTATE for "disk full" (class 53, insufficient resources).
DISK_FULL_SQLSTATE = "53100"


def is_database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached or dropped the connection.

    Also true of a full database: both are ``OperationalError``; see ``is_storage_full``.
    """
    return isinstance(error, OperationalError | InterfaceError)


def is_storage_full(error: BaseException) -> bool:
    """Whether ``error`` is the database refusing a write for lack of space."""
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) == DISK_FULL_SQLSTATE:
        return True
    return "database or disk is full" in str(error).lower()


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/.well-known/")) or "json" in request.headers.get(
        "Accept", ""
    )


def database_error_response(request: HttpRequest, error: BaseException) -> HttpResponse:
    """The answer to a request that failed with ``error`` (see ``is_database_unavailable``)."""
    if is_storage_full(error):
        logger.error("%s %s: the database is full: %s", request.method, request.path, error)
        status, message, headers = 507, FULL, {}
    else:
        logger.warning(
            "%s %s: the database is unavailable: %s", request.method, request.path, error
        )
        status, message = 503, UNAVAILABLE
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if wants_json(request):
        response: HttpResponse = JsonResponse(
            {"error": message, "status": False, "detail": {}}, status=status
        )
    else:
        response = HttpResponse(message + "\n", status=status, content_type="text/plain")
    for name, value in headers.items():
        response[name] = value
    # Never cached: the next try may well succeed.
    response["Cache-Control"] = "no-store"
    # Logged above, once, without a traceback: not again as a server error.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _remember_database_error(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """On an uncaught exception (Django is about to answer 500): note it if it is the database's."""
    error = sys.exc_info()[1]
    if request is not None and error is not None and is_database_unavailable(error):
        request.database_error = error  # type: ignore[attr-defined]


got_request_exception.connect(_remember_database_error, dispatch_uid="mtp.lib.dbavailability")


class DatabaseAvailabilityMiddleware:
    """Turn a database failure anywhere in a request into ``database_error_response``.

    A view's exception arrives in ``process_exception``. One raised by another middleware
    (the session or the user, loaded from the database) has already become Django's 500 by
    the time it gets here; ``got_request_exception`` noted its cause on the request, and the
    500 is replaced. Put it near the top of ``MIDDLEWARE``, below only what never touches
    the database.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        error = getattr(request, "database_error", None)
        if error is not None and response.status_code == 500:
            return database_error_response(request, error)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            return database_error_response(request, exception)
        return None
