import json
import os
import subprocess
import sys

import pytest


@pytest.mark.django_db
def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.slow
def test_healthz_answers_503_when_the_database_does_not(tmp_path):
    # A real server process whose database (PostgreSQL on a closed port) cannot be reached.
    script = (
        "from django.test import Client;"
        "r = Client(HTTP_HOST='localhost').get('/healthz');"
        "print(r.status_code, r['Retry-After'], r.content.decode())"
    )
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:9/unreachable",
        "MTP_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "mtp.cli", "shell", "--no-imports", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    status, retry_after, body = result.stdout.strip().split(" ", 2)
    assert status == "503"
    assert retry_after == "5"
    assert json.loads(body)["status"] == "error"
