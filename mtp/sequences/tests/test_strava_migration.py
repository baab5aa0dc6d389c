"""Migration 0010 stores every Strava value as its activity id, whoever wrote it."""

import importlib
import logging
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from mtp.sequences.models import Sequence, TransportType

migration = importlib.import_module("mtp.sequences.migrations.0010_strava_normal_form")

BEFORE = ("sequences", "0009_published_totals_index")
AFTER = ("sequences", "0010_strava_normal_form")

# What the website's form used to store (what was typed), and what each becomes.
TYPED = {
    "1234567890": "1234567890",
    " 77 ": "77",
    "https://www.strava.com/activities/42": "42",
    "https://strava.com/activities/43/overview": "43",
    "http://www.strava.com/activities/44?share_sig=AB12": "44",
    "www.strava.com/activities/45#comments": "45",
    "https://www.strava.com/athletes/46": "",
    "javascript:alert(1)": "",
    "my ride": "",
    "": "",
}


def sequences_with(owner, values) -> dict[str, Sequence]:
    walk = TransportType.objects.get(name="Walk")
    return {
        value: Sequence.objects.create(
            owner=owner, name=f"Ride {n}", transport_type=walk, strava=value
        )
        for n, value in enumerate(values)
    }


def stored(sequences: dict[str, Sequence]) -> dict[str, str]:
    return {value: Sequence.objects.get(pk=row.pk).strava for value, row in sequences.items()}


@pytest.mark.django_db
def test_each_value_becomes_its_activity_id_and_one_that_names_none_is_cleared(owner, caplog):
    sequences = sequences_with(owner, TYPED)
    updated_at = {row.pk: row.updated_at for row in sequences.values()}
    with caplog.at_level(logging.WARNING, logger="mtp.sequences.migrations"):
        migration.normalise(apps, SimpleNamespace(connection=connection))
    assert stored(sequences) == TYPED
    # The sequences were not changed by their owners: updated_at stays.
    assert {row.pk: row.updated_at for row in Sequence.objects.all()} == updated_at
    cleared = [record.getMessage() for record in caplog.records]
    assert len(cleared) == 3
    athlete = sequences["https://www.strava.com/athletes/46"]
    assert f"Sequence {athlete.unique_id}: Strava value " in cleared[0]
    assert "'https://www.strava.com/athletes/46' names no activity; cleared." in cleared[0]


@pytest.mark.django_db
def test_running_it_again_changes_nothing(owner, caplog):
    sequences = sequences_with(owner, TYPED)
    migration.normalise(apps, SimpleNamespace(connection=connection))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="mtp.sequences.migrations"):
        migration.normalise(apps, SimpleNamespace(connection=connection))
    assert stored(sequences) == TYPED
    assert caplog.records == []


@pytest.mark.django_db(transaction=True)
def test_migrating_from_0009_normalises_the_rows_already_there(seeded, owner):
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        # The rows as the models were at 0009: later migrations add columns.
        old = executor.loader.project_state([BEFORE]).apps
        walk = old.get_model("sequences", "TransportType").objects.get(name="Walk")
        old_sequence = old.get_model("sequences", "Sequence")
        ids = {
            value: old_sequence.objects.create(
                owner_id=owner.pk, name=f"Ride {n}", transport_type=walk, strava=value
            ).pk
            for n, value in enumerate(TYPED)
        }
        MigrationExecutor(connection).migrate([AFTER])
        rows = Sequence.objects.filter(pk__in=ids.values()).values_list("pk", "strava")
        stored_now = dict(rows)
        assert {value: stored_now[pk] for value, pk in ids.items()} == TYPED
    finally:
        # Every app back at its latest migration, for the tests that come after.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
