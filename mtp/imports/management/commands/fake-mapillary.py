"""``mtp fake-mapillary``: serve the Mapillary stand-in on 127.0.0.1, for offline demos."""

import signal

from django.core.management.base import BaseCommand

from testing.fake_mapillary.cli import add_arguments, run


class Command(BaseCommand):
    help = "Serve a local stand-in for the Mapillary Graph API v4 (offline demos and tests)."

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, **options):
        # Stop cleanly on SIGTERM as on Ctrl+C.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        run(_Options(**options))


class _Options:
    def __init__(self, **values):
        self.__dict__.update(values)
