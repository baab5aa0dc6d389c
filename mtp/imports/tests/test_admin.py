"""The admin shows import jobs without ever showing the Mapillary token."""

import pytest

from mtp.imports.jobs import request_import
from mtp.imports.models import ImportJob
from mtp.mapillary.schemas import MapillaryUser
from testing.fake_mapillary import OWNER, RECORDED_SEQUENCE

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(draft) -> ImportJob:
    job, _ = request_import(
        draft,
        mapillary_sequence_key=RECORDED_SEQUENCE,
        token=OWNER.token,
        mapillary_user=MapillaryUser(id=OWNER.id, username=OWNER.username),
    )
    job.refresh_from_db()
    return job


def test_no_admin_page_shows_the_token_or_its_ciphertext(admin_client, job):
    pages = [
        "/admin/imports/importjob/",
        f"/admin/imports/importjob/{job.pk}/change/",
        f"/admin/imports/importjob/?q={RECORDED_SEQUENCE}",
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert OWNER.token not in page, url
        assert job.token_ciphertext not in page, url
        assert "token_ciphertext" not in page, url


def test_the_job_page_shows_progress_and_errors_read_only(admin_client, job):
    ImportJob.objects.filter(pk=job.pk).update(
        status="failed", token_ciphertext="", last_error="Mapillary refused the token."
    )
    page = admin_client.get(f"/admin/imports/importjob/{job.pk}/change/").content.decode()
    assert "Mapillary refused the token." in page
    assert 'name="status"' not in page
    assert admin_client.get("/admin/imports/importjob/add/").status_code == 403
