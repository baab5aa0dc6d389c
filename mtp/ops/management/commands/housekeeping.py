"""``mtp housekeeping``: delete what is no longer needed. Run it daily, on one machine
(deploy/systemd/mtp-housekeeping.timer); it is safe to run at any time, and twice.

- expired sessions;
- expired OAuth grants and tokens, revoked refresh tokens (django-oauth-toolkit's
  ``clear_expired``; tokens that never expire, the default, stay);
- webhook deliveries that ended more than 30 days ago (an application that gets events has
  its old ones deleted as it goes; this reaches the others).
"""

import argparse
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand
from django.utils import timezone
from oauth2_provider.models import clear_expired

from mtp.webhooks.events import HISTORY_DAYS
from mtp.webhooks.models import WebhookDelivery


class Command(BaseCommand):
    help = "Delete expired sessions and tokens, and old webhook deliveries."

    def add_arguments(self, parser):
        # Once the age of finished queue tasks; jobs are rows of their own now, with nothing
        # separate to prune. Still accepted, so that existing timers keep working.
        parser.add_argument("--task-days", type=int, default=14, help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        now = timezone.now()
        sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
        self.report("expired sessions", sessions)

        clear_expired()
        self.stdout.write("expired OAuth grants and tokens: cleared")

        deliveries, _ = (
            WebhookDelivery.objects.filter(created_at__lt=now - timedelta(days=HISTORY_DAYS))
            .exclude(status__in=WebhookDelivery.ACTIVE)
            .delete()
        )
        self.report("old webhook deliveries (with their attempts)", deliveries)

    def report(self, what: str, count: int) -> None:
        self.stdout.write(f"{what}: {count} deleted")
