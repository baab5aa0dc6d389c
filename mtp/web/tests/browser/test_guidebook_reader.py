"""A guidebook in a real browser: move scene by scene with the keys, open a point of interest
from its marker and close it again, and the map of the scenes.

The photos come from the Mapillary stand-in through the site's own stable links. Screenshots
are kept in ``test-output/browser/test_guidebook_reader/``.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mtp.guidebooks.models import Category, Guidebook, Poi, Scene
from testing.viewer import photographed

WAIT_MS = 20_000
PASSWORD = "correct horse battery"


# Before the browser starts: its event loop makes the database calls of this thread fail.
@pytest.fixture
def guidebook(seeded, owner, fake_mapillary) -> Guidebook:
    sequence = photographed(owner, fake_mapillary, "Canal guide walk", 3)
    Category.objects.get_or_create(slug="history", defaults={"name": "History"})
    guidebook = Guidebook.objects.create(
        owner=owner, name="Canals of Amsterdam", published_at=timezone.now()
    )
    for position, image in enumerate(sequence.images.order_by("position")):
        scene = Scene.objects.create(
            guidebook=guidebook,
            image=image,
            position=position,
            title=f"Bridge {position + 1}",
            description=f"The {position + 1}th bridge.",
        )
        Poi.objects.create(
            scene=scene,
            title=f"Lamp post {position + 1}",
            description="Cast iron, 1880.",
            x=0.3,
            y=0.6,
            category=Category.objects.get(slug="history"),
            url="https://example.org/lamps",
        )
    guidebook.first_scene = guidebook.scenes.order_by("position").first()  # type: ignore[attr-defined]
    return guidebook


def scene_shown(page, number: int) -> None:
    expect(page.locator("#scene-count")).to_have_text(f"Scene {number} of 3")
    expect(page.locator("#scene-title")).to_have_text(f"Bridge {number}")


@pytest.mark.django_db(transaction=True)
def test_read_a_guidebook_with_the_keys_and_open_a_point_from_its_marker(
    guidebook, browsing, fake_mapillary
):
    page, log = browsing
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    log.allowed.append(fake_mapillary.url)
    page.goto(log.base_url + guidebook.get_absolute_url())
    page.wait_for_function("() => document.getElementById('guidebook').reader")
    scene_shown(page, 1)
    page.wait_for_function(
        "() => { const image = document.getElementById('scene-image');"
        " return image.complete && image.naturalWidth > 0; }"
    )
    log.screenshot(page, "first-scene", full_page=True)
    log.check_accessibility(page, "reader")

    page.locator("body").focus()
    page.keyboard.press("ArrowRight")
    scene_shown(page, 2)
    assert page.url.endswith("?scene=2")
    page.keyboard.press("End")
    scene_shown(page, 3)
    page.keyboard.press("ArrowRight")  # the last scene stays
    scene_shown(page, 3)
    page.keyboard.press("Home")
    scene_shown(page, 1)
    page.keyboard.press("ArrowRight")
    scene_shown(page, 2)

    # The marker sits where the point is, and opens it.
    marker = page.locator("#poi-markers .poi-marker")
    expect(marker).to_have_count(1)
    frame = page.locator("#scene-frame").bounding_box()
    spot = marker.bounding_box()
    centre_x = spot["x"] + spot["width"] / 2 - frame["x"]
    centre_y = spot["y"] + spot["height"] / 2 - frame["y"]
    assert abs(centre_x / frame["width"] - 0.3) < 0.02
    assert abs(centre_y / frame["height"] - 0.6) < 0.03
    marker.click()
    panel = page.get_by_role("dialog")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading")).to_have_text("Lamp post 2")
    expect(panel).to_contain_text("Cast iron, 1880.")
    expect(panel).to_contain_text("History")
    expect(panel.get_by_role("link", name="More about it")).to_have_attribute(
        "href", "https://example.org/lamps"
    )
    log.screenshot(page, "point-open", full_page=True)
    # Escape closes it, and the keys move on again.
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(marker).to_be_focused()
    page.keyboard.press("ArrowLeft")
    scene_shown(page, 1)

    # The scenes' list and the map follow.
    page.get_by_role("link", name="Bridge 3").click()
    scene_shown(page, 3)
    page.wait_for_function(
        "() => { const map = document.getElementById('guidebook-map').mtpMap;"
        " return map && map.loaded() && map.getLayer('scene-current'); }"
    )
    current = page.evaluate(
        "() => document.getElementById('guidebook-map').mtpMap.getFilter('scene-current')"
    )
    assert current[-1] == 2
    assert not log.violations and not log.blocked, (log.violations, log.blocked)


@pytest.mark.django_db(transaction=True)
def test_the_owner_places_a_point_with_a_click_on_the_photo(guidebook, browsing, fake_mapillary):
    page, log = browsing
    log.prefix = "editor"
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    log.allowed.append(fake_mapillary.url)
    scene = guidebook.first_scene
    page.goto(log.base_url + "/accounts/login/")
    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{log.base_url}/guidebooks/{guidebook.unique_id}/scenes/{scene.unique_id}/edit/")
    photo = page.locator("#scene-image")
    page.wait_for_function(
        "() => { const image = document.getElementById('scene-image');"
        " return image.complete && image.naturalWidth > 0; }"
    )

    # Before any click there is no new point's marker on the photo.
    expect(page.locator("#new-marker")).to_be_hidden()

    # A click a quarter across and three quarters down: the form says so, a marker shows it,
    # and the new point's title takes the focus.
    box = photo.bounding_box()
    photo.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.75})
    x = float(page.locator("#id_poi_x").input_value())
    y = float(page.locator("#id_poi_y").input_value())
    assert abs(x - 0.25) < 0.01 and abs(y - 0.75) < 0.01, (x, y)
    expect(page.locator("#new-marker")).to_be_visible()
    expect(page.locator("#id_poi_title")).to_be_focused()
    log.screenshot(page, "placed", full_page=True)
    log.check_accessibility(page, "scene-editor")

    page.keyboard.type("Swing bridge")
    page.get_by_role("button", name="Add the point").click()
    saved = page.locator(".poi-list li", has_text="Swing bridge")
    expect(saved).to_be_visible()
    assert saved.locator(".meta").inner_text().startswith(f"x {x:.3f}, y {y:.3f}")
    expect(page.locator("#poi-markers .poi-marker:not(.new)")).to_have_count(2)
    assert log.inaccessible == {}
    assert not log.violations and not log.blocked and not log.errors, (
        log.violations,
        log.blocked,
        log.errors,
    )
