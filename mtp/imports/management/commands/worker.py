"""``mtp worker``: run background tasks from the database queue, and recover lost imports,
webhook deliveries and jobs keeping copies of photos.

The worker outlives its database: when the database stops answering (a PostgreSQL restart,
a failover, a network cut), django-tasks-db's loop raises; the worker logs it, waits, and
starts the loop again once the database answers, with fresh connections. Imports it was
running give themselves back (``mtp.imports.importer``), or are recovered when their lease
runs out.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections

from mtp.imports.jobs import recover_stale_jobs
from mtp.lib.dbavailability import is_database_unavailable
from mtp.sequences.keeper import recover_stale_jobs as recover_stale_keeping
from mtp.webhooks.delivery import recover_stale_deliveries

logger = logging.getLogger("mtp.imports.worker")

T = TypeVar("T")

# Waits between tries while the database does not answer: doubling from the first to the last.
FIRST_WAIT_SECONDS = 0.5
LONGEST_WAIT_SECONDS = 15.0
# A loop that ran this long before failing was healthy: the next failure waits from the start.
HEALTHY_SECONDS = 60.0


def recover_periodically(stop: threading.Event, every: float) -> None:
    """Queue again the imports, webhook deliveries and photo keeping of workers that died,
    every ``every`` seconds until ``stop``."""
    try:
        while not stop.wait(every):
            for recover in (recover_stale_jobs, recover_stale_deliveries, recover_stale_keeping):
                try:
                    recover()
                except DatabaseError as error:
                    # A busy or briefly unreachable database: try again at the next round, on
                    # a fresh connection (a broken one stays broken).
                    logger.warning("%s failed: %s", recover.__name__, error)
                    connections.close_all()
                except Exception:
                    logger.exception("%s failed", recover.__name__)
    finally:
        connections.close_all()


def until_the_database_answers(action: Callable[[], T]) -> T:
    """Run ``action``; while it fails because the database does not answer, wait and retry."""
    wait = FIRST_WAIT_SECONDS
    while True:
        started = time.monotonic()
        try:
            return action()
        except DatabaseError as error:
            if not is_database_unavailable(error):
                raise
            if time.monotonic() - started > HEALTHY_SECONDS:
                wait = FIRST_WAIT_SECONDS
            logger.warning("the database is unavailable (%s); trying again in %.1f s", error, wait)
            connections.close_all()
            time.sleep(wait)
            wait = min(wait * 2, LONGEST_WAIT_SECONDS)


def queue_names(value: str) -> str:
    """db_worker's --queue-name for ``--queues``: "*" for all, else the names checked."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names or names == ["all"]:
        return "*"
    unknown = [name for name in names if name not in settings.TASK_QUEUES]
    if unknown:
        raise CommandError(
            f"unknown queue {', '.join(unknown)}: choose from {', '.join(settings.TASK_QUEUES)}"
            " (comma-separated), or all"
        )
    return ",".join(names)


class Command(BaseCommand):
    help = "Run the background task worker (imports, webhooks, kept copies of photos)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between polls when idle"
        )
        parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")
        parser.add_argument(
            "--queues",
            default="all",
            help=(
                "the queues to take tasks from, comma-separated: "
                f"{', '.join(settings.TASK_QUEUES)}, or all (the default)"
            ),
        )

    def handle(self, *args, **options):
        queues = queue_names(options["queues"])
        # Imports whose worker died while this one was down go back in the queue first.
        recovered = until_the_database_answers(recover_stale_jobs)
        if recovered:
            logger.info("queued again %s imports whose worker had stopped", recovered)
        recovered = until_the_database_answers(recover_stale_deliveries)
        if recovered:
            logger.info("queued again %s webhook deliveries whose worker had stopped", recovered)
        recovered = until_the_database_answers(recover_stale_keeping)
        if recovered:
            logger.info("queued again %s photo keeping jobs whose worker had stopped", recovered)
        stop = threading.Event()
        if not options["batch"]:
            every = max(1.0, settings.IMPORT_LEASE_SECONDS / 3)
            threading.Thread(
                target=recover_periodically, args=(stop, every), name="recovery", daemon=True
            ).start()
        extra = ["--batch"] if options["batch"] else []
        try:
            until_the_database_answers(
                lambda: call_command(
                    "db_worker",
                    "--queue-name",
                    queues,
                    "--interval",
                    str(options["interval"]),
                    "--no-reload",
                    *extra,
                )
            )
        finally:
            stop.set()
