"""The explore map's photo points in a real browser: hovering one shows the photo, and
clicking one opens a popup whose link takes the keyboard and opens that photo in its
sequence's viewer.

Screenshots are kept in ``test-output/browser/test_explore_photos/``.
"""

import pytest
from playwright.sync_api import expect

from testing.viewer import KEYS, WAIT_MS, photographed, wait_for_photo


# Before the browser starts: its event loop makes the database calls of this thread fail.
@pytest.fixture
def canal(seeded, owner, fake_mapillary):
    return photographed(owner, fake_mapillary, "Canal walk", 4)


def photo_on_screen(page, lon: float, lat: float) -> list[float]:
    return page.evaluate(
        """([lon, lat]) => {
          const map = document.getElementById("map").mtpMap;
          const at = map.project([lon, lat]);
          const box = document.getElementById("map").getBoundingClientRect();
          return [box.left + at.x, box.top + at.y];
        }""",
        [lon, lat],
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [(1366, 900), (390, 844)], ids=["wide", "phone"])
def test_clicking_a_photo_point_on_the_explore_map_opens_that_photo(
    canal, browsing, fake_mapillary, size
):
    page, log = browsing
    log.prefix = str(size[0])
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    log.allowed.append(fake_mapillary.url)
    keys = KEYS[canal.pk]
    # The third photo, in the middle of the map at street level.
    lon, lat = 4.89 + 0.001 * 2, 52.37 + 0.0005 * 2
    page.goto(f"{log.base_url}/#map=17/{lat}/{lon}")
    page.wait_for_function(
        "() => { const map = document.getElementById('map').mtpMap;"
        " return map && map.loaded() && map.getLayer('photos')"
        " && map.queryRenderedFeatures({layers: ['photos']}).length > 0; }"
    )
    page.locator("#map").scroll_into_view_if_needed()
    page.mouse.click(*photo_on_screen(page, lon, lat))

    popup = page.locator(".maplibregl-popup.photo-popup")
    expect(popup).to_be_visible()
    opening = popup.get_by_role("link", name="Open this photo")
    expect(opening).to_have_attribute("href", f"{canal.get_absolute_url()}?photo={keys[2]}")
    # The popup's link has the keyboard: Enter opens the photo.
    expect(opening).to_be_focused()
    page.wait_for_function(
        "() => { const image = document.querySelector('.photo-popup img');"
        " return image && image.complete && image.naturalWidth > 0; }"
    )
    log.screenshot(page, "photo-popup")
    log.check_accessibility(page, "explore-photo-popup")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.getElementById('viewer') && document.getElementById('viewer').mtpViewer"
    )
    wait_for_photo(page, keys[2])
    assert log.inaccessible == {}, log.inaccessible
    assert not log.violations and not log.blocked and not log.errors, (
        log.violations,
        log.blocked,
        log.errors,
    )
