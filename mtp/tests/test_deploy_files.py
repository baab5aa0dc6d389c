"""The files in deploy/ that operators copy: the environment example and the systemd units.

deploy/rehearse.sh runs them all together (PostgreSQL, the proxy); these checks are the
quick part of that, in the test suite.
"""

import getpass
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testing.processes import fresh_instance_env, mtp_command

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ASSIGNMENT = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$")


def example_lines() -> list[tuple[str, str, bool]]:
    """(name, value, commented out) for each assignment in deploy/mtp.env.example."""
    found = []
    for line in (DEPLOY / "mtp.env.example").read_text().splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            # Quotes are the shell's and systemd's, not the value's.
            value = match.group(2).strip("'")
            found.append((match.group(1), value, line.startswith("#")))
    return found


def variables_the_server_reads() -> set[str]:
    sources = (ROOT / "mtp" / "settings.py").read_text() + (ROOT / "mtp" / "cli.py").read_text()
    return set(re.findall(r'(?:env_\w+|os\.environ\.get)\(\s*"([A-Z][A-Z0-9_]*)"', sources))


def test_every_variable_in_the_environment_example_is_one_the_server_reads():
    names = {name for name, _, _ in example_lines()}
    assert {"DATABASE_URL", "SECRET_KEY", "MTP_TLS", "MTP_PROXY_COUNT"} <= names
    assert names - variables_the_server_reads() == set()


@pytest.mark.slow
def test_the_environment_example_passes_the_deployment_checks(tmp_path):
    env = fresh_instance_env(tmp_path)
    for name, value, commented in example_lines():
        if not commented:
            env[name] = value
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env["MTP_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        mtp_command("check", "--deploy", "--fail-level", "WARNING"),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_systemd_units_pass_systemd_analyze(tmp_path):
    venv = Path(sys.executable).parent.parent
    environment = tmp_path / "mtp.env"
    environment.write_text("SECRET_KEY=x\n")
    user = getpass.getuser()
    for unit in [*(DEPLOY / "systemd").glob("*.service"), *(DEPLOY / "systemd").glob("*.timer")]:
        text = unit.read_text().replace("/opt/mtp/current/.venv", str(venv))
        text = text.replace("/etc/mtp/mtp.env", str(environment))
        text = re.sub(r"^(User|Group)=mtp$", rf"\1={user}", text, flags=re.M)
        (tmp_path / unit.name).write_text(text)
    units = [
        "mtp-web.service",
        "mtp-worker.service",
        "mtp-worker@1.service",
        "mtp-housekeeping.service",
        "mtp-housekeeping.timer",
    ]
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / name) for name in units)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""
