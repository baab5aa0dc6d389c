"""The ``mtp`` command, run as a real process."""

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from testing.processes import (
    database_of_its_own,
    free_port,
    fresh_instance_env,
    mtp_command,
    running,
    wait_for_http,
)

# Each test runs `mtp` in processes of its own.
pytestmark = pytest.mark.slow


def run_mtp(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(mtp_command(*args), env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("MTP_TLS", "sometimes"),
        ("DATABASE_URL", "mysql://localhost/mtp"),
        ("MAPILLARY_API_URL", "graph.mapillary.com"),
        ("LOGIN_FAILURE_LIMIT", "lots"),
        ("OAUTH_TOKEN_LIFETIME", "-1"),
    ],
)
def test_a_setting_that_does_not_parse_stops_start_up_naming_the_variable(
    tmp_path, variable, value
):
    result = run_mtp("check", env=fresh_instance_env(tmp_path, **{variable: value}))
    assert result.returncode == 2
    assert f"mtp: configuration error: {variable}" in result.stderr
    assert "Traceback" not in result.stderr


def production_env(tmp_path, **extra: str) -> dict[str, str]:
    """An instance's environment with the settings a deployment has (docs/DEPLOY.md)."""
    return fresh_instance_env(
        tmp_path,
        MTP_TLS="1",
        ALLOWED_HOSTS="mtp.example.org",
        SITE_URL="https://mtp.example.org",
        SECRET_KEY="k" * 20 + "production-secret-with-enough-variety-0123456789",
        MAPILLARY_CLIENT_TOKEN="MLY|1234567890|0123456789abcdef0123456789abcdef",
        **extra,
    )


@pytest.mark.parametrize(
    "extra", [{}, {"REDIS_URL": "redis://127.0.0.1:6379/0"}], ids=["database cache", "redis"]
)
def test_check_deploy_is_clean_with_production_settings(tmp_path, extra):
    env = production_env(tmp_path, EMAIL_HOST="smtp.example.org", **extra)
    result = run_mtp("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_no_mail_server_is_set(tmp_path):
    env = production_env(tmp_path)
    env.pop("EMAIL_HOST", None)
    result = run_mtp("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "mtp.W001" in result.stdout + result.stderr


def test_check_deploy_warns_without_a_mapillary_client_token(tmp_path):
    env = production_env(tmp_path, EMAIL_HOST="smtp.example.org")
    env.pop("MAPILLARY_CLIENT_TOKEN")
    result = run_mtp("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "mtp.photos.W001" in result.stdout + result.stderr
    assert "MAPILLARY_CLIENT_TOKEN is not set" in result.stdout + result.stderr


def test_other_names_pass_through_to_django_management_commands(tmp_path):
    env = fresh_instance_env(tmp_path, DJANGO_SUPERUSER_PASSWORD="an admin passphrase")
    assert run_mtp("migrate", "--noinput", env=env).returncode == 0
    result = run_mtp(
        "createsuperuser", "--noinput", "--username", "admin", "--email", "a@example.org", env=env
    )
    assert result.returncode == 0, result.stderr
    result = run_mtp(
        "shell",
        "--no-imports",
        "-c",
        "from mtp.accounts.models import User; print(User.objects.get().is_superuser)",
        env=env,
    )
    assert result.stdout.strip() == "True"


def test_serve_brings_up_a_complete_instance_and_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    env = fresh_instance_env(tmp_path / "data")
    env.pop("MAPILLARY_CLIENT_TOKEN", None)
    with running(mtp_command("serve", "--port", str(port)), env, tmp_path / "serve.log") as server:
        # A fresh instance migrates and collects its static files first: minutes on a machine
        # busy with the rest of the suite.
        health = wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=300, process=server)
        assert health.status_code == 200
        # With no Mapillary application token, the person starting it is told at once.
        assert "warning: MAPILLARY_CLIENT_TOKEN is not set" in (tmp_path / "serve.log").read_text()
        assert health.json() == {"status": "ok", "database": "ok"}
        assert health.headers["server"] == "granian"
        assert httpx.get(f"http://127.0.0.1:{port}/accounts/signup/").status_code == 200
        css = httpx.get(f"http://127.0.0.1:{port}/static/mtp/site.css")
        assert css.status_code == 200 and "--accent" in css.text
        # Idle keep-alive connections (browsers hold several each) never starve other clients.
        idle = []
        for _ in range(12):
            connection = socket.create_connection(("127.0.0.1", port))
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            connection.recv(4096)
            idle.append(connection)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=20).status_code == 200
        for connection in idle:
            connection.close()
        # The worker runs alongside the web server.
        children = subprocess.run(
            ["pgrep", "-f", "-s", str(server.pid), "mtp.cli worker"], capture_output=True
        )
        assert children.returncode == 0
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        assert server.returncode == 0
    # The secret key it generated is kept, private, for the next start.
    assert oct((tmp_path / "data" / "secret_key").stat().st_mode & 0o777) == "0o600"
    time.sleep(0.2)
    assert subprocess.run(["pgrep", "-s", str(server.pid)], capture_output=True).returncode == 1


def test_servers_starting_together_on_a_new_postgresql_database_all_prepare_it(tmp_path, settings):
    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("postgis"):
        pytest.skip("the advisory lock is PostgreSQL's; SQLite serialises writers itself")
    script = (
        "from mtp.cli import _django_setup, _prepare_instance; _django_setup(); _prepare_instance()"
    )
    with database_of_its_own(database) as extra:
        starts = [
            subprocess.Popen(
                [sys.executable, "-c", script],
                env=fresh_instance_env(tmp_path / str(index), **extra),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for index in range(3)
        ]
        for start in starts:
            output, _ = start.communicate(timeout=300)
            assert start.returncode == 0, output


def test_migrate_alone_makes_the_cache_table(tmp_path):
    # Rate limit counters live there: a worker or server started after only `mtp migrate`
    # must find it.
    env = fresh_instance_env(tmp_path)
    assert run_mtp("migrate", "--noinput", env=env).returncode == 0
    code = (
        "from django.db import connection; "
        "print('mtp_cache' in connection.introspection.table_names())"
    )
    result = run_mtp("shell", "-c", code, env=env)
    assert result.stdout.strip().splitlines()[-1] == "True", result.stdout + result.stderr
