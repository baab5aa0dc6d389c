"""``mtp worker``: runs imports; real worker processes killed mid-import, and several at once."""

import os
import signal

import pytest
from django.core.management import call_command

from mtp.imports.models import ImportJob
from mtp.sequences.models import Image, Sequence
from testing.builders import start_import
from testing.fake_mapillary import OWNER, RECORDED_SEQUENCE
from testing.workers import job_row, start_worker, stop, wait_for, worker_env


# The worker closes connections it finds in a transaction, so these tests commit for real.
@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_a_queued_import_to_the_end(fake_mapillary, draft):
    job = start_import(draft, RECORDED_SEQUENCE)
    call_command("worker", "--batch", "--interval", "0")
    job.refresh_from_db()
    draft.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED, job.last_error
    assert draft.status == Sequence.Status.PUBLISHED and draft.image_count == 8
    assert (job.attempts, job.lease_owner, job.lease_expires_at) == (1, "", None)


@pytest.mark.django_db(transaction=True)
def test_the_worker_records_a_failed_import_on_its_job_without_the_token(
    fake_mapillary, draft, caplog
):
    fake_mapillary.inject("invalid_token", "/image_ids")
    job = start_import(draft, RECORDED_SEQUENCE)
    with caplog.at_level("DEBUG"):
        call_command("worker", "--batch", "--interval", "0")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.last_error
    assert job.token_ciphertext == ""
    assert OWNER.token not in job.last_error + job.note + caplog.text


# -- real worker processes ------------------------------------------------------------------


def final_state(sequence_id: int) -> dict:
    """Everything an import writes, without row ids."""
    sequence = Sequence.objects.get(pk=sequence_id)
    images = [
        (image.mapillary_key, image.position, image.point.coords, image.captured_at)
        + (image.compass_angle, image.is_pano, image.width, image.height, image.altitude)
        # Mapillary's links are signed afresh on every request: whether there is one.
        + (image.camera_make_id, image.camera_model_id, bool(image.thumb_1024_url))
        for image in Image.objects.filter(sequence=sequence).order_by("position")
    ]
    return {
        "status": sequence.status,
        "key": sequence.mapillary_sequence_key,
        "route": sequence.geometry.coords,  # type: ignore[union-attr]
        "bbox": (sequence.bbox_west, sequence.bbox_south, sequence.bbox_east, sequence.bbox_north),
        "distance": sequence.distance_m,
        "captured": (sequence.captured_at_start, sequence.captured_at_end),
        "count": sequence.image_count,
        "pano": sequence.is_pano,
        "camera": (sequence.camera_make_id, sequence.camera_model_id),
        "images": images,
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kill_at", [(0.0,), (0.3,), (0.25, 0.6)], ids=lambda k: f"kill-at-{k}")
def test_a_worker_killed_mid_import_leaves_the_job_to_another_that_ends_as_if_uninterrupted(
    fake_mapillary, draft, walk, tmp_path, kill_at
):
    total = 2000
    fake_mapillary.add_sequence("crashtest", total)
    fake_mapillary.latency = 0.03
    job = start_import(draft, "crashtest")
    env = worker_env(fake_mapillary)
    log = tmp_path / "workers.log"

    for fraction in kill_at:
        worker = start_worker(env, log)
        try:
            # Wait until the job runs and has stored at least ``fraction`` of its images.
            wait_for(
                lambda fraction=fraction: (
                    (row := job_row(job.pk)).status == "running"
                    and row.progress_total == total
                    and row.progress_done >= fraction * total
                ),
                timeout=90,
                what=f"the import to pass {fraction:.0%}",
                log=log,
            )
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        row = job_row(job.pk)
        assert row.status == "running" and row.progress_done < total
        assert Sequence.objects.get(pk=draft.pk).status == Sequence.Status.IMPORTING

    partial = Image.objects.filter(sequence=draft).count()
    assert partial < total
    worker = start_worker(env, log)
    try:
        wait_for(
            lambda: job_row(job.pk).status in ("succeeded", "failed"),
            timeout=120,
            what="another worker to finish the import",
            log=log,
        )
    finally:
        stop(worker)
    finished = job_row(job.pk)
    assert finished.status == "succeeded", finished.error
    assert finished.attempts == len(kill_at) + 1
    assert finished.token_ciphertext == ""
    assert Image.objects.count() == total
    assert Image.objects.values("mapillary_key").distinct().count() == total
    after_crashes = final_state(draft.pk)

    # The same import, uninterrupted, into a fresh sequence.
    Sequence.objects.filter(pk=draft.pk).delete()
    fresh = Sequence.objects.create(owner=draft.owner, name="Fresh", transport_type=walk)
    clean = start_import(fresh, "crashtest")
    assert ImportJob.run_one(clean.pk) == "succeeded"
    assert final_state(fresh.pk) == after_crashes


@pytest.mark.django_db(transaction=True)
def test_several_workers_at_once_never_run_the_same_job_twice(fake_mapillary, draft, tmp_path):
    fake_mapillary.add_sequence("popular", 600)
    fake_mapillary.latency = 0.02
    env = worker_env(fake_mapillary, MTP_JOB_LEASE_SECONDS="30")
    log = tmp_path / "workers.log"
    # Three workers polling when the job comes: all of them see it due at once.
    workers = [start_worker(env, log) for _ in range(3)]
    try:
        job = start_import(draft, "popular")
        wait_for(
            lambda: job_row(job.pk).status == "succeeded",
            timeout=120,
            what="the import to finish",
            log=log,
        )
    finally:
        for worker in workers:
            stop(worker)
    # Any other claim would have counted an attempt.
    assert job_row(job.pk).attempts == 1
    assert fake_mapillary.count("/image_ids") == 1
    assert fake_mapillary.count("/images") == 600 // 50
    assert log.read_text().count(f"import {job.pk}: started") == 1
    assert Image.objects.count() == 600
