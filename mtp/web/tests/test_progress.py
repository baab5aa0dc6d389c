"""/my/progress.json: the state of the owner's imports (and upload sets, test_upload_page.py),
for the page to follow them."""

import pytest

from mtp.imports.models import ImportJob
from testing.builders import draft, publish


@pytest.mark.django_db
def test_it_reports_running_imports_with_their_progress(owner_client, owner, other_user):
    mine = draft(owner, "Mine", status="importing")
    ImportJob.objects.create(
        sequence=mine,
        mapillary_sequence_key="k3",
        status="running",
        progress_done=7,
        progress_total=10,
    )
    theirs = draft(other_user, "Theirs", status="importing")
    ImportJob.objects.create(sequence=theirs, mapillary_sequence_key="k4", status="queued")
    response = owner_client.get("/my/progress.json")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert response.json() == {
        "sequences": [
            {
                "id": str(mine.unique_id),
                "status": "importing",
                "image_count": 0,
                "import": {"status": "running", "done": 7, "total": 10, "error": None},
            }
        ],
        "upload_sets": [],
    }


@pytest.mark.django_db
def test_sequences_the_page_asks_about_are_reported_once_they_have_finished(
    owner_client, owner, other_user
):
    finished = publish(owner, "Done", photos=3)
    ImportJob.objects.create(
        sequence=finished,
        mapillary_sequence_key="k5",
        status="succeeded",
        progress_done=3,
        progress_total=3,
    )
    theirs = publish(other_user, "Not yours")
    response = owner_client.get(
        "/my/progress.json", {"id": [str(finished.unique_id), str(theirs.unique_id), "junk"]}
    )
    (item,) = response.json()["sequences"]
    assert item["id"] == str(finished.unique_id)
    assert item["status"] == "published" and item["image_count"] == 3
    assert item["import"]["status"] == "succeeded"


@pytest.mark.django_db
def test_it_needs_a_log_in(client):
    assert client.get("/my/progress.json").status_code == 302
