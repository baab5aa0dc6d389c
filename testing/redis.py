"""A Redis server of the test's own, on a free port of 127.0.0.1, for the Redis cache tests."""

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from testing.processes import free_port


def _fail_or_skip(message: str) -> NoReturn:
    # CI must run the Redis tests: there a missing redis-server is a failure, not a skip.
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """``MTP_TEST_REDIS_URL`` when the environment names one, else a redis-server started for
    the run on a free port (stopped at its end)."""
    import redis

    given = os.environ.get("MTP_TEST_REDIS_URL")
    if given:
        try:
            redis.Redis.from_url(given, socket_timeout=2).ping()
        except redis.RedisError as error:
            _fail_or_skip(f"MTP_TEST_REDIS_URL={given} does not answer: {error}")
        yield given
        return
    binary = shutil.which("redis-server")
    if binary is None:
        _fail_or_skip("redis-server is not installed: run scripts/setup.sh --redis")
    port = free_port()
    folder: Path = tmp_path_factory.mktemp("redis")
    command = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--dir",
        str(folder),
    ]
    with (folder / "redis.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url, socket_timeout=1).ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start: {(folder / 'redis.log').read_text()}")
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def redis_cache(settings, redis_url) -> Iterator[str]:
    """Django's default cache is Redis for the test, emptied before and after."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "mtp-test",
        }
    }
    caches["default"].clear()
    yield redis_url
    caches["default"].clear()
