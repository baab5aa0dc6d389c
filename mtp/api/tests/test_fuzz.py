"""The whole OpenAPI document, fuzzed: no 5xx, and every reply matches what the document says.

Schemathesis generates requests for every operation from the document (valid ones and invalid
ones), sends them as the owner of a draft and a published sequence with images, and again as
an app with only its client_id, and checks each reply. Hypothesis is derandomized, so CI runs
the same cases every time; MTP_FUZZ_EXAMPLES raises the number per operation for a longer
hunt.
"""

import os
import uuid

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import issue_token
from mtp.api.api import api
from mtp.api.tests.conftest import make_sequence

EXAMPLES = int(os.environ.get("MTP_FUZZ_EXAMPLES", "50"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1/"))
schema.app = get_wsgi_application()


@pytest.fixture
def _keep_the_test_connection():
    """The WSGI handler closes database connections after each request, as a server should;
    here they hold the test's transaction (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["owner", "anonymous"])
def world(request, owner, app, settings, fake_mapillary, _keep_the_test_connection) -> dict:
    """A draft and a published sequence with images; the caller: their owner with a token, or
    an anonymous app with only its client_id. Limits off."""
    settings.MTP_API_RATE_TOKEN = 0
    settings.MTP_API_RATE_ADDRESS = 0
    settings.MTP_API_RATE_IMPORT = 0
    published = make_sequence(owner, tags=("lake", "geneva"))
    draft = make_sequence(owner, name="Draft", status="draft", route=[], images=False)
    token = issue_token(owner, app)
    return {
        "headers": {"Authorization": f"Bearer {token}"} if request.param == "owner" else {},
        "client_id": app.client_id,
        "ids": [str(draft.unique_id), str(published.unique_id)],
    }


def aim(case, world: dict) -> None:
    """Point most generated cases at real data: the seeded sequences and the app's client_id."""
    path = case.path_parameters or {}
    if "unique_id" in path:
        # Chosen from the generated value, so the choice is as repeatable as the case.
        choice = uuid.uuid5(uuid.NAMESPACE_URL, str(path["unique_id"])).int % 3
        if choice < 2:
            path["unique_id"] = world["ids"][choice]
    if isinstance(case.query, dict) and "client_id" in case.query:
        case.query["client_id"] = world["client_id"]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_every_generated_request_as_documented(case, world):
    aim(case, world)
    case.call_and_validate(headers=world["headers"], checks=CHECKS)
