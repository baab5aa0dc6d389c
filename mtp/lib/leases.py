"""Job rows and their leases: how a worker takes a job, keeps it while it works, and lets go.

A job row (an import, a webhook delivery, keeping a sequence's photos) is the one record of
its job: whether it is due, how many attempts it had, who runs it now. There is no other
queue. A worker takes a row with a conditional UPDATE that names it as the lease's owner only
if the row is still claimable (due, and no live lease), so of many workers racing for a row
exactly one changes it. While it works it renews the lease, and each write it makes is
conditional on still owning it. A worker that dies, even by ``kill -9``, stops renewing: once
the lease ends the row is claimable again, and another worker runs the job from the start
(every job here is idempotent).

Each kind of job describes its rows with a ``Lease``; the worker (``mtp worker``) asks each
kind in turn for its due rows and runs them one at a time.
"""

import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import get_random_string


def new_worker_id() -> str:
    """A name for this worker, unique across machines: host, process and a random part."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{get_random_string(8)}"


@dataclass(frozen=True)
class Lease:
    """How the rows of one kind of job are claimed, held and let go.

    ``claimable(now)`` selects the rows a worker may take at ``now`` (due, and no live lease);
    ``held`` narrows the rows whose lease counts as held (a status, say); ``order`` says which
    due row goes first. ``owner`` and ``expires`` name the lease's two columns.
    """

    model: type[models.Model]
    duration: Callable[[], timedelta]
    claimable: Callable[[datetime], Q]
    order: tuple[str, ...]
    owner: str = "lease_owner"
    expires: str = "lease_expires_at"
    held: Q = field(default_factory=Q)

    def free(self, now: datetime) -> Q:
        """Rows whose lease is not held at ``now``: never taken, or run out."""
        return Q(**{f"{self.expires}__isnull": True}) | Q(**{f"{self.expires}__lt": now})

    def due_ids(self, limit: int = 20) -> list[int]:
        """The ids of up to ``limit`` rows a worker may take now, the first to run first."""
        rows = self.model._default_manager.filter(self.claimable(timezone.now())).order_by(
            *self.order
        )
        return list(rows.values_list("pk", flat=True)[:limit])

    def claim(self, pk: int, owner: str, **changes: object) -> bool:
        """Take the row's lease for ``owner`` if it is claimable, counting an attempt and
        applying ``changes``; False when it is not (another worker took it, or it is not due)."""
        now = timezone.now()
        return (
            self.model._default_manager.filter(self.claimable(now), pk=pk).update(
                **{self.owner: owner, self.expires: now + self.duration()},
                attempts=F("attempts") + 1,
                **changes,
            )
            == 1
        )

    def mine(self, pk: int, owner: str) -> models.QuerySet:
        """The row, if ``owner`` still holds its lease."""
        return self.model._default_manager.filter(self.held, pk=pk, **{self.owner: owner})

    def renew(self, pk: int, owner: str, **changes: object) -> bool:
        """Extend the lease (and apply ``changes``); False when it is no longer ``owner``'s."""
        expires = timezone.now() + self.duration()
        return self.mine(pk, owner).update(**{self.expires: expires}, **changes) == 1

    def release(self, pk: int, owner: str, **changes: object) -> bool:
        """Let go of the lease, applying ``changes`` (the outcome, or the next attempt's
        time) in the same UPDATE; False when it was no longer ``owner``'s."""
        return self.mine(pk, owner).update(**{self.owner: "", self.expires: None}, **changes) == 1

    def expired(self, now: datetime | None = None) -> models.QuerySet:
        """The rows taken by a worker that did not renew the lease in time (it died)."""
        return self.model._default_manager.filter(self.held, self.free(now or timezone.now()))


def run_next(due_ids: Callable[[], Iterable[int]], run: Callable[[int], str]) -> str | None:
    """Run the first due row this worker wins, with ``run(pk)``; return what it came to, or
    None when nothing was due.

    ``run`` claims the row itself and answers "skipped" when another worker was faster: then
    the next due row is tried.
    """
    for pk in due_ids():
        outcome = run(pk)
        if outcome != "skipped":
            return outcome
    return None
