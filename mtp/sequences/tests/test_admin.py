import pytest
from django.contrib.gis.geos import Point

from mtp.accounts.models import User
from mtp.imports.models import ImportJob
from mtp.sequences.models import Image, Sequence, TransportType

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_superuser("admin", "admin@example.org", "an admin passphrase")
    client.force_login(admin)
    return client


def test_the_admin_lists_all_43_seeded_transport_types(admin_client):
    response = admin_client.get("/admin/sequences/transporttype/")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 43
    assert "Paddleboard" in response.content.decode()


def test_every_model_has_working_admin_pages(admin_client, owner):
    sequence = Sequence.objects.create(
        owner=owner, name="Walk", transport_type=TransportType.objects.get(name="Walk")
    )
    image = Image.objects.create(
        sequence=sequence, mapillary_key="1", position=0, point=Point(1, 2, srid=4326)
    )
    job = ImportJob.objects.create(sequence=sequence, mapillary_sequence_key="k")
    for url in (
        "/admin/sequences/sequence/",
        f"/admin/sequences/sequence/{sequence.pk}/change/",
        f"/admin/sequences/image/{image.pk}/change/",
        "/admin/sequences/tag/",
        "/admin/sequences/cameramake/",
        "/admin/sequences/cameramodel/",
        f"/admin/imports/importjob/{job.pk}/change/",
        "/admin/accounts/user/",
    ):
        assert admin_client.get(url).status_code == 200, url


def test_the_admin_never_shows_an_import_jobs_encrypted_token(admin_client, owner):
    sequence = Sequence.objects.create(
        owner=owner, name="Walk", transport_type=TransportType.objects.get(name="Walk")
    )
    job = ImportJob.objects.create(
        sequence=sequence, mapillary_sequence_key="k", token_ciphertext="gAAAAciphertext"
    )
    page = admin_client.get(f"/admin/imports/importjob/{job.pk}/change/").content.decode()
    assert "gAAAAciphertext" not in page
    assert "token_ciphertext" not in page
