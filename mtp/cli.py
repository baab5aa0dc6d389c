"""The ``mtp`` command.

``mtp serve`` runs a complete instance (migrations, web server, job worker);
``mtp worker`` runs only the job worker; any other ``mtp <name>`` is Django's
management command of that name (``mtp migrate``, ``mtp createsuperuser``...).
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from typing import cast


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mtp.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as error:
        # A setting that does not parse: say which, without a traceback.
        print(f"mtp: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


# Any fixed number: the PostgreSQL advisory lock that servers starting together take in turn.
SCHEMA_LOCK = 0x6D7470


def _prepare_instance() -> None:
    """Bring the database and static files up to date before serving.

    Several servers may start at once on one PostgreSQL: they bring the schema up to date one
    after the other, under an advisory lock, so none fails on another's half-made table.
    """
    from django.conf import settings
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.db import connection

    try:
        # What `mtp check` finds wrong (the map library's files missing, say) stops the start.
        call_command("check")
    except SystemCheckError as error:
        print(f"mtp serve: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    locked = connection.vendor == "postgresql"
    if locked:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [SCHEMA_LOCK])
    try:
        call_command("migrate", interactive=False, verbosity=1)
        call_command("createcachetable", verbosity=0)
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [SCHEMA_LOCK])
    if not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)


def _start_up_warnings() -> list[str]:
    """What a person starting a server should hear at once, not only from ``check --deploy``:
    a server that can show no photo from Mapillary looks broken to its first visitor."""
    from mtp.sequences.checks import photos_can_be_resolved

    return [f"{warning.msg} {warning.hint}" for warning in photos_can_be_resolved(None)]


def served_url(host: str, port: int) -> str:
    """The address ``mtp serve --host host --port port`` answers at."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="mtp serve", description="Run the web server and a job worker."
    )
    parser.add_argument("--host", default=os.environ.get("MTP_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("MTP_PORT", "8000")))
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("MTP_WEB_WORKERS", "2")),
        help="web server processes (default: 2, or MTP_WEB_WORKERS)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("MTP_WEB_THREADS", "4")),
        help="request threads per web process; each may hold a database connection (default: 4)",
    )
    parser.add_argument(
        "--no-worker", action="store_true", help="do not run a job worker alongside"
    )
    args = parser.parse_args(argv)
    if not os.environ.get("SITE_URL"):
        # Links in replies (Location, url, profile_url) point at this server; the web server
        # and the worker started below inherit it.
        os.environ["SITE_URL"] = served_url(args.host, args.port)

    _django_setup()
    _prepare_instance()
    for warning in _start_up_warnings():
        print(f"mtp serve: warning: {warning}", file=sys.stderr, flush=True)

    server_cmd = [
        sys.executable, "-m", "granian",
        "--interface", "wsgi",
        "--host", args.host,
        "--port", str(args.port),
        "--workers", str(args.workers),
        "--blocking-threads", str(args.threads),
        "--no-ws",
        "--log-level", "warning",
        "mtp.wsgi:application",
    ]  # fmt: skip
    children = [subprocess.Popen(server_cmd)]
    if not args.no_worker:
        children.append(subprocess.Popen([sys.executable, "-m", "mtp.cli", "worker"]))
    print(f"Map the Paths is serving on {served_url(args.host, args.port)}/", flush=True)
    return _supervise(children)


def _supervise(children: list[subprocess.Popen]) -> int:
    """Wait until a child exits or a stop signal comes; then stop the others."""
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    exit_code = 0
    while not stopping:
        for child in children:
            code = child.poll()
            if code is not None:
                what = cast(list[str], child.args)[2:4]  # the commands given above
                print(f"mtp serve: {what} exited with {code}; stopping", file=sys.stderr)
                exit_code = code or 1
                stopping = True
                break
        time.sleep(0.2)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    return exit_code


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        print("\nCommands: serve, worker, and every Django management command (mtp help).")
        return 0
    if argv[0] == "serve":
        return serve(argv[1:])
    _django_setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["mtp", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
