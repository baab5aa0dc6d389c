"""The whole OpenAPI document against a running server, as an outside developer would test it.

Schemathesis (``st run --checks all``) runs every phase, the document's examples, coverage of
its boundaries, fuzzing with valid and invalid data, and stateful sequences that follow the
document's links (create, then read, images, patch, import, delete; likewise for challenges),
with a user's token and the application's client_id, and checks every reply: no 5xx,
statuses, content types and bodies as documented, valid data accepted, invalid data refused,
authentication enforced, a deleted sequence gone. Any failure fails the test with
schemathesis' report.

The photo endpoint is in the run too: the document's example key is an image of a published
sequence whose photos the Mapillary stand-in serves, so its sizes answer with a 302 to the
stand-in's signed links (not followed: the redirect is the answer the document describes) and
a 200 with the kept copy, besides the 404s and 422s of made-up keys and sizes.

The run is seeded and deterministic, so CI runs the same cases every time; MTP_FUZZ_EXAMPLES
raises the number of cases per operation for a longer hunt. The Mapillary stand-in takes every
token as some user's, so imports get past Mapillary's check; rate limits are off.
"""

import io
import os
import re
import subprocess
import sys

import pytest
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image as Picture

from mtp.api.openapi import PHOTO_KEY, SEQUENCE_LINKS
from mtp.challenges.models import Challenge
from mtp.guidebooks.models import Guidebook
from mtp.sequences.models import Image
from mtp.tours.models import Tour
from testing.builders import issue_token, make_sequence
from testing.fake_mapillary import RECORDED_SEQUENCE

# Schemathesis: thousands of requests.
pytestmark = [pytest.mark.slow, pytest.mark.long]

EXAMPLES = int(os.environ.get("MTP_FUZZ_EXAMPLES", "25"))
PHASES = "examples,coverage,fuzzing,stateful"


def schemathesis_config(token: str, client_id: str) -> str:
    """The run's schemathesis.toml: credentials for the document's two security schemes, and
    four allowances for what the document cannot know: a page cursor is opaque (only the
    server's own `next` links hold valid ones), so a made-up cursor that fits the document is
    still refused with 400; an import names a Mapillary sequence, which Mapillary is asked
    about before the import is accepted, so a made-up key is refused with 422; a change's
    ``cover`` names one of the sequence's own photos, so a made-up key is refused with 422; and
    a challenge's area must be a closed, valid shape no larger than the instance allows, ending
    after it starts (a change: after the start it keeps), which JSON Schema cannot say, so a
    made-up area or window is refused with 422; a tour's routes are published sequences of
    this server, so a made-up id is refused with 422. Likewise for guidebooks: a scene names an
    image of a published sequence (a made-up key: 422), a new order names every scene once, and
    yaw and pitch place a point only on a panorama, with a link Django's URL check takes.

    An operation is named by its method and path together (``include-name-regex``): a path
    and a method given apart match either."""
    return (
        "[auth.openapi.TokenAuth]\n"
        f'bearer = "{token}"\n'
        "[auth.openapi.ClientId]\n"
        f'api_key = "{client_id}"\n'
        # Enough steps for the stateful phase to follow links across 40-odd operations.
        "[phases.stateful]\n"
        "max-steps = 300\n"
        "[[operations]]\n"
        'include-name-regex = "^GET /api/v1/(sequences|tags|sequence/[^/]+/images|leaderboard'
        '|leaderboard/photos|challenges|challenges/[^/]+/leaderboard|tours|guidebooks)$"\n'
        "[operations.checks.positive_data_acceptance]\n"
        'expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]\n'
        "[[operations]]\n"
        'include-path-regex = "^/api/v1/sequence/import/"\n'
        "[operations.checks.positive_data_acceptance]\n"
        'expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]\n'
        "[[operations]]\n"
        'include-name-regex = "^PATCH /api/v1/sequence/[^/]+$"\n'
        "[operations.checks.positive_data_acceptance]\n"
        'expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]\n'
        "[[operations]]\n"
        'include-name-regex = "^(POST|PATCH) /api/v1/challenges(/[^/]+)?$"\n'
        "[operations.checks.positive_data_acceptance]\n"
        'expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]\n'
        # Tours: a route is a published sequence of this server, which a made-up id is not.
        "[[operations]]\n"
        'include-name-regex = "^(POST /api/v1/tours|PUT /api/v1/tours/[^/]+/sequences)$"\n'
        "[operations.checks.positive_data_acceptance]\n"
        'expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]\n'
        # Guidebooks: a scene's image is a photo of a published sequence here; a point's
        # placing follows the photo (yaw and pitch on a panorama only).
        "[[operations]]\n"
        'include-name-regex = "^((POST|PUT) /api/v1/guidebooks/[^/]+/scenes'
        '|(POST|PATCH) /api/v1/guidebooks/[^/]+/scenes/[^/]+/pois(/[^/]+)?)$"\n'
        "[operations.checks.positive_data_acceptance]\n"
        'expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]\n'
    )


def jpeg() -> bytes:
    data = io.BytesIO()
    Picture.new("RGB", (256, 192), (90, 140, 200)).save(data, "JPEG")
    return data.getvalue()


def with_recorded_photos(owner, fake_mapillary) -> str:
    """A published sequence of the stand-in's recorded images (the document's example key is
    one), that one with a kept copy; the copy's name."""
    keys = fake_mapillary.sequences[RECORDED_SEQUENCE].all_ids()
    assert PHOTO_KEY in keys
    sequence = make_sequence(
        owner, name="Recorded", route=[(6.0 + n / 1000, 46.0) for n in range(len(keys))]
    )
    Image.objects.filter(sequence=sequence).delete()
    kept_copy = default_storage.save(f"photos/fuzz/{PHOTO_KEY}.jpg", ContentFile(jpeg()))
    Image.objects.bulk_create(
        Image(
            sequence=sequence,
            key=key,
            mapillary_key=key,
            position=index,
            point=Point(6.0 + index / 1000, 46.0, srid=4326),
            kept_copy=kept_copy if key == PHOTO_KEY else "",
        )
        for index, key in enumerate(keys)
    )
    return kept_copy


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
    kept_copy = with_recorded_photos(owner, fake_mapillary)
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
    default_storage.delete(kept_copy)
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
    # Tours were created as the run's user (an empty list of routes is a valid tour).
    assert Tour.objects.filter(owner=owner).exists(), report
    # Guidebooks were made as the run's user, and scenes on the document's example photo.
    assert Guidebook.objects.filter(owner=owner).exists(), report
