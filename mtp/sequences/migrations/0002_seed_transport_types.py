"""Seed the two-level transport types (5 parents, 38 children) from data/transport-types.json."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "transport-types.json"


def seed(apps, schema_editor):
    TransportType = apps.get_model("sequences", "TransportType")
    for group in json.loads(DATA.read_text()):
        parent, _ = TransportType.objects.get_or_create(name=group["name"], parent=None)
        for child in group["children"]:
            TransportType.objects.get_or_create(name=child, defaults={"parent": parent})


def unseed(apps, schema_editor):
    TransportType = apps.get_model("sequences", "TransportType")
    TransportType.objects.exclude(parent=None).delete()
    TransportType.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("sequences", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
