"""The real Panoramax command-line client uploads a folder to a live server with a worker
running: ``panoramax_cli upload --api-url <server> --token <token> --wait <folder>`` ends with
exit status 0, and the folder's photos are sequences of this server."""

import hashlib
import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.test import Client

from mtp.sequences.models import Image, Sequence
from mtp.uploads.models import UploadFile, UploadSet
from testing import builders
from testing.photos import LON, START, STEP_DEGREES, camera_photo, write_folder
from testing.workers import database_url, start_worker, stop

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


def test_the_panoramax_cli_uploads_a_camera_folder_that_becomes_sequences(
    live_server, seeded, tmp_path, settings
):
    settings.MEDIA_ROOT = Path(settings.DATA_DIR) / "media"
    settings.MTP_MAX_PHOTO_BYTES = 20_000
    # The links the STAC API gives point at the server under test.
    settings.SITE_URL = live_server.url
    owner = builders.persona("olivia")
    app = builders.uploader_app(builders.persona("dana"))
    token = builders.issue_token(owner, app)
    folder = camera_folder(tmp_path / "camera")
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        DATABASE_URL=database_url(),
        MTP_DATA_DIR=str(settings.DATA_DIR),
        SECRET_KEY=settings.SECRET_KEY,
    )
    log = tmp_path / "worker.log"
    worker = start_worker(env, log)
    try:
        done = run_cli(
            "upload",
            "--api-url",
            live_server.url,
            "--token",
            token,
            "--wait",
            str(folder),
            home=tmp_path,
        )
    finally:
        stop(worker)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output + log.read_text()[-3000:]

    sets = {Path(s.title).name: s for s in UploadSet.objects.all()}
    assert set(sets) == {"walk", "360"}
    assert all(s.status == UploadSet.Status.DISPATCHED for s in sets.values())
    walks = list(sets["walk"].sequences.order_by("captured_at_start"))
    assert [sequence.image_count for sequence in walks] == [3, 3]
    assert all(sequence.status == Sequence.Status.PUBLISHED for sequence in walks)
    assert all(not sequence.is_pano for sequence in walks)
    # The file cut short was refused by the client, the one too large by the server.
    assert "found 1 rejected picture" in output
    assert "The photo is over the limit of 20000 bytes." in output
    assert not UploadFile.objects.filter(name__in=["IMG_0007.jpg", "IMG_0008.jpg"]).exists()
    (panorama,) = sets["360"].sequences.all()
    assert panorama.is_pano and panorama.image_count == 2

    # Its photos are served by this server, at every size.
    image = Image.objects.filter(sequence=panorama).first()
    assert image is not None and image.mapillary_key is None
    photo = httpx.get(f"{live_server.url}/api/v1/images/{image.key}/thumbnail?size=original")
    assert photo.status_code == 200 and photo.content.startswith(b"\xff\xd8")

    # Sending the same folder again sends nothing the server holds.
    again = run_cli(
        "upload", "--api-url", live_server.url, "--token", token, str(folder), home=tmp_path
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert UploadFile.objects.count() == 8
    assert UploadSet.objects.count() == 2

    # And the client reads a sequence back over the STAC API: its photos as they were sent.
    fetched = run_cli(
        "download",
        "--api-url",
        live_server.url,
        "--collection",
        str(walks[0].unique_id),
        "--path",
        str(tmp_path / "fetched"),
        "--file-name",
        "id",
        home=tmp_path,
    )
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    downloaded = [path for path in (tmp_path / "fetched").rglob("*") if path.is_file()]
    sent = {hashlib.sha256(path.read_bytes()).digest() for path in folder.rglob("*.jpg")}
    assert len(downloaded) == 3
    assert {hashlib.sha256(path.read_bytes()).digest() for path in downloaded} <= sent


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
