"""The viewer's Full screen, Link and Download: the photo on the whole screen, where the arrow
keys still step; Link and Download follow the photo shown, Link copies the address of that very
photo, Download gives it at its largest size. Screenshots are kept in
``test-output/browser/test_photo_share/``."""

import re

import pytest
from playwright.sync_api import expect

from testing.viewer import KEYS, WAIT_MS, open_page, photographed, wait_for_photo


def original(key: str) -> re.Pattern:
    return re.compile(re.escape(f"/api/v1/images/{key}/thumbnail?size=original") + "$")


@pytest.fixture
def walk(seeded, owner, fake_mapillary):
    # Before the browser starts: its event loop makes the database calls of this thread fail.
    return photographed(owner, fake_mapillary, "Harbour walk", 3)


@pytest.mark.django_db(transaction=True)
def test_link_and_download_follow_the_photo_and_the_link_is_copied(walk, browsing, fake_mapillary):
    page, log = browsing
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    keys = KEYS[walk.pk]
    open_page(page, log, fake_mapillary, walk.get_absolute_url())
    wait_for_photo(page, keys[0])
    link = page.locator("#photo-share")
    download = page.locator("#photo-download")
    expect(link).to_have_attribute("href", f"?photo={keys[0]}")
    expect(download).to_have_attribute("href", original(keys[0]))

    page.locator("body").focus()
    page.keyboard.press("ArrowRight")
    wait_for_photo(page, keys[1])
    expect(link).to_have_attribute("href", f"?photo={keys[1]}")
    expect(download).to_have_attribute("href", original(keys[1]))

    # Full screen holds the viewer; the arrow keys still step there; a second press leaves it.
    fullscreen = page.locator("#photo-fullscreen")
    fullscreen.click()
    page.wait_for_function("() => document.fullscreenElement?.id === 'viewer'")
    expect(fullscreen).to_have_attribute("aria-pressed", "true")
    log.screenshot(page, "full-screen")
    page.keyboard.press("ArrowRight")
    wait_for_photo(page, keys[2])
    fullscreen.click()
    page.wait_for_function("() => document.fullscreenElement === null")
    expect(fullscreen).to_have_text("Full screen")
    page.keyboard.press("ArrowLeft")
    wait_for_photo(page, keys[1])

    link.click()
    expect(page.locator("#photo-share-status")).to_have_text("Link to this photo copied.")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == f"{log.base_url}{walk.get_absolute_url()}?photo={keys[1]}"
    log.screenshot(page, "shared")
    log.check_accessibility(page, "shared")
    assert not log.violations and not log.blocked and not log.errors, (
        log.violations,
        log.blocked,
        log.errors,
    )


SWIPE = """([dx, dy]) => {
  const frame = document.getElementById("photo-frame");
  const box = frame.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const send = (type, cx, cy) => frame.dispatchEvent(new PointerEvent(type, {
    pointerType: "touch", isPrimary: true, bubbles: true, clientX: cx, clientY: cy }));
  send("pointerdown", x, y);
  send("pointerup", x + dx, y + dy);
}"""


@pytest.mark.django_db(transaction=True)
def test_a_swipe_across_the_photo_steps_on_a_phone(walk, browsing, fake_mapillary):
    page, log = browsing
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    keys = KEYS[walk.pk]
    open_page(page, log, fake_mapillary, walk.get_absolute_url())
    wait_for_photo(page, keys[0])
    page.evaluate(SWIPE, [-120, 10])  # leftwards: the next photo
    wait_for_photo(page, keys[1])
    page.evaluate(SWIPE, [-30, 0])  # too short: nothing
    page.evaluate(SWIPE, [-80, 120])  # mostly downwards, a scroll: nothing
    page.evaluate(SWIPE, [150, 0])  # rightwards: the previous photo
    wait_for_photo(page, keys[0])
    assert not log.errors, log.errors
