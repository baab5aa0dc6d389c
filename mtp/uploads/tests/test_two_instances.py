"""Two instances as people run them (``mtp serve``, each with its worker and a database of its
own), and the real clients against them: ``panoramax_cli upload`` sends a camera's folders to
the first; ``panoramax_cli download`` and pystac-client read them back over HTTP; and
``panoramax_cli migration`` copies a collection from the first to the second."""

import hashlib
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pystac_client import Client

from testing.panoramax_cli import CLI, camera_folder, run_cli
from testing.processes import (
    database_of_its_own,
    free_port,
    fresh_instance_env,
    mtp_command,
    running,
    wait_for_http,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.long,
    pytest.mark.skipif(
        not CLI.exists(), reason="scripts/setup.sh installs the client in .venv-panoramax-cli"
    ),
]

MAKE_TOKEN = """
from mtp.cli import _django_setup
_django_setup()
from testing import builders
owner = builders.persona("olivia")
print(builders.issue_token(owner, builders.uploader_app(builders.persona("dana"))))
"""


def token_for_olivia(env: dict[str, str]) -> str:
    """Sign Olivia up on the instance of ``env`` and give her an access token."""
    made = subprocess.run(
        [sys.executable, "-c", MAKE_TOKEN],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]


def digests(folder: Path) -> list[bytes]:
    return sorted(hashlib.sha256(path.read_bytes()).digest() for path in folder.rglob("*.jpg"))


def test_photos_uploaded_to_one_instance_read_back_and_moved_to_another(tmp_path, settings):
    database = settings.DATABASES["default"]
    folder = camera_folder(tmp_path / "camera")
    with database_of_its_own(database) as first_db, database_of_its_own(database) as second_db:
        instances = []
        for name, extra in (("first", first_db), ("second", second_db)):
            env = fresh_instance_env(
                tmp_path / name,
                MTP_MAX_PHOTO_BYTES="20000",
                MTP_TRANSFER_ALLOW_HTTP="true",
                **extra,
            )
            env.pop("SITE_URL", None)
            instances.append((name, env, free_port()))
        with (
            running(
                mtp_command("serve", "--port", str(instances[0][2])),
                instances[0][1],
                tmp_path / "first.log",
            ) as first,
            running(
                mtp_command("serve", "--port", str(instances[1][2])),
                instances[1][1],
                tmp_path / "second.log",
            ) as second,
        ):
            first_url = f"http://127.0.0.1:{instances[0][2]}"
            second_url = f"http://127.0.0.1:{instances[1][2]}"
            # A fresh instance migrates first: minutes on a machine busy with other tests.
            wait_for_http(f"{first_url}/healthz", timeout=300, process=first)
            wait_for_http(f"{second_url}/healthz", timeout=300, process=second)
            first_token = token_for_olivia(instances[0][1])
            second_token = token_for_olivia(instances[1][1])

            def logs() -> str:
                return "".join(
                    (tmp_path / f"{name}.log").read_text(errors="replace")[-3000:]
                    for name in ("first", "second")
                )

            # 1. The camera's folders go to the first instance, which makes them sequences.
            sent = run_cli(
                "upload", "--api-url", first_url, "--token", first_token, "--wait", str(folder),
                home=tmp_path,
            )  # fmt: skip
            output = sent.stdout + sent.stderr
            assert sent.returncode == 0, output + logs()
            assert "found 1 rejected picture" in output
            assert "The photo is over the limit of 20000 bytes." in output

            # 2. pystac-client reads them over HTTP: three sequences (the walk split by its
            # stop, and the panoramas), eight photos.
            catalog = Client.open(f"{first_url}/api")
            collections = {c.id: c for c in catalog.get_collections()}
            assert len(collections) == 3
            found = list(catalog.search(bbox=[-180, -90, 180, 90], max_items=100).items())
            assert len(found) == 8
            panoramas = [
                item
                for item in found
                if item.properties.get("pers:interior_orientation", {}).get("field_of_view") == 360
            ]
            assert len(panoramas) == 2
            sizes = {cid: len(list(c.get_items())) for cid, c in collections.items()}
            assert sorted(sizes.values()) == [2, 3, 3]
            walk_id = next(cid for cid, size in sizes.items() if size == 3)

            # Sending the same folders again sends nothing the server holds.
            again = run_cli(
                "upload", "--api-url", first_url, "--token", first_token, str(folder),
                home=tmp_path,
            )  # fmt: skip
            assert again.returncode == 0, again.stdout + again.stderr
            held = httpx.get(
                f"{first_url}/api/upload_sets", headers={"Authorization": f"Bearer {first_token}"}
            ).json()["upload_sets"]
            assert sorted(upload_set["nb_items"] for upload_set in held) == [2, 6]

            # 3. The client's own download gives back the photos as they were sent.
            fetched = run_cli(
                "download", "--api-url", first_url, "--collection", walk_id,
                "--path", str(tmp_path / "fetched"), "--file-name", "id",
                home=tmp_path,
            )  # fmt: skip
            assert fetched.returncode == 0, fetched.stdout + fetched.stderr
            downloaded = digests(tmp_path / "fetched")
            assert len(downloaded) == 3 and set(downloaded) <= set(digests(folder))

            # 4. The second instance takes the walk's first part from the first.
            moved = run_cli(
                "migration", "--from-api-url", first_url, "--from-collection", walk_id,
                "--to-api-url", second_url, "--to-token", second_token, "--wait",
                home=tmp_path,
            )  # fmt: skip
            assert moved.returncode == 0, moved.stdout + moved.stderr + logs()
            assert "Transfer of 3 items completed" in moved.stdout, moved.stdout
            (copied,) = Client.open(f"{second_url}/api").get_collections()
            assert copied.title == collections[walk_id].title
            again = run_cli(
                "download", "--api-url", second_url, "--collection", copied.id,
                "--path", str(tmp_path / "copied"), "--file-name", "id",
                home=tmp_path,
            )  # fmt: skip
            assert again.returncode == 0, again.stdout + again.stderr
            assert digests(tmp_path / "copied") == downloaded
