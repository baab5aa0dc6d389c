"""``mtp worker``: run the instance's background jobs: imports, webhook deliveries, and kept
copies of photos.

Each kind of job is a table of rows, and a job's row is its only record (``mtp.lib.jobs``).
The worker knows no kind by name: it asks each registered kind in turn (a queue) for a due
row, claims it with a conditional UPDATE and a lease, runs it, and the job records its outcome
(or its next attempt) on the row; when no kind had anything due, it sleeps ``--interval``
seconds. Any number of workers, on any
number of machines, may run at once: of several racing for a row, one takes it.

SIGTERM or SIGINT: the worker finishes the job in hand, then exits (at once when idle); a
second one stops the job (an import gives itself back to the queue first). A worker killed
outright leaves its job's lease to run out, and another worker takes the job over.

The worker outlives its database: when the database stops answering (a PostgreSQL restart,
a failover, a network cut), the loop fails; the worker logs it, waits, and starts the loop
again once the database answers, with fresh connections. Imports it was running give
themselves back (``mtp.imports.importer``); any job is taken over once its lease runs out.
"""

import logging
import signal
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections, connections

from mtp.lib import jobs
from mtp.lib.dbavailability import is_database_unavailable

logger = logging.getLogger("mtp.worker")

T = TypeVar("T")

# Waits between tries while the database does not answer: doubling from the first to the last.
FIRST_WAIT_SECONDS = 0.5
LONGEST_WAIT_SECONDS = 15.0
# A loop that ran this long before failing was healthy: the next failure waits from the start.
HEALTHY_SECONDS = 60.0


def queues() -> dict[str, type[jobs.Job]]:
    """Each registered kind of job by its queue's name, in the order the worker serves them."""
    return {kind.queue: kind for kind in jobs.kinds()}


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


def queue_names(value: str) -> list[str]:
    """The queues ``--queues`` names, checked: all of them for "all"."""
    known = queues()
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names or names == ["all"]:
        return list(known)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise CommandError(
            f"unknown queue {', '.join(unknown)}: choose from {', '.join(known)}"
            " (comma-separated), or all"
        )
    return names


class Worker:
    """The loop over the queues, and how it stops."""

    def __init__(self, names: list[str], interval: float, batch: bool) -> None:
        known = queues()
        self.kinds = [known[name] for name in names]
        self.interval = interval
        self.batch = batch
        self.worker_id = jobs.new_worker_id()
        self.stopping = False
        self.idle = True
        # Jobs whose worker died are marked queued this often (they may be taken anyway).
        self.recover_every = max(1.0, settings.JOB_LEASE_SECONDS / 3)
        self.recovered_at = float("-inf")

    def stop(self, signum: int, frame) -> None:
        if self.stopping:
            logger.warning("%s again: stopping the job in hand", signal.strsignal(signum))
            sys.exit(1)
        self.stopping = True
        logger.warning("%s: stopping once the job in hand ends", signal.strsignal(signum))
        if self.idle:
            sys.exit(0)

    def run(self) -> None:
        """Run due jobs until stopped (or, in batch mode, until none is due)."""
        names = ",".join(kind.queue for kind in self.kinds)
        logger.info("worker %s: queues %s", self.worker_id, names)
        while not self.stopping:
            close_old_connections()
            self.recover()
            ran = False
            for kind in self.kinds:
                self.idle = False
                try:
                    ran = self.run_one(kind) or ran
                finally:
                    self.idle = True
                if self.stopping:
                    return
            close_old_connections()
            if not ran:
                if self.batch:
                    return
                time.sleep(self.interval)

    def run_one(self, kind: type[jobs.Job]) -> bool:
        """Run the next due job of ``kind``; whether there was one."""
        name = kind.queue
        try:
            outcome = kind.run_next(self.worker_id)
        except DatabaseError as error:
            if is_database_unavailable(error):
                raise
            # A deadlock, a constraint, a query cancelled: the job's lease runs out and it
            # is tried again; a broken connection is not kept.
            logger.exception("%s: a job failed on a database error", name)
            connections.close_all()
            return False
        except Exception:
            logger.exception("%s: a job failed unexpectedly", name)
            return False
        if outcome is not None:
            logger.debug("%s: %s", name, outcome)
        return outcome is not None

    def recover(self) -> None:
        if time.monotonic() - self.recovered_at < self.recover_every:
            return
        self.recovered_at = time.monotonic()
        jobs.note_worker_alive()
        for kind in self.kinds:
            recovered = kind.recover()
            if recovered:
                logger.info("queued again %s %s whose worker had stopped", recovered, kind.queue)


class Command(BaseCommand):
    help = "Run the background job worker (imports, webhooks, kept copies of photos)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between polls when idle"
        )
        parser.add_argument("--batch", action="store_true", help="run what is due, then exit")
        parser.add_argument(
            "--queues",
            default="all",
            help=(
                "the queues to take jobs from, comma-separated: "
                f"{', '.join(queues())}, or all (the default)"
            ),
        )

    def handle(self, *args, **options):
        worker = Worker(queue_names(options["queues"]), options["interval"], options["batch"])
        if not options["batch"]:
            signal.signal(signal.SIGTERM, worker.stop)
            signal.signal(signal.SIGINT, worker.stop)
        until_the_database_answers(worker.run)
