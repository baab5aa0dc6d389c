"""The Upload photos page in a real browser: photos dropped on it become sequences.

Olivia closed the page halfway through an upload (two photos of her walk were sent), opens
it again and drops the whole folder: three photos of a walk with their GPS EXIF and one
without a position. Only what the server does not hold is sent; the photo without a position
is refused with its reason; a real ``mtp worker`` makes the sequence, which the page links.
Screenshots at 1366x900 and 390x844 go to ``test-output/browser/test_upload_page/``.
"""

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect

from mtp.sequences.models import Sequence
from mtp.uploads import actions
from mtp.uploads.actions import SetParameters
from mtp.uploads.models import UploadFile, UploadSet
from testing import builders
from testing.photos import camera_photo, walk, write_folder
from testing.processes import fresh_instance_env, mtp_command
from testing.workers import database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# Generous: the machine may be busy with other work; each wait ends as soon as it can.
WAIT_MS = 30_000


def run_worker(log_path: Path) -> None:
    """Process the completed upload set with a real ``mtp worker`` on the test database."""
    env = fresh_instance_env(
        settings.DATA_DIR, DATABASE_URL=database_url(), SECRET_KEY=settings.SECRET_KEY
    )
    with log_path.open("wb") as log:
        finished = subprocess.run(
            mtp_command("worker", "--batch", "--interval", "0"),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=180,
            check=False,
        )
    assert finished.returncode == 0, log_path.read_text()[-3000:]


def read(query):
    """``query()`` run in a thread of its own: the test's thread runs the browser's event loop,
    where Django refuses database calls."""

    def run():
        try:
            return query()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def media(settings, tmp_path) -> None:
    # Where the site stores the originals is where the worker reads them.
    settings.MEDIA_ROOT = Path(settings.DATA_DIR) / "media"


@pytest.fixture
def olivia(seeded, media):
    return builders.persona("olivia")


@pytest.fixture
def folder(tmp_path) -> tuple[list[Path], Path]:
    """Three photos of a walk with their GPS EXIF, and one without a position."""
    photos = write_folder(tmp_path / "DCIM", walk(3))
    no_position = tmp_path / "DCIM" / "NOGPS_0001.jpg"
    no_position.write_bytes(camera_photo(lon=None, lat=None))
    return photos, no_position


@pytest.fixture
def unfinished(olivia, folder) -> UploadSet:
    """The page was closed after two photos were sent: the set is open and holds them."""
    photos, _ = folder
    upload_set = actions.create_upload_set(
        olivia, None, SetParameters(title="Lake walk", metadata={"transport_type": "Walk"})
    )
    for path in photos[:2]:
        actions.add_file(upload_set, path.name, path.read_bytes())
    return upload_set


def sign_in(page, site: str) -> None:
    page.goto(site + "/accounts/login/")
    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill(builders.PERSONAS["olivia"][1])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Upload", exact=True)).to_be_visible()


def test_a_dropped_folder_resumes_is_refused_where_it_must_and_becomes_a_linked_sequence(
    olivia, folder, unfinished, browsing, tmp_path
):
    page, log = browsing
    log.prefix = "resume"
    site = log.base_url
    photos, no_position = folder
    page.set_viewport_size(DESKTOP)
    sign_in(page, site)
    page.goto(site + "/my/")
    page.get_by_role("link", name="Upload photos").click()
    expect(page.get_by_role("heading", name="Upload photos", level=1)).to_be_visible()
    expect(page.locator("#upload-unfinished")).to_contain_text("Lake walk")
    # The unfinished set keeps its title, way of travel and tags.
    expect(page.get_by_label("Title")).to_have_value("Lake walk")
    expect(page.get_by_label("Title")).to_be_disabled()
    expect(page.get_by_label("Way of travel")).to_have_value("Walk")
    dashboard_input = page.locator("#upload-dashboard input[type=file]").first
    dashboard_input.wait_for(state="attached", timeout=WAIT_MS)
    log.check_accessibility(page, "upload page")
    log.screenshot(page, "upload-page")

    sent = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.url)
            if request.method == "POST" and request.url.endswith("/files/")
            else None
        ),
    )
    dashboard_input.set_input_files([*map(str, photos), str(no_position)])
    expect(page.locator("#upload-files tr")).to_have_count(4)
    log.screenshot(page, "files-dropped")
    page.get_by_role("button", name="Upload", exact=True).click()

    rows = page.locator("#upload-files tr")
    refused = rows.filter(has_text="NOGPS_0001.jpg")
    expect(refused).to_contain_text("Refused: The photo has no position", timeout=WAIT_MS)
    expect(page.locator("#upload-summary")).to_contain_text("processing", timeout=WAIT_MS)
    # Only what the server did not hold was sent: the third photo and the refused one.
    assert sorted(sent) == [f"{site}/upload/sets/{unfinished.unique_id}/files/"] * 2
    assert read(lambda: UploadSet.objects.get(pk=unfinished.pk).status) == "completed"
    assert read(lambda: UploadFile.objects.filter(upload_set=unfinished).count()) == 3
    log.screenshot(page, "sent")

    # My sequences shows the set being processed.
    other = page.context.new_page()
    other.set_viewport_size(PHONE)
    other.goto(site + "/my/")
    upload_row = other.locator(f'[data-upload-id="{unfinished.unique_id}"]')
    expect(upload_row).to_contain_text("Processing")
    expect(upload_row).to_contain_text("0 of 3 photos processed")
    log.check_accessibility(other, "my sequences with an upload")
    log.screenshot(other, "my-sequences-processing-phone")

    run_worker(tmp_path / "worker.log")

    link = page.locator("#upload-sequences a")
    expect(link).to_have_text("Lake walk", timeout=WAIT_MS)
    expect(rows.filter(has_text=photos[0].name)).to_contain_text("In a sequence")
    expect(rows.filter(has_text=photos[2].name)).to_contain_text("In a sequence")
    expect(page.locator("#upload-summary")).to_contain_text("done: 3 photos in 1 sequence")
    # The next upload is a new set, which the form describes.
    expect(page.get_by_label("Title")).to_be_enabled()
    expect(page.locator("#upload-unfinished")).to_be_hidden()
    log.check_accessibility(page, "upload done")
    log.screenshot(page, "done", full_page=True)
    page.set_viewport_size(PHONE)
    log.screenshot(page, "done-phone", full_page=True)

    (sequence,) = read(lambda: list(Sequence.objects.filter(owner=olivia)))
    assert sequence.status == Sequence.Status.PUBLISHED
    assert sequence.image_count == 3
    assert read(lambda: sequence.transport_type.name) == "Walk"
    link.click()
    expect(page).to_have_url(re.compile(rf"/sequences/{sequence.unique_id}/$"))

    # Once processed, My sequences no longer lists the upload.
    other.reload()
    expect(other.locator("[data-upload-id]")).to_have_count(0)

    assert log.errors == []
    assert log.violations == []
    assert log.blocked == []
    assert log.inaccessible == {}


def test_a_dropped_folder_makes_a_new_upload_with_the_forms_title_way_of_travel_and_tags(
    olivia, browsing, tmp_path
):
    page, log = browsing
    log.prefix = "new"
    site = log.base_url
    photos = write_folder(tmp_path / "ride", walk(2))

    page.set_viewport_size(PHONE)
    sign_in(page, site)
    page.goto(site + "/upload/")
    expect(page.locator("#upload-unfinished")).to_have_count(0)
    page.get_by_label("Title").fill("Evening ride")
    page.get_by_label("Way of travel").select_option("Bicycle")
    page.get_by_label("Tags").fill("river, autumn")
    # The whole folder, through the Dashboard's "browse folders" input.
    folder_input = page.locator("#upload-dashboard input[type=file][webkitdirectory]")
    folder_input.wait_for(state="attached", timeout=WAIT_MS)
    folder_input.set_input_files(str(photos[0].parent))
    expect(page.locator("#upload-files tr")).to_have_count(2)
    log.screenshot(page, "new-upload-phone", full_page=True)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-summary")).to_contain_text("processing", timeout=WAIT_MS)

    (upload_set,) = read(lambda: list(UploadSet.objects.filter(owner=olivia)))
    assert upload_set.title == "Evening ride"
    assert upload_set.application is None
    assert upload_set.metadata == {"transport_type": "Bicycle"}
    assert upload_set.semantics == [
        {"key": "river", "value": ""},
        {"key": "autumn", "value": ""},
    ]
    assert upload_set.status == UploadSet.Status.COMPLETED
    assert read(lambda: upload_set.files.count()) == 2
    log.check_accessibility(page, "new upload sent")
    assert log.errors == []
    assert log.violations == []
    assert log.inaccessible == {}


def test_a_page_closed_after_a_lost_connection_resumes_sending_only_what_is_missing(
    olivia, browsing, tmp_path
):
    page, log = browsing
    log.prefix = "lost"
    site = log.base_url
    photos = write_folder(tmp_path / "DCIM", walk(3))
    page.set_viewport_size(DESKTOP)
    sign_in(page, site)
    page.goto(site + "/upload/")
    page.get_by_label("Title").fill("Harbour walk")

    # The connection drops whenever the third photo is sent.
    def drop_the_third(route, request) -> None:
        if b"IMG_0003.jpg" in (request.post_data_buffer or b""):
            route.abort()
        else:
            route.fallback()

    page.route("**/files/", drop_the_third)
    dashboard_input = page.locator("#upload-dashboard input[type=file]").first
    dashboard_input.wait_for(state="attached", timeout=WAIT_MS)
    dashboard_input.set_input_files([str(path) for path in photos])
    page.get_by_role("button", name="Upload", exact=True).click()
    rows = page.locator("#upload-files tr")
    expect(rows.filter(has_text="IMG_0003.jpg")).to_contain_text("Not sent", timeout=WAIT_MS)
    expect(rows.filter(has_text="IMG_0001.jpg")).to_contain_text("Sent")
    expect(page.locator("#upload-summary")).to_contain_text("Upload again")
    log.screenshot(page, "connection-lost")
    (upload_set,) = read(lambda: list(UploadSet.objects.filter(owner=olivia)))
    assert upload_set.status == UploadSet.Status.OPEN
    page.close()

    # Back on the page later, the same folder dropped again: only the third photo is sent.
    again = browsing[0].context.new_page()
    again.set_viewport_size(DESKTOP)
    sent = []
    again.on(
        "request",
        lambda request: (
            sent.append(request.post_data_buffer) if request.url.endswith("/files/") else None
        ),
    )
    again.goto(site + "/upload/")
    expect(again.locator("#upload-unfinished")).to_contain_text("Harbour walk")
    dashboard_input = again.locator("#upload-dashboard input[type=file]").first
    dashboard_input.wait_for(state="attached", timeout=WAIT_MS)
    dashboard_input.set_input_files([str(path) for path in photos])
    again.get_by_role("button", name="Upload", exact=True).click()
    expect(again.locator("#upload-summary")).to_contain_text("processing", timeout=WAIT_MS)
    rows = again.locator("#upload-files tr")
    expect(rows.filter(has_text="IMG_0001.jpg")).to_contain_text("Processing")
    assert len(sent) == 1 and b"IMG_0003.jpg" in sent[0]
    expect(again.locator("#upload-summary")).to_contain_text("1 of 3 photos sent · 2 already here")
    log.screenshot(again, "resumed")
    assert read(lambda: UploadSet.objects.get(pk=upload_set.pk).status) == "completed"
    assert read(lambda: upload_set.files.count()) == 3
    assert log.errors == []
    assert log.violations == []


def test_upload_again_on_the_same_page_sends_the_photo_the_connection_lost(
    olivia, browsing, tmp_path
):
    page, log = browsing
    log.prefix = "retry"
    site = log.base_url
    photos = write_folder(tmp_path / "DCIM", walk(2))
    sign_in(page, site)
    page.goto(site + "/upload/")
    page.get_by_label("Title").fill("Quay walk")
    lost = {"IMG_0002.jpg": True}

    def drop_the_second_while_lost(route, request) -> None:
        if lost["IMG_0002.jpg"] and b"IMG_0002.jpg" in (request.post_data_buffer or b""):
            route.abort()
        else:
            route.fallback()

    page.route("**/files/", drop_the_second_while_lost)
    dashboard_input = page.locator("#upload-dashboard input[type=file]").first
    dashboard_input.wait_for(state="attached", timeout=WAIT_MS)
    dashboard_input.set_input_files([str(path) for path in photos])
    upload = page.get_by_role("button", name="Upload", exact=True)
    upload.click()
    rows = page.locator("#upload-files tr")
    expect(rows.filter(has_text="IMG_0002.jpg")).to_contain_text("Not sent", timeout=WAIT_MS)
    expect(upload).to_be_enabled()

    lost["IMG_0002.jpg"] = False
    upload.click()
    expect(page.locator("#upload-summary")).to_contain_text("processing", timeout=WAIT_MS)
    expect(page.locator("#upload-summary")).to_contain_text("2 of 2 photos sent")
    (upload_set,) = read(lambda: list(UploadSet.objects.filter(owner=olivia)))
    assert upload_set.status == UploadSet.Status.COMPLETED
    assert read(lambda: sorted(upload_set.files.values_list("name", flat=True))) == [
        "IMG_0001.jpg",
        "IMG_0002.jpg",
    ]
    assert log.errors == []
