"""``mtp worker``: run background tasks from the database queue, and recover lost imports and
webhook deliveries."""

import logging
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections

from mtp.imports.jobs import recover_stale_jobs
from mtp.webhooks.delivery import recover_stale_deliveries

logger = logging.getLogger("mtp.imports.worker")


def recover_periodically(stop: threading.Event, every: float) -> None:
    """Queue again the imports and webhook deliveries of workers that died, every ``every``
    seconds until ``stop``."""
    try:
        while not stop.wait(every):
            for recover in (recover_stale_jobs, recover_stale_deliveries):
                try:
                    recover()
                except Exception:
                    # A busy or briefly unreachable database: try again at the next round.
                    logger.exception("%s failed", recover.__name__)
    finally:
        connections.close_all()


class Command(BaseCommand):
    help = "Run the background task worker (imports, webhooks)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between polls when idle"
        )
        parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")

    def handle(self, *args, **options):
        # Imports whose worker died while this one was down go back in the queue first.
        recovered = recover_stale_jobs()
        if recovered:
            logger.info("queued again %s imports whose worker had stopped", recovered)
        recovered = recover_stale_deliveries()
        if recovered:
            logger.info("queued again %s webhook deliveries whose worker had stopped", recovered)
        stop = threading.Event()
        if not options["batch"]:
            every = max(1.0, settings.IMPORT_LEASE_SECONDS / 3)
            threading.Thread(
                target=recover_periodically, args=(stop, every), name="recovery", daemon=True
            ).start()
        extra = ["--batch"] if options["batch"] else []
        try:
            call_command(
                "db_worker",
                "--queue-name",
                "*",
                "--interval",
                str(options["interval"]),
                "--no-reload",
                *extra,
            )
        finally:
            stop.set()
