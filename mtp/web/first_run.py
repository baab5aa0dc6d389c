"""What Explore tells a new instance's staff (what is left to set up) and a new account (where
to start): an empty instance says nothing to its first visitor otherwise."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from mtp.accounts.checks import email_is_sent
from mtp.lib.jobs import worker_seen_seconds_ago
from mtp.sequences.checks import photos_can_be_resolved
from mtp.sequences.models import Sequence

# A worker goes round its loop every few minutes at most: one not seen for this long is not
# running.
WORKER_SILENT_SECONDS = 600


@dataclass(frozen=True)
class Step:
    label: str
    done: bool
    detail: str
    link: str = ""


def staff_checklist() -> list[Step]:
    """The instance's set-up, as its staff should see it on the front page until it is done."""
    photo_warnings = photos_can_be_resolved(None)
    seen = worker_seen_seconds_ago()
    worker_running = seen is not None and seen < WORKER_SILENT_SECONDS
    mail_warnings = email_is_sent(None)
    has_sequence = Sequence.objects.published().exists()
    return [
        Step(
            "Mapillary application token",
            not photo_warnings,
            "Set: photos imported from Mapillary show."
            if not photo_warnings
            else f"{photo_warnings[0].msg} {photo_warnings[0].hint}",
        ),
        Step(
            "Job worker",
            worker_running,
            f"Running (last seen {int(seen)} s ago)."
            if worker_running and seen is not None
            else "No worker seen in the last 10 minutes: imports, uploads and webhooks wait."
            " `mtp serve` runs one; else run `mtp worker`.",
        ),
        Step(
            "E-mail",
            not mail_warnings,
            f"Sent through {settings.EMAIL_HOST}."
            if not mail_warnings
            else f"{mail_warnings[0].msg} {mail_warnings[0].hint}",
        ),
        Step(
            "First sequence",
            has_sequence,
            "Published: it shows on the map."
            if has_sequence
            else "Upload photos or import a sequence from Mapillary to see the site working.",
            reverse("web:upload"),
        ),
    ]


def first_steps() -> list[Step]:
    """Where a new account starts (shown on Explore until they have a sequence)."""
    return [
        Step(
            "Upload photos",
            False,
            "A folder from your camera or phone: each photo's place and time come from the file.",
            reverse("web:upload"),
        ),
        Step(
            "Import from Mapillary",
            False,
            "Sequences you already shared on Mapillary, with their photos.",
            reverse("web:import-new"),
        ),
        Step(
            "Join a challenge",
            False,
            "Capture a place in a given time, with others.",
            reverse("web:challenges"),
        ),
    ]
