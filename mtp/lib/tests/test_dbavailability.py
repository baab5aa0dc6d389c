"""A database that stops answering mid-request is a 503 with Retry-After; a full one a 507."""

from contextlib import contextmanager

import psycopg
import pytest
from django.core.handlers.exception import convert_exception_to_response
from django.db import IntegrityError, InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.test import Client, RequestFactory

from mtp.lib.dbavailability import DatabaseAvailabilityMiddleware, is_storage_full
from testing.builders import bearer

# What PostgreSQL and psycopg say while the server restarts.
ADMIN_SHUTDOWN = "terminating connection due to administrator command"
SHUTTING_DOWN = "connection failed: FATAL:  the database system is shutting down"
CLOSED = "the connection is closed"


@contextmanager
def database_failing(error: Exception):
    """Every query from here on fails with ``error``, as on a database that went away."""

    def fail(execute, sql, params, many, context):
        raise error

    with connection.execute_wrapper(fail):
        yield


def assert_unavailable(response, *, json: bool) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"
    if json:
        assert response.json() == {
            "error": "The database is not answering; try again shortly.",
            "status": False,
            "detail": {},
        }
    else:
        assert response["Content-Type"].startswith("text/plain")


@pytest.mark.django_db
@pytest.mark.parametrize("message", [ADMIN_SHUTDOWN, SHUTTING_DOWN])
def test_a_page_whose_database_stops_answering_is_a_503_with_retry_after(client, message):
    with database_failing(OperationalError(message)):
        response = client.get("/")
    assert_unavailable(response, json=False)


@pytest.mark.django_db
def test_a_signed_in_page_whose_session_cannot_be_read_is_a_503(client, owner):
    client.force_login(owner)
    with database_failing(OperationalError(ADMIN_SHUTDOWN)):
        response = client.get("/accounts/settings/")
    assert_unavailable(response, json=False)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error", [OperationalError(ADMIN_SHUTDOWN), InterfaceError(CLOSED)], ids=type
)
def test_an_api_call_whose_database_stops_answering_is_a_json_503(client, app, error):
    with database_failing(error):
        response = client.get(f"/api/v1/sequences?client_id={app.client_id}")
    assert_unavailable(response, json=True)


@pytest.mark.django_db
def test_an_api_write_whose_connection_broke_is_a_json_503(client, owner_token):
    data = {"name": "Morning walk", "transport_type": "Walk"}
    with database_failing(InterfaceError(CLOSED)):
        response = client.post("/api/v1/sequence/create/", data, **bearer(owner_token))
    assert_unavailable(response, json=True)


def handled_by_django(error: Exception):
    """A request through the middleware, whose inner layer raises ``error`` as a middleware
    below it would: Django turns it into a 500 before the middleware sees the response."""

    def inner(request):
        raise error

    middleware = DatabaseAvailabilityMiddleware(convert_exception_to_response(inner))  # type: ignore[arg-type]
    return middleware(RequestFactory().get("/developers/", HTTP_ACCEPT="text/html"))


@pytest.mark.django_db
def test_a_database_failure_in_another_middleware_is_a_503_too():
    assert_unavailable(handled_by_django(OperationalError(ADMIN_SHUTDOWN)), json=False)


@pytest.mark.django_db
@pytest.mark.parametrize("error", [IntegrityError("duplicate key"), ValueError("a bug")], ids=type)
def test_other_failures_stay_server_errors(error):
    response = handled_by_django(error)
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_a_response_the_middleware_has_nothing_to_do_with_passes_through():
    middleware = DatabaseAvailabilityMiddleware(lambda request: HttpResponse(status=500))
    assert middleware(RequestFactory().get("/")).status_code == 500


@pytest.mark.django_db
def test_a_full_database_is_a_json_507_without_retry_after(owner_token):
    client = Client(raise_request_exception=False)
    data = {"name": "Morning walk", "transport_type": "Walk"}
    with database_failing(OperationalError("database or disk is full")):
        response = client.post("/api/v1/sequence/create/", data, **bearer(owner_token))
    assert response.status_code == 507
    assert response.json()["error"] == (
        "The server has run out of storage, so nothing was saved. Try again later."
    )
    assert "Retry-After" not in response


def test_postgresqls_disk_full_is_recognised_by_its_sqlstate():
    try:
        try:
            raise psycopg.errors.DiskFull("could not extend file: No space left on device")
        except psycopg.Error as cause:
            raise OperationalError(str(cause)) from cause
    except OperationalError as error:
        assert is_storage_full(error)
    assert not is_storage_full(OperationalError(ADMIN_SHUTDOWN))
    assert not is_storage_full(InterfaceError(CLOSED))
