"""The real Panoramax command-line client signs in to a live server (``panoramax_cli login``),
and what the tests of the client share: a camera's folder, and running the client. Its
uploads, downloads and migrations against instances started with ``mtp serve`` are in
``test_two_instances.py``."""

import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client

from mtp.uploads.models import UploadFile
from testing import builders
from testing.photos import LON, START, STEP_DEGREES, camera_photo, write_folder

CLI = Path(__file__).resolve().parents[3] / ".venv-panoramax-cli" / "bin" / "panoramax_cli"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CLI.exists(), reason="scripts/setup.sh installs the client in .venv-panoramax-cli"
    ),
]


def camera_folder(root: Path) -> Path:
    """A camera's folder: a walk with a 10-minute stop in the middle (two sequences), a file
    cut short (the client refuses it itself) and one over the server's size limit (the server
    refuses it); beside it a folder of two 360° photos."""
    walk = [
        camera_photo(
            lon=LON + index * STEP_DEGREES,
            taken=START + timedelta(seconds=index * 2 + (600 if index >= 3 else 0)),
        )
        for index in range(6)
    ]
    truncated = camera_photo(lon=LON + 0.001)[:-200]
    too_large = camera_photo(lon=LON + 0.0015, size=(1600, 1200))
    write_folder(root / "walk", [*walk, truncated, too_large])
    panoramas = [
        camera_photo(
            lon=LON + 0.002 + index * STEP_DEGREES,
            taken=START + timedelta(hours=1, seconds=index * 2),
            size=(256, 128),
            pano=True,
            make="GoPro",
            model="MAX",
        )
        for index in range(2)
    ]
    write_folder(root / "360", panoramas, prefix="PANO_")
    return root


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), COLUMNS="200")
    # In the test's folder: the client writes a trace file where it runs when it fails.
    return subprocess.run(
        [str(CLI), *args],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


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
