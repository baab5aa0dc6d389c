"""A guidebook whose scenes mix 360° panoramas and flat photos, in a real browser: the
panorama opens in the reader as it does in the sequence viewer (the same component), the
caption follows the scene, and the scene editor previews a panorama with its points.

Screenshots are kept in ``test-output/browser/test_guidebook_panorama/``.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mtp.guidebooks.models import Guidebook, Poi, Scene
from testing.viewer import photographed

WAIT_MS = 20_000
PASSWORD = "correct horse battery"
PANO_READY = "() => document.querySelector('#scene-frame .pano[data-ready]') !== null"


# Before the browser starts: its event loop makes the database calls of this thread fail.
@pytest.fixture
def guidebook(seeded, owner, fake_mapillary) -> Guidebook:
    round_the_square = photographed(owner, fake_mapillary, "Round the square", 1, pano=True)
    along_the_canal = photographed(owner, fake_mapillary, "Along the canal", 1)
    guidebook = Guidebook.objects.create(
        owner=owner, name="Squares and canals", published_at=timezone.now()
    )
    images = [round_the_square.images.get(), along_the_canal.images.get()]
    for position, image in enumerate(images):
        scene = Scene.objects.create(
            guidebook=guidebook, image=image, position=position, title=f"Stop {position + 1}"
        )
        Poi.objects.create(scene=scene, title=f"Fountain {position + 1}", x=0.5, y=0.5)
    guidebook.first_scene = guidebook.scenes.order_by("position").first()  # type: ignore[attr-defined]
    return guidebook


def fail_on_problems(log) -> None:
    assert log.inaccessible == {}, log.inaccessible
    assert not log.violations and not log.blocked and not log.errors, (
        log.violations,
        log.blocked,
        log.errors,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [(1366, 900), (390, 844)], ids=["wide", "phone"])
def test_a_panorama_scene_opens_in_the_reader_and_the_caption_follows_the_scene(
    guidebook, browsing, fake_mapillary, size
):
    page, log = browsing
    log.prefix = f"reader-{size[0]}"
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    log.allowed.append(fake_mapillary.url)
    page.goto(log.base_url + guidebook.get_absolute_url())
    page.wait_for_function(PANO_READY)
    # Pannellum says nothing went wrong, and its point of interest is a hot spot.
    expect(page.locator("#scene-frame .pnlm-load-msg")).to_be_hidden()
    expect(page.locator("#scene-frame .pnlm-hotspot")).to_have_count(1)
    caption = page.locator(".scene-photo figcaption")
    expect(caption).to_contain_text("a 360° panorama")
    log.screenshot(page, "panorama-scene")
    log.check_accessibility(page, "panorama-scene")

    page.get_by_role("link", name="Next scene").click()
    expect(page.locator("#scene-title")).to_have_text("Stop 2")
    expect(page.locator("#scene-frame .pano")).to_have_count(0)
    expect(caption).to_have_text("From Along the canal")
    expect(page.locator("#scene-sequence")).to_have_text("Along the canal")
    page.wait_for_function(
        "() => { const image = document.getElementById('scene-image');"
        " return image.complete && image.naturalWidth > 0; }"
    )
    log.screenshot(page, "flat-scene")

    page.get_by_role("link", name="Previous scene").click()
    page.wait_for_function(PANO_READY)
    expect(caption).to_contain_text("From Round the square · a 360° panorama")
    fail_on_problems(log)


@pytest.mark.django_db(transaction=True)
def test_the_scene_editor_previews_a_panorama_with_its_points(guidebook, browsing, fake_mapillary):
    page, log = browsing
    log.prefix = "editor"
    page.set_viewport_size({"width": 1366, "height": 900})
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    log.allowed.append(fake_mapillary.url)
    scene = guidebook.first_scene
    page.goto(log.base_url + "/accounts/login/")
    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{log.base_url}/guidebooks/{guidebook.unique_id}/scenes/{scene.unique_id}/edit/")
    preview = page.locator("#scene-preview")
    preview.get_by_role("button", name="Look around as readers will").click()
    page.wait_for_function(
        "() => document.querySelector('#scene-preview .pano[data-ready]') !== null"
    )
    expect(preview.locator(".pnlm-hotspot")).to_have_count(1)
    expect(preview.locator(".pnlm-load-msg")).to_be_hidden()
    # No stray marker on the flat photo before a click.
    expect(page.locator("#new-marker")).to_be_hidden()
    log.screenshot(page, "preview", full_page=True)
    log.check_accessibility(page, "scene-editor-preview")
    fail_on_problems(log)
