"""Background jobs: one model of a job row, its lease, its states, and the loop that runs them.

Every kind of background work (an import, a webhook delivery, keeping a sequence's photos) is
a table of rows, and a job's row is its only record: there is no other queue. The row says
where the job stands (``status``), how many attempts it had, when it is due
(``next_attempt_at``), who runs it now (``lease_owner``, until ``lease_expires_at``) and why
its last attempt failed (``last_error``)::

    queued --claim--> running --finish---------------------------> succeeded
      ^                  |-----give_up (or retry, attempts spent)--> failed
      |                  |-----retry: due again after a backoff ----> queued
      +------------------+-----release: given back, due at once ---> queued

A worker takes a row with a conditional UPDATE (``claim``) that marks it running and names the
worker as the lease's owner only if the row is still claimable (queued and due, or running
with a lease that ran out), so of many workers racing for a row exactly one changes it. While
it works it renews the lease, and every write of the state is conditional on still holding it:
when it does not, ``LeaseLost`` is raised and the worker stops without writing. A worker that
dies, even by ``kill -9``, stops renewing; once the lease ends the row is claimable again
(``recover`` meanwhile marks it queued), and another worker runs the job from the start: every
job is idempotent.

Adding a kind of job:

1. Subclass ``Job`` with a concrete model (its own columns beside these), and set ``queue``
   (the name ``mtp worker --queues`` knows it by) and ``priority`` (the worker serves the
   lowest first in each round); override ``max_attempts``, ``first_backoff_seconds``,
   ``lease_seconds``, ``due_order``, ``claim_changes`` or ``claimed_rows`` where the kind
   differs. Make a migration.
2. Write its run: a function that takes a claimed job (the lease is held) and does the work,
   ending with ``job.finish()``, ``job.retry(error)`` or ``job.give_up(error)``, and returns
   a word for the log ("succeeded", "retrying", "failed"...). Long work renews the lease as it
   goes (``job.renew()``, or a ``Heartbeat`` while it waits on the network).
3. Register it in the app's ``AppConfig.ready``: ``jobs.register(MyJob, run_my_job)``. The
   worker (``mtp worker``) then takes its due rows; it knows no kind by name.
"""

import logging
import os
import random
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar, Self

from django.conf import settings
from django.db import DatabaseError, connections, models
from django.db.models import F, Q
from django.db.models.expressions import Combinable
from django.utils import timezone
from django.utils.crypto import get_random_string

logger = logging.getLogger(__name__)


class LeaseLost(Exception):
    """The job's lease is no longer this worker's (another worker took the job over, or the
    job is gone): stop without writing."""


def new_worker_id() -> str:
    """A name for this worker, unique across machines: host, process and a random part."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{get_random_string(8)}"


# When a worker last went round its loop, in the cache (every worker, every few minutes at
# most): the staff's first-run checklist says whether one runs.
WORKER_SEEN_KEY = "mtp:worker-seen"


def note_worker_alive() -> None:
    """Say in the cache that a worker is running now; a cache that does not answer is no
    worker's concern."""
    from django.core.cache import cache

    try:
        cache.set(WORKER_SEEN_KEY, timezone.now().timestamp(), timeout=24 * 3600)
    except Exception:  # noqa: BLE001 - the checklist then says no worker was seen
        logger.debug("the cache did not take the worker's heartbeat")


def worker_seen_seconds_ago() -> float | None:
    """How long ago a worker last said it runs (``note_worker_alive``); None: not in a day."""
    from django.core.cache import cache

    try:
        seen = cache.get(WORKER_SEEN_KEY)
    except Exception:  # noqa: BLE001 - unknown is as good as not seen
        return None
    return None if seen is None else max(0.0, timezone.now().timestamp() - float(seen))


# Each registered kind of job, with the function that runs one claimed row of it.
_RUNS: dict[type["Job"], Callable[[Any], str]] = {}


def register(kind: type["Job"], run: Callable[[Any], str]) -> None:
    """Make ``kind``'s rows run by the worker, each with ``run(job)`` (see the module's
    docstring). Called from the kind's ``AppConfig.ready``."""
    if kind._meta.abstract or not kind.queue:
        raise TypeError(f"{kind.__name__} is not a concrete kind of job with a queue name")
    # The worker knows a kind by its queue's name (``mtp worker --queues``): one kind each.
    for other in _RUNS:
        if other is not kind and other.queue == kind.queue:
            raise TypeError(f"{kind.__name__} and {other.__name__} share the queue {kind.queue}")
    _RUNS[kind] = run


def kinds() -> list[type["Job"]]:
    """The registered kinds of job, in the order the worker serves them."""
    return sorted(_RUNS, key=lambda kind: kind.priority)


class Job(models.Model):
    """A job row: its state, attempts, due time, lease and last error; one state machine."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    # When a queued job is due; none: at once.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The lease: the worker running the job renews it; one that ran out means the worker died.
    lease_owner = models.CharField(max_length=64, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # What each kind says about itself (see the module's docstring).
    queue: ClassVar[str] = ""
    priority: ClassVar[int] = 0
    due_order: ClassVar[tuple[str, ...]] = ("next_attempt_at", "id")
    max_backoff_seconds: ClassVar[float] = 6 * 3600

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="%(class)s_status_valid",
            ),
        ]

    # The kind's policy ----------------------------------------------------------------------

    @classmethod
    def lease_seconds(cls) -> float:
        """How long a lease lasts unrenewed (``MTP_JOB_LEASE_SECONDS``)."""
        return settings.JOB_LEASE_SECONDS

    @classmethod
    def max_attempts(cls) -> int:
        """Attempts after which ``retry`` gives up."""
        return 5

    @classmethod
    def first_backoff_seconds(cls) -> float:
        return 60

    @classmethod
    def backoff(cls, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based): the first wait,
        then twice as long each time up to ``max_backoff_seconds``, all +-20% at random so that
        many jobs that failed together do not come back in step."""
        wait = min(cls.first_backoff_seconds() * 2 ** max(0, attempt - 1), cls.max_backoff_seconds)
        return wait * random.uniform(0.8, 1.2)

    @classmethod
    def enabled(cls) -> bool:
        """Whether the worker takes this kind's rows at all."""
        return True

    @classmethod
    def claim_changes(cls, now: datetime) -> dict[str, Any]:
        """More columns the claiming UPDATE sets (a start time, say)."""
        return {}

    @classmethod
    def claimed_rows(cls) -> models.QuerySet[Self]:
        """How a claimed row is read back (with what it refers to, say)."""
        return cls._default_manager.all()

    # Finding and claiming -------------------------------------------------------------------

    @classmethod
    def claimable(cls, now: datetime) -> Q:
        """Queued rows that are due, and running ones whose worker stopped renewing the lease."""
        due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        lapsed = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
        return Q(due, status=cls.Status.QUEUED) | Q(lapsed, status=cls.Status.RUNNING)

    @classmethod
    def due_ids(cls, limit: int = 20) -> list[int]:
        """The ids of up to ``limit`` rows a worker may take now, the first to run first."""
        if not cls.enabled():
            return []
        rows = cls._default_manager.filter(cls.claimable(timezone.now())).order_by(*cls.due_order)
        return list(rows.values_list("pk", flat=True)[:limit])

    @classmethod
    def claim(cls, pk: int, worker_id: str) -> Self | None:
        """Take the row's lease for ``worker_id`` if it is claimable, counting an attempt;
        the row as it now is, or None when another worker was faster or it is not due."""
        now = timezone.now()
        taken = cls._default_manager.filter(cls.claimable(now), pk=pk).update(
            status=cls.Status.RUNNING,
            lease_owner=worker_id,
            lease_expires_at=now + timedelta(seconds=cls.lease_seconds()),
            attempts=F("attempts") + 1,
            updated_at=now,
            **cls.claim_changes(now),
        )
        if taken != 1:
            return None
        return cls.claimed_rows().filter(pk=pk).first()

    @classmethod
    def recover(cls) -> int:
        """Mark queued again the running rows whose worker stopped renewing the lease; return
        how many. A worker may take such a row anyway, but until one does it should read as
        waiting. Safe from many workers at once: each change is conditional on the lease it
        found."""
        now = timezone.now()
        recovered = 0
        lapsed = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
        rows = cls._default_manager.filter(lapsed, status=cls.Status.RUNNING)
        for pk, owner, expires_at in rows.values_list("pk", "lease_owner", "lease_expires_at"):
            requeued = cls._default_manager.filter(
                pk=pk, status=cls.Status.RUNNING, lease_owner=owner, lease_expires_at=expires_at
            ).update(
                status=cls.Status.QUEUED,
                lease_owner="",
                lease_expires_at=None,
                next_attempt_at=now,
                updated_at=now,
            )
            if requeued:
                recovered += 1
                logger.warning(
                    "%s %s: its worker stopped renewing the lease; queued again", cls.queue, pk
                )
        return recovered

    # The lease's holder changes the state ---------------------------------------------------

    def _change(self, changes: dict[str, Any]) -> None:
        """Apply ``changes`` to the row if this job's lease is still held, else LeaseLost."""
        changes.setdefault("updated_at", timezone.now())
        held = type(self)._default_manager.filter(
            pk=self.pk, status=self.Status.RUNNING, lease_owner=self.lease_owner
        )
        if not self.lease_owner or held.update(**changes) != 1:
            raise LeaseLost
        for name, value in changes.items():
            if not isinstance(value, Combinable):
                setattr(self, name, value)

    def _let_go(self, status: str, next_attempt_at: datetime | None, **changes: Any) -> None:
        self._change(
            {
                "status": status,
                "lease_owner": "",
                "lease_expires_at": None,
                "next_attempt_at": next_attempt_at,
                **changes,
            }
        )

    def renew(self, **changes: Any) -> None:
        """Extend the lease (applying ``changes``, progress say); LeaseLost if it is gone."""
        expires = timezone.now() + timedelta(seconds=self.lease_seconds())
        self._change({"lease_expires_at": expires, **changes})

    def finish(self, **changes: Any) -> None:
        """The job succeeded: let go of the lease, with ``changes`` in the same UPDATE."""
        self._let_go(self.Status.SUCCEEDED, None, **{"last_error": "", **changes})

    def give_up(self, error: str, **changes: Any) -> None:
        """The job failed for good with ``error``."""
        self._let_go(self.Status.FAILED, None, **{"last_error": error, **changes})

    def retry(self, error: str, **changes: Any) -> str:
        """The attempt failed with ``error``: due again after a backoff, or given up once
        ``max_attempts`` are spent. Returns "retrying" or "failed"."""
        if self.attempts >= self.max_attempts():
            self.give_up(error, **changes)
            return "failed"
        due = timezone.now() + timedelta(seconds=self.backoff(self.attempts))
        self._let_go(self.Status.QUEUED, due, **{"last_error": error, **changes})
        return "retrying"

    def release(self, **changes: Any) -> None:
        """Give the job back (the worker is stopping, say): queued, due at once."""
        self._let_go(self.Status.QUEUED, timezone.now(), **changes)

    # Running ------------------------------------------------------------------------------------

    def run(self) -> str:
        """Run this claimed job with its kind's registered run; return what it came to."""
        return _RUNS[type(self)](self)

    @classmethod
    def run_one(cls, pk: int, worker_id: str | None = None) -> str:
        """Claim the row and run it; "skipped" when it could not be claimed, "lost" when the
        lease was lost on the way."""
        job = cls.claim(pk, worker_id or new_worker_id())
        if job is None:
            return "skipped"
        try:
            return job.run()
        except LeaseLost:
            logger.warning("%s %s: lease lost; leaving the job to its new worker", cls.queue, pk)
            return "lost"
        except (KeyboardInterrupt, SystemExit):
            # The worker is stopping: hand the job to another one right away.
            try:
                job.release()
            except LeaseLost:
                pass
            raise

    @classmethod
    def run_next(cls, worker_id: str) -> str | None:
        """Run the first due row this worker wins; what it came to, or None when nothing was
        due. A row another worker took first is passed over for the next one."""
        for pk in cls.due_ids():
            outcome = cls.run_one(pk, worker_id)
            if outcome != "skipped":
                return outcome
        return None


class Heartbeat(threading.Thread):
    """Renews a job's lease in the background (on its own connection) while the job waits on
    something slow; ``lost`` is set once the lease is no longer the job's."""

    def __init__(self, job: Job) -> None:
        super().__init__(name=f"lease-{job.queue}-{job.pk}", daemon=True)
        self.job = job
        self.stopped = threading.Event()
        self.lost = threading.Event()

    def run(self) -> None:
        interval = self.job.lease_seconds() / 3
        try:
            while not self.stopped.wait(interval):
                try:
                    self.job.renew()
                except LeaseLost:
                    self.lost.set()
                    return
                except DatabaseError as error:
                    # A busy database: the next beat tries again, well before the lease ends,
                    # on a fresh connection (one the database dropped stays broken).
                    logger.warning(
                        "%s %s: lease renewal failed: %s", self.job.queue, self.job.pk, error
                    )
                    connections.close_all()
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
        if self.is_alive():
            self.join()
