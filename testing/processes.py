"""Starting and stopping real processes in tests."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mtp_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "mtp.cli", *args]


def fresh_instance_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for an instance of its own: a SpatiaLite database in ``data_dir``."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update({"MTP_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "mtp.settings", **extra})
    return env


def wait_for_http(
    url: str, timeout: float = 60.0, process: subprocess.Popen | None = None
) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"the process exited with {process.returncode} before {url} answered"
            )
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Run ``command`` in its own process group; stop the whole group afterwards."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, 15)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, 9)
                    process.wait()


@contextmanager
def database_of_its_own(database: dict) -> Iterator[dict[str, str]]:
    """Environment giving an instance a database of its own like the tests' (``database``,
    Django's settings of it): a new PostgreSQL database, dropped afterwards; on SpatiaLite
    nothing, since the instance makes its file in its data folder."""
    if not database["ENGINE"].endswith("postgis"):
        yield {}
        return
    import uuid

    import psycopg

    name = f"mtp_instance_{uuid.uuid4().hex[:8]}"
    admin: dict[str, Any] = {
        "host": database["HOST"] or None,
        "port": database["PORT"] or None,
        "user": database["USER"] or None,
        "password": database["PASSWORD"] or None,
        "dbname": "postgres",
    }
    with psycopg.connect(autocommit=True, **admin) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {
            "DATABASE_URL": (
                f"postgres://{database['USER']}:{database['PASSWORD']}@"
                f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{name}"
            )
        }
    finally:
        with psycopg.connect(autocommit=True, **admin) as connection:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
