"""``python -m testing.fake_mapillary``: the Mapillary stand-in as a command, for offline demos."""

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from testing.fake_mapillary import OWNER
from testing.processes import free_port, wait_for_http

ROOT = Path(__file__).resolve().parents[2]

# The stand-in runs in a process of its own.
pytestmark = pytest.mark.slow


def test_it_serves_the_sequences_asked_on_the_port_asked_until_stopped(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "testing.fake_mapillary", "--port", str(port)]
    command += ["--sequence", "demo=25", "--sequence", "x=3@stranger"]
    command += ["--fault", "rate_limit:/images:1"]
    # From the checkout, as a person runs it: the stand-in is not installed with the server.
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/me", timeout=60, process=process)
        headers = {"Authorization": f"OAuth {OWNER.token}"}
        url = f"http://127.0.0.1:{port}"
        listing = httpx.get(f"{url}/image_ids", params={"sequence_id": "demo"}, headers=headers)
        ids = [item["id"] for item in listing.json()["data"]]
        assert len(ids) == 25
        faulty = httpx.get(f"{url}/images", params={"image_ids": ids[0]}, headers=headers)
        assert faulty.status_code == 429
        assert httpx.get(f"{url}/images", params={"image_ids": ids[0]}, headers=headers).is_success
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert f"MAPILLARY_API_URL=http://127.0.0.1:{port}" in output
    assert OWNER.token in output
    assert "demo: 25 images by vorpalblade" in output
    assert "x: 3 images by someone_else" in output
