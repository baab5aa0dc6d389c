"""Imports through faults: Mapillary down for a while, the database full, the database gone for
a while, a worker killed while it holds a job."""

import os
import signal
import threading

import pytest
from django.conf import settings
from django.db import connection

from mtp.imports.importer import STORAGE_FULL
from mtp.imports.models import ImportJob
from mtp.mapillary import client
from mtp.sequences.models import Image, Sequence
from testing.builders import start_import
from testing.fake_mapillary import FakeMapillary
from testing.faults import postgres_gone, sqlite_full
from testing.workers import job_row, start_worker, stop, wait_for, worker_env


def shortest_total_wait(retries: int, base: float) -> float:
    """The least time a request's retries wait in all: every jitter at its low end."""
    uniform = client.random.uniform
    client.random.uniform = lambda low, high: low  # type: ignore[assignment]
    try:
        return sum(client.backoff_seconds(attempt, base) for attempt in range(retries))
    finally:
        client.random.uniform = uniform


# -- Mapillary down ----------------------------------------------------------------------------


def test_by_default_an_import_waits_out_more_than_two_minutes_of_mapillary_down():
    # The settings as configured (the fake_mapillary fixture, not used here, shortens them).
    assert shortest_total_wait(settings.MAPILLARY_RETRIES, settings.MAPILLARY_BACKOFF) > 120


# The outage below lasts half the least time an import waits with this test's backoff: the same
# proportion as a one-minute outage to the two minutes or more of the defaults (above), 24 times
# faster (the waits double from 0.01 s instead of 0.5 s, staying under the one-minute cap).
TEST_BACKOFF = 0.01


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["refusing connections", "answering 500"])
def test_an_import_waits_while_mapillary_is_down_then_finishes(
    fake_mapillary, draft, settings, how
):
    settings.MAPILLARY_BACKOFF = TEST_BACKOFF
    settings.MAPILLARY_BATCH_SIZE = 50
    # Shorter than the outage: the heartbeat must keep the lease while the import waits.
    settings.JOB_LEASE_SECONDS = 2
    outage = shortest_total_wait(settings.MAPILLARY_RETRIES, TEST_BACKOFF) / 2
    fake_mapillary.add_sequence("outage", 300)
    job = start_import(draft, "outage")
    waits = []
    wait = client._wait

    def counted_wait(seconds, cancel):
        waits.append(seconds)
        wait(seconds, cancel)

    back: list[FakeMapillary] = []
    if how == "refusing connections":
        fake_mapillary.stop()

        def come_back() -> None:
            back.append(FakeMapillary(fake_mapillary.port).start())
            back[0].add_sequence("outage", 300)
    else:
        fault = fake_mapillary.inject("server_error", "/", times=None)
        come_back = fake_mapillary.clear_faults
    timer = threading.Timer(outage, come_back)
    client._wait = counted_wait
    timer.start()
    try:
        outcome = ImportJob.run_one(job.pk, "patient-worker")
    finally:
        client._wait = wait
        timer.join()
        for server in back:
            server.stop()
    job.refresh_from_db()
    draft.refresh_from_db()
    assert outcome == "succeeded", job.last_error
    assert (job.status, job.attempts) == (ImportJob.Status.SUCCEEDED, 1)
    assert draft.status == Sequence.Status.PUBLISHED
    assert draft.image_count == Image.objects.filter(sequence=draft).count() == 300
    # It did meet the outage, and waited it out retrying.
    assert len(waits) >= 3
    if how == "answering 500":
        assert fault.fired >= 3


# -- the database full -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_import_that_fills_the_sqlite_database_fails_saying_so_and_keeps_nothing(
    fake_mapillary, draft, settings
):
    if connection.vendor != "sqlite":
        pytest.skip("the database is filled through SQLite's max_page_count")
    settings.MAPILLARY_BATCH_SIZE = 100
    # About a megabyte of images, where only a few pages are left.
    fake_mapillary.add_sequence("too-big", 3000)
    job = start_import(draft, "too-big")
    with sqlite_full(spare_pages=8):
        outcome = ImportJob.run_one(job.pk)
    job.refresh_from_db()
    draft.refresh_from_db()
    assert outcome == "failed"
    assert job.status == ImportJob.Status.FAILED
    assert job.last_error == STORAGE_FULL
    assert job.token_ciphertext == ""
    assert Image.objects.filter(sequence=draft).count() == 0
    assert draft.status == Sequence.Status.FAILED
    assert draft.mapillary_sequence_key is None

    # With room again, the same import goes through.
    again = start_import(draft, "too-big")
    assert ImportJob.run_one(again.pk) == "succeeded"
    assert Image.objects.filter(sequence=draft).count() == 3000


# -- the database gone for a while -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_workers_outlive_the_database_going_away_mid_import_which_then_succeeds(
    fake_mapillary, draft, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite is a file, not a server that can go away and come back")
    total = 1500
    fake_mapillary.add_sequence("interrupted", total)
    fake_mapillary.latency = 0.05
    # A lease longer than the outage: the worker gives the job back itself once the database
    # answers again, rather than leaving it to recovery.
    env = worker_env(fake_mapillary, MTP_JOB_LEASE_SECONDS="10")
    log = tmp_path / "workers.log"
    workers = [start_worker(env, log) for _ in range(2)]
    try:
        job = start_import(draft, "interrupted")
        wait_for(
            lambda: (
                (row := job_row(job.pk)).status == "running" and row.progress_done >= 0.3 * total
            ),
            timeout=90,
            what="the import to pass 30%",
            log=log,
        )
        postgres_gone(seconds=3)
        wait_for(
            lambda: job_row(job.pk).status in ("succeeded", "failed"),
            timeout=120,
            what="the import to end",
            log=log,
        )
        alive = [worker.poll() is None for worker in workers]
    finally:
        for worker in workers:
            stop(worker)
    finished = job_row(job.pk)
    text = log.read_text()
    assert alive == [True, True], text[-3000:]
    assert finished.status == "succeeded", finished.error
    assert finished.attempts == 2
    assert Image.objects.filter(sequence=draft).count() == total
    assert f"import {job.pk}: the database failed" in text
    assert "giving the job back" in text


# -- a worker killed holding a job -------------------------------------------------------------
# mtp/imports/tests/test_worker.py kills the only worker at several points of an import and
# starts another. Here a second worker is already running: it takes the job over on its own
# once the lease of the killed one runs out.


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_holding_a_job_leaves_it_to_the_worker_already_running(
    fake_mapillary, draft, tmp_path
):
    total = 1500
    fake_mapillary.add_sequence("handover", total)
    fake_mapillary.latency = 0.03
    env = worker_env(fake_mapillary)
    log = tmp_path / "workers.log"
    workers = [start_worker(env, log) for _ in range(2)]
    try:
        job = start_import(draft, "handover")
        row = wait_for(
            lambda: (
                (found := job_row(job.pk)).status == "running"
                and found.progress_done >= 0.3 * total
                and found
            ),
            timeout=90,
            what="the import to pass 30%",
            log=log,
        )
        # The lease names the worker's process: host:pid:random.
        holder = next(w for w in workers if w.pid == int(row.lease_owner.split(":")[1]))
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
        survivor = next(w for w in workers if w is not holder)
        wait_for(
            lambda: job_row(job.pk).status in ("succeeded", "failed"),
            timeout=120,
            what="the other worker to finish the import",
            log=log,
        )
        assert survivor.poll() is None
    finally:
        for worker in workers:
            stop(worker)
    finished = job_row(job.pk)
    assert finished.status == "succeeded", finished.error
    assert finished.attempts == 2
    assert Image.objects.filter(sequence=draft).count() == total
    taken_over = [line for line in log.read_text().splitlines() if "started (attempt 2) by" in line]
    assert len(taken_over) == 1 and f":{survivor.pid}:" in taken_over[0]
