"""The real Panoramax command-line client signs in to a live server (``panoramax_cli login``).
Its uploads, downloads and migrations against instances started with ``mtp serve`` are in
``test_two_instances.py``; what both run is in ``testing/panoramax_cli.py``."""

import re
from datetime import timedelta

import pytest
from django.test import Client

from mtp.uploads.models import UploadFile
from testing import builders
from testing.panoramax_cli import CLI, run_cli
from testing.photos import LON, START, STEP_DEGREES, camera_photo, write_folder

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CLI.exists(), reason="scripts/setup.sh installs the client in .venv-panoramax-cli"
    ),
]


def test_panoramax_cli_login_gives_a_token_once_a_person_claims_it_on_the_site(
    live_server, seeded, tmp_path
):
    owner = builders.persona("olivia")
    login = run_cli("login", "--api-url", live_server.url, home=tmp_path)
    assert login.returncode == 0, login.stdout + login.stderr
    claim_url = re.search(r"http\S+/api/auth/tokens/\S+/claim", login.stdout)
    assert claim_url is not None, login.stdout
    browser = Client()
    browser.force_login(owner)
    path = claim_url.group(0).removeprefix(live_server.url)
    assert b"olivia" in browser.get(path).content
    assert browser.post(path).status_code == 200

    folder = tmp_path / "camera"
    write_folder(
        folder,
        [
            camera_photo(lon=LON + i * STEP_DEGREES, taken=START + timedelta(seconds=i))
            for i in range(2)
        ],
    )
    upload = run_cli("upload", "--api-url", live_server.url, str(folder), home=tmp_path)
    assert upload.returncode == 0, upload.stdout + upload.stderr
    assert "olivia" in upload.stdout
    assert UploadFile.objects.filter(upload_set__owner=owner).count() == 2
