"""A client generated from the OpenAPI document by openapi-python-client, against a live server.

A third-party developer's first step: generate a typed client from /api/v1/openapi.json, then
create a sequence, import it from Mapillary (the stand-in), read it, find it, change it and
delete it, through nothing but the generated code. Generation runs offline into a temporary
folder, without the generator's formatting hooks.
"""

import importlib
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command

from testing.builders import issue_token
from testing.fake_mapillary import OWNER, RECORDED_SEQUENCE

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "mtp_generated_client"
# A photo is a JPEG: bytes to the client, as the generator knows no image types by name.
CONFIG = (
    f"project_name_override: {PACKAGE}\npackage_name_override: {PACKAGE}\npost_hooks: []\n"
    "content_type_overrides:\n  image/jpeg: application/octet-stream\n"
)


@pytest.fixture
def generated(live_server, seeded, tmp_path):
    """The generated package, imported; forgotten afterwards."""
    document = httpx.get(f"{live_server.url}/api/v1/openapi.json", timeout=30)
    assert document.status_code == 200
    (tmp_path / "openapi.json").write_bytes(document.content)
    (tmp_path / "config.yaml").write_text(CONFIG)
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(tmp_path / "openapi.json"),
            "--config",
            str(tmp_path / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    # Every operation generated: the generator says so when it has to leave one out.
    assert "Warning" not in report, report
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_creates_imports_reads_finds_changes_and_deletes_a_sequence(
    generated, live_server, owner, app, settings, fake_mapillary
):
    api = importlib.import_module(f"{PACKAGE}.api.sequences")
    models = importlib.import_module(f"{PACKAGE}.models")
    client_module = importlib.import_module(f"{PACKAGE}.client")
    sequences = {
        name: importlib.import_module(f"{api.__name__}.{name}")
        for name in (
            "create_sequence",
            "import_sequence",
            "get_sequence",
            "list_sequences",
            "update_sequence",
            "delete_sequence",
            "list_images",
        )
    }
    client = client_module.AuthenticatedClient(
        base_url=live_server.url, token=issue_token(owner, app), timeout=httpx.Timeout(30)
    )

    # Create: the transport type is the document's enum.
    body = models.SequenceCreate(
        name="Lake shore walk",
        transport_type=models.SequenceCreateTransportType.WALK,
        description="Along the lake.",
        tag="lake,geneva",
        source="generated",
    )
    created = sequences["create_sequence"].sync_detailed(client=client, body=body)
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, models.SequenceWriteOut)
    unique_id = created.parsed.unique_id
    assert created.parsed.sequence.status == models.SequenceOutStatus.DRAFT

    # Import through the Mapillary stand-in, then let a worker run it.
    pair = models.Import(seq_key=RECORDED_SEQUENCE, token=OWNER.token)
    accepted = sequences["import_sequence"].sync_detailed(unique_id, client=client, body=pair)
    assert accepted.status_code == 202, accepted.content
    assert isinstance(accepted.parsed, models.ImportAcceptedOut)
    assert accepted.parsed.import_.status == models.ImportOutStatus.QUEUED
    call_command("worker", "--batch", "--interval", "0")

    # Read: published, with its images.
    read = sequences["get_sequence"].sync_detailed(unique_id, client=client)
    assert read.status_code == 200, read.content
    assert read.parsed.status == models.SequenceOutStatus.PUBLISHED
    assert read.parsed.image_count == 8
    assert read.parsed.import_.status == models.ImportOutStatus.SUCCEEDED
    images = sequences["list_images"].sync_detailed(unique_id, client=client)
    assert [image.position for image in images.parsed.results] == list(range(8))
    # The first image's photo: a redirect to the stand-in's signed link.
    get_photo = importlib.import_module(f"{PACKAGE}.api.images.get_photo")
    photo = get_photo.sync_detailed(images.parsed.results[0].mapillary_key, client=client)
    assert photo.status_code == 302, photo.content
    assert photo.headers["location"].startswith(f"{fake_mapillary.url}/")

    # Search: found by its tag and its owner.
    found = sequences["list_sequences"].sync_detailed(
        client=client, tag=["lake"], user=owner.username
    )
    assert found.status_code == 200, found.content
    assert [item.unique_id for item in found.parsed.results] == [unique_id]

    # Patch: a new name and tags.
    patch = models.SequencePatch(name="Lake shore walk at dawn", tags=["dawn", "lake"])
    changed = sequences["update_sequence"].sync_detailed(unique_id, client=client, body=patch)
    assert changed.status_code == 200, changed.content
    assert changed.parsed.sequence.name == "Lake shore walk at dawn"
    assert sorted(changed.parsed.sequence.tags) == ["dawn", "lake"]

    # Delete: gone for good.
    deleted = sequences["delete_sequence"].sync_detailed(unique_id, client=client)
    assert deleted.status_code == 204
    gone = sequences["get_sequence"].sync_detailed(unique_id, client=client)
    assert gone.status_code == 404
    assert isinstance(gone.parsed, models.ErrorOut)
