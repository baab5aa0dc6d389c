"""``mtp worker``'s options: which queues it takes jobs from.

What the worker does with the jobs is tested with each kind: imports in
mtp/imports/tests/test_worker.py (real worker processes, killed too), webhooks in
mtp/webhooks/tests/test_import_to_webhook.py, kept photos in mtp/imports/tests/test_keep_photos.py.
"""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mtp.ops.management.commands.worker import queue_names


@pytest.mark.parametrize("queues", ["mail", "imports,mail"])
def test_an_unknown_queue_stops_the_worker_with_the_names(queues):
    with pytest.raises(CommandError, match="choose from imports, webhooks, photos"):
        call_command("worker", "--batch", "--queues", queues)


@pytest.mark.parametrize(
    ("queues", "taken"),
    [
        ("all", ["imports", "webhooks", "photos", "uploads", "transfers"]),
        ("", ["imports", "webhooks", "photos", "uploads", "transfers"]),
        (" imports ", ["imports"]),
        ("imports,webhooks", ["imports", "webhooks"]),
        ("photos", ["photos"]),
    ],
)
def test_the_queues_a_worker_takes(queues, taken):
    assert queue_names(queues) == taken


# The worker closes connections it finds in a transaction, so this test commits for real.
@pytest.mark.django_db(transaction=True)
def test_a_worker_with_nothing_due_in_batch_mode_ends_at_once():
    call_command("worker", "--batch", "--interval", "0")
