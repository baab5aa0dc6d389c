import json
from pathlib import Path

import pytest
from django.db import IntegrityError

from mtp.sequences.models import TransportType

DATA = Path(__file__).resolve().parents[1] / "data" / "transport-types.json"


@pytest.mark.django_db
def test_the_migration_seeds_five_parents_and_thirty_eight_children():
    assert TransportType.objects.filter(parent=None).count() == 5
    assert TransportType.objects.exclude(parent=None).count() == 38


@pytest.mark.django_db
def test_every_child_sits_under_the_parent_the_data_file_names():
    for group in json.loads(DATA.read_text()):
        children = TransportType.objects.filter(parent__name=group["name"]).values_list(
            "name", flat=True
        )
        assert sorted(children) == sorted(group["children"])


@pytest.mark.django_db
def test_names_are_unique_regardless_of_case():
    with pytest.raises(IntegrityError):
        TransportType.objects.create(name="walk", parent=TransportType.objects.get(name="Earth"))
