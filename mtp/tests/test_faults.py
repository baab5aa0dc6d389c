"""The API when the database is full: a clear error, and nothing half-written.

A database that stops answering is covered by mtp/lib/tests/test_dbavailability.py (every
page and API call) and bench/load (a real PostgreSQL restart under load); imports through
faults by mtp/imports/tests/test_faults.py.
"""

import pytest
from django.db import connection

from mtp.lib.dbavailability import FULL
from mtp.sequences.models import Sequence, clear_transport_types_cache
from mtp.sequences.tags import forget_tag_ids
from testing.builders import bearer
from testing.faults import sqlite_full

CREATE = "/api/v1/sequence/create/"
# As large as a create gets: each one takes a good part of a page.
BODY = {
    "name": "Morning walk",
    "description": "Along the river. " * 290,
    "transport_type": "Walk",
    "tag": "river,morning",
}


@pytest.mark.django_db(transaction=True)
def test_creates_that_find_the_sqlite_database_full_are_a_507_and_leave_nothing_behind(
    client, seeded, owner_token
):
    if connection.vendor != "sqlite":
        pytest.skip("the database is filled through SQLite's max_page_count")
    # Rows remembered by this process belong to databases emptied by earlier tests.
    clear_transport_types_cache()
    forget_tag_ids()
    statuses = []
    # Room for a few creates, then none.
    with sqlite_full(spare_pages=6):
        for _ in range(300):
            response = client.post(CREATE, BODY, **bearer(owner_token))
            statuses.append(response.status_code)
            if response.status_code != 201:
                break
    assert statuses[-1] == 507, statuses
    assert set(statuses[:-1]) == {201}
    assert response.json() == {"error": FULL, "status": False, "detail": {}}
    created = statuses.count(201)
    # Every sequence answered 201 is stored with both its tags; the refused one not at all.
    assert Sequence.objects.count() == created
    assert Sequence.tags.through.objects.count() == 2 * created

    # Once there is room again, the same request goes through.
    assert client.post(CREATE, BODY, **bearer(owner_token)).status_code == 201
