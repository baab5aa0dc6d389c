"""Real ``mtp worker`` processes on the test database, for tests that kill them."""

import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from mtp.imports.models import ImportJob
from testing.processes import mtp_command


def database_url() -> str:
    """The test database, as a URL another process can use."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"spatialite:///{db['NAME']}"
    credentials = quote(db["USER"] or "postgres") + (
        f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    )
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(fake_mapillary, **extra: str) -> dict[str, str]:
    """The environment of a worker process on the test database and the Mapillary stand-in,
    with short backoffs and leases; ``extra`` overrides."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        DATABASE_URL=database_url(),
        MTP_DATA_DIR=str(settings.DATA_DIR),
        SECRET_KEY=settings.SECRET_KEY,
        MAPILLARY_API_URL=fake_mapillary.url,
        MAPILLARY_BACKOFF="0.05",
        MTP_JOB_LEASE_SECONDS="3",
        MAPILLARY_CONCURRENCY="1",
        MAPILLARY_BATCH_SIZE="50",
    )
    env.update(extra)
    return env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """``mtp worker`` in a process group of its own, its output appended to ``log``."""
    with log.open("ab") as output:
        return subprocess.Popen(
            mtp_command("worker", "--interval", "0.1"),
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen) -> None:
    """Stop the process's group as a service manager would: TERM, then KILL after 30 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(condition, timeout: float, what: str, log: Path):
    """Poll ``condition`` until it returns something true (returned) or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")


def job_row(job_id: int) -> ImportJob:
    """The job as it is in the database now (another process may have changed it)."""
    return ImportJob.objects.get(pk=job_id)
