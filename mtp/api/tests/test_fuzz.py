"""The whole OpenAPI document against a running server, as an outside developer would test it.

Schemathesis (``st run --checks all``) runs every phase, the document's examples, coverage of
its boundaries, fuzzing with valid and invalid data, and stateful sequences that follow the
document's links (create, then read, images, patch, import, delete; likewise for challenges),
with a user's token and the application's client_id, and checks every reply: no 5xx,
statuses, content types and bodies as documented, valid data accepted, invalid data refused,
authentication enforced, a deleted sequence gone. Any failure fails the test with schemathesis' report.

The run is seeded and deterministic, so CI runs the same cases every time; MTP_FUZZ_EXAMPLES
raises the number of cases per operation for a longer hunt. The Mapillary stand-in takes every
token as some user's, so imports get past Mapillary's check; rate limits are off.
"""

import os
import re
import subprocess
import sys

import pytest

from conftest import issue_token
from mtp.api.openapi import SEQUENCE_LINKS
from mtp.api.tests.conftest import make_sequence
from mtp.challenges.models import Challenge

EXAMPLES = int(os.environ.get("MTP_FUZZ_EXAMPLES", "25"))
PHASES = "examples,coverage,fuzzing,stateful"


def schemathesis_config(token: str, client_id: str) -> str:
    """The run's schemathesis.toml: credentials for the document's two security schemes, and
    three allowances for what the document cannot know: a page cursor is opaque (only the
    server's own `next` links hold valid ones), so a made-up cursor that fits the document is
    still refused with 400; an import names a Mapillary sequence, which Mapillary is asked
    about before the import is accepted, so a made-up key is refused with 422; and a
    challenge's area must be a closed, valid shape no larger than the instance allows, ending
    after it starts (a change: after the start it keeps), which JSON Schema cannot say, so a
    made-up area or window is refused with 422."""
    return (
        "[auth.openapi.TokenAuth]\n"
        f'bearer = "{token}"\n'
        "[auth.openapi.ClientId]\n"
        f'api_key = "{client_id}"\n'
        "[[operations]]\n"
        'include-name-regex = "^GET /api/v1/(sequences|tags|sequence/[^/]+/images|leaderboard'
        '|challenges|challenges/[^/]+/leaderboard)$"\n'
        "[operations.checks.positive_data_acceptance]\n"
        'expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]\n'
        "[[operations]]\n"
        'include-path-regex = "^/api/v1/sequence/import/"\n'
        "[operations.checks.positive_data_acceptance]\n"
        'expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]\n'
        "[[operations]]\n"
        'include-name-regex = "^(POST|PATCH) /api/v1/challenges(/[^/]+)?$"\n'
        "[operations.checks.positive_data_acceptance]\n"
        'expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]\n'
    )


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_disagreement_between_the_document_and_the_server(
    live_server, seeded, owner, app, settings, fake_mapillary, tmp_path
):
    settings.MTP_API_RATE_TOKEN = 0
    settings.MTP_API_RATE_ADDRESS = 0
    settings.MTP_API_RATE_IMPORT = 0
    settings.MTP_API_RATE_BAD_TOKEN = 0
    # The stateful phase creates challenges, then follows their links.
    settings.MTP_CHALLENGE_CREATORS = "everyone"
    fake_mapillary.any_token = True
    make_sequence(owner, tags=("lake", "geneva"))
    make_sequence(owner, name="Draft", status="draft", route=[], images=False)
    token = issue_token(owner, app)
    config = tmp_path / "schemathesis.toml"
    config.write_text(schemathesis_config(token, app.client_id))

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            f"{live_server.url}/api/v1/openapi.json",
            "--checks",
            "all",
            "--phases",
            PHASES,
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            "17",
            "--generation-deterministic",
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    # Every phase ran, and the stateful one followed create's links to the other operations.
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert re.search(rf"✅\s+{phase}", report), report
    covered = re.search(r"API Links:\s+(\d+) covered", report)
    assert covered and int(covered.group(1)) >= len(SEQUENCE_LINKS), report
    # Challenges were created as the run's user. Their links are in the document
    # (test_openapi), but a made-up area is seldom a closed ring, so the stateful phase
    # seldom gets a challenge to follow them from.
    assert Challenge.objects.filter(owner=owner).exists(), report
