"""The data model's rules hold in the database itself, not only in forms."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from mtp.imports.models import ImportJob
from mtp.sequences.models import (
    DESCRIPTION_MAX_LENGTH,
    TAG_MAX_LENGTH,
    CameraMake,
    CameraModel,
    Image,
    Sequence,
    Tag,
    TransportType,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def walk() -> TransportType:
    return TransportType.objects.get(name="Walk")


@pytest.fixture
def sequence(owner, walk) -> Sequence:
    return Sequence.objects.create(owner=owner, name="Morning walk", transport_type=walk)


def refused_by_the_database():
    """Context: the statement inside must be refused by a constraint."""
    return pytest.raises((IntegrityError, DataError))


def test_a_new_sequence_is_a_private_draft_with_a_public_uuid(sequence):
    assert sequence.status == Sequence.Status.DRAFT
    assert not sequence.is_public
    assert len(str(sequence.unique_id)) == 36


def test_an_empty_name_is_refused_by_the_database(owner, walk):
    with refused_by_the_database(), transaction.atomic():
        Sequence.objects.create(owner=owner, name="", transport_type=walk)


def test_a_name_over_100_characters_is_refused_by_the_database(owner, walk):
    with refused_by_the_database(), transaction.atomic():
        Sequence.objects.create(owner=owner, name="x" * 101, transport_type=walk)


def test_an_unknown_status_is_refused_by_the_database(sequence):
    with refused_by_the_database(), transaction.atomic():
        Sequence.objects.filter(pk=sequence.pk).update(status="deleted")


def test_a_published_sequence_must_have_a_publication_date(sequence):
    with refused_by_the_database(), transaction.atomic():
        Sequence.objects.filter(pk=sequence.pk).update(status="published")
    Sequence.objects.filter(pk=sequence.pk).update(status="published", published_at=timezone.now())


def test_capture_end_cannot_come_before_capture_start(sequence):
    start = datetime(2024, 5, 1, 10, tzinfo=UTC)
    with refused_by_the_database(), transaction.atomic():
        Sequence.objects.filter(pk=sequence.pk).update(
            captured_at_start=start, captured_at_end=start - timedelta(seconds=1)
        )


def test_a_mapillary_key_belongs_to_one_sequence_only(owner, walk, sequence):
    Sequence.objects.filter(pk=sequence.pk).update(mapillary_sequence_key="7nfcwfvjdtphz7yj6zat6a")
    other = Sequence.objects.create(owner=owner, name="Other", transport_type=walk)
    with refused_by_the_database(), transaction.atomic():
        Sequence.objects.filter(pk=other.pk).update(mapillary_sequence_key="7nfcwfvjdtphz7yj6zat6a")


def test_many_drafts_may_have_no_mapillary_key(owner, walk):
    for index in range(3):
        Sequence.objects.create(owner=owner, name=f"Draft {index}", transport_type=walk)
    assert Sequence.objects.filter(mapillary_sequence_key=None).count() == 3


def test_validation_refuses_a_parent_transport_type_and_blank_names(owner):
    earth = TransportType.objects.get(name="Earth")
    with pytest.raises(ValidationError) as raised:
        Sequence(owner=owner, name="   ", transport_type=earth).full_clean()
    assert "name" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        Sequence(owner=owner, name="Ride", transport_type=earth).full_clean()
    assert "transport_type" in raised.value.message_dict


def test_validation_refuses_a_description_over_the_limit(owner, walk):
    long = "x" * (DESCRIPTION_MAX_LENGTH + 1)
    with pytest.raises(ValidationError) as raised:
        Sequence(owner=owner, name="Long", description=long, transport_type=walk).full_clean()
    assert "description" in raised.value.message_dict


def test_validation_stores_links_in_their_one_form(owner, walk):
    """The admin saves through this: it stores links as the API and the website do."""
    sequence = Sequence(
        owner=owner,
        name="Ride",
        transport_type=walk,
        strava=" https://www.strava.com/activities/0042/overview ",
        google_street_view="https://maps.app.goo.gl/abc",
    )
    sequence.full_clean()
    assert (sequence.strava, sequence.google_street_view) == ("42", "https://maps.app.goo.gl/abc")
    assert sequence.strava_url == "https://www.strava.com/activities/42"


def test_validation_refuses_a_strava_value_that_names_no_activity(owner, walk):
    sequence = Sequence(owner=owner, name="Ride", transport_type=walk, strava="my ride")
    with pytest.raises(ValidationError) as raised:
        sequence.full_clean()
    assert list(raised.value.message_dict) == ["strava"]


def test_set_route_computes_box_distance_and_capture_times(sequence):
    points = [(-3.19, 55.95), (-3.18, 55.95), (-3.18, 55.96)]
    times = [datetime(2024, 5, 1, 10, minute, tzinfo=UTC) for minute in (0, 5, 9)]
    sequence.set_route(points, times)
    sequence.save()
    sequence.refresh_from_db()
    assert sequence.geometry.num_points == 3
    assert (sequence.bbox_west, sequence.bbox_south, sequence.bbox_east, sequence.bbox_north) == (
        -3.19,
        55.95,
        -3.18,
        55.96,
    )
    assert 1700 < sequence.distance_m < 1800
    assert (sequence.captured_at_start, sequence.captured_at_end) == (times[0], times[2])


def test_set_route_with_one_point_has_a_box_but_no_line(sequence):
    sequence.set_route([(1.0, 2.0)], [None])
    assert sequence.geometry is None
    assert (sequence.bbox_west, sequence.bbox_north) == (1.0, 2.0)
    assert sequence.distance_m == 0
    assert sequence.captured_at_start is None


@pytest.mark.parametrize(
    "name", ["Walk", "two words", "ünï", "", "x" * (TAG_MAX_LENGTH + 1), "under_score"]
)
def test_tags_outside_the_lowercase_alphabet_are_refused_by_the_database(name):
    with refused_by_the_database(), transaction.atomic():
        Tag.objects.create(name=name)


def test_tag_validation_explains_the_alphabet():
    with pytest.raises(ValidationError, match="lowercase letters, digits and hyphens"):
        Tag(name="Bad Tag").full_clean()
    Tag(name="river-walk-2024").full_clean()


def test_tags_are_unique(sequence):
    Tag.objects.create(name="coast")
    with refused_by_the_database(), transaction.atomic():
        Tag.objects.create(name="coast")


def test_camera_models_are_unique_within_their_make():
    gopro = CameraMake.objects.create(name="GoPro")
    insta = CameraMake.objects.create(name="Insta360")
    CameraModel.objects.create(make=gopro, name="MAX")
    CameraModel.objects.create(make=insta, name="MAX")
    with refused_by_the_database(), transaction.atomic():
        CameraModel.objects.create(make=gopro, name="MAX")
    with refused_by_the_database(), transaction.atomic():
        CameraMake.objects.create(name="GoPro")


def make_image(sequence, key: str, position: int, **fields) -> Image:
    return Image.objects.create(
        sequence=sequence,
        mapillary_key=key,
        position=position,
        point=Point(1.0, 2.0, srid=4326),
        **fields,
    )


def test_an_image_key_is_stored_once(sequence):
    make_image(sequence, "104214208486349", 0)
    with refused_by_the_database(), transaction.atomic():
        make_image(sequence, "104214208486349", 1)


def test_a_compass_angle_outside_0_to_360_is_refused_by_the_database(sequence):
    with refused_by_the_database(), transaction.atomic():
        make_image(sequence, "1", 0, compass_angle=361)
    with refused_by_the_database(), transaction.atomic():
        make_image(sequence, "2", 0, compass_angle=-0.5)


def test_deleting_a_sequence_deletes_its_images(sequence):
    make_image(sequence, "1", 0)
    make_image(sequence, "2", 1)
    sequence.delete()
    assert Image.objects.count() == 0


def test_only_one_import_job_per_sequence_is_active_at_a_time(sequence):
    ImportJob.objects.create(sequence=sequence, mapillary_sequence_key="abc")
    with refused_by_the_database(), transaction.atomic():
        ImportJob.objects.create(sequence=sequence, mapillary_sequence_key="abc", status="running")
    ImportJob.objects.filter(sequence=sequence).update(status="succeeded")
    ImportJob.objects.create(sequence=sequence, mapillary_sequence_key="abc")


def test_a_finished_import_job_cannot_keep_a_token(sequence):
    job = ImportJob.objects.create(
        sequence=sequence, mapillary_sequence_key="abc", token_ciphertext="gAAAA"
    )
    with refused_by_the_database(), transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(status="failed")
    ImportJob.objects.filter(pk=job.pk).update(status="failed", token_ciphertext="")
