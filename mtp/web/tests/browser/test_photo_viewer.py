"""A sequence's photos in a real browser: step through them, open a panorama and turn it.

The photos come from the Mapillary stand-in, a real HTTP server answering real JPEGs at signed
links that expire, through the site's own stable links. Screenshots are kept in
``test-output/browser/test_photo_viewer/``.
"""

import time

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from mtp.sequences import photos
from testing.fake_mapillary.photos import jpeg
from testing.processes import free_port
from testing.viewer import KEYS, WAIT_MS, open_page, photographed, shown_key, wait_for_photo


# Before the browser starts: its event loop makes the database calls of this thread fail.
@pytest.fixture
def canal(seeded, owner, fake_mapillary):
    return photographed(owner, fake_mapillary, "Canal walk", 8)


@pytest.fixture
def lake(seeded, owner, fake_mapillary):
    return photographed(owner, fake_mapillary, "Round the lake", 3, pano=True)


@pytest.mark.django_db(transaction=True)
def test_step_through_a_sequence_with_the_keys_and_the_address_opens_the_photo(
    canal, browsing, fake_mapillary
):
    page, log = browsing
    log.prefix = "steps"
    sequence = canal
    keys = KEYS[sequence.pk]
    open_page(page, log, fake_mapillary, sequence.get_absolute_url())
    wait_for_photo(page, keys[0])
    expect(page.locator("#photo-caption")).to_contain_text("Photo 1 of 8")
    alt = page.locator("#photo-image").get_attribute("alt")
    assert "Canal walk: photo 1 of 8" in alt and "52.37000° N" in alt and "taken 3 May 2024" in alt
    log.screenshot(page, "first-photo", full_page=True)

    page.locator("body").focus()
    page.keyboard.press("ArrowRight")
    wait_for_photo(page, keys[1])
    page.keyboard.press("ArrowRight")
    wait_for_photo(page, keys[2])
    page.keyboard.press("ArrowLeft")
    wait_for_photo(page, keys[1])
    expect(page.locator("#photo-caption")).to_contain_text("Photo 2 of 8")
    assert page.url.endswith(f"?photo={keys[1]}")
    assert page.locator("#photo-strip a[aria-current='true']").get_attribute("data-key") == keys[1]
    # The camera on the map follows the photo and turns with its heading.
    page.wait_for_function(
        "() => document.querySelector('.camera-marker') !== null", timeout=WAIT_MS
    )
    log.screenshot(page, "second-photo-and-camera", full_page=True)

    # The strip jumps; the next photos were fetched ahead.
    page.locator(f"#photo-strip a[data-key='{keys[5]}']").click()
    wait_for_photo(page, keys[5])
    fetched = page.evaluate("() => [...document.getElementById('viewer').mtpViewer.images.keys()]")
    assert keys[6] in fetched and keys[7] in fetched

    # The address opens the same photo, in a new page.
    address = page.url
    page.goto(address)
    wait_for_photo(page, keys[5])
    expect(page.locator("#photo-caption")).to_contain_text("Photo 6 of 8")

    # Clicking a photo point on the map goes there.
    page.wait_for_function(
        "() => { const map = document.getElementById('map').mtpMap; return map && map.loaded(); }",
        timeout=WAIT_MS,
    )
    page.locator("#map").scroll_into_view_if_needed()
    point = page.evaluate(
        f"""() => {{
          const map = document.getElementById("map").mtpMap;
          const at = map.project([{4.89 + 0.001 * 3}, {52.37 + 0.0005 * 3}]);
          const box = document.getElementById("map").getBoundingClientRect();
          return [box.left + at.x, box.top + at.y];
        }}"""
    )
    page.mouse.click(*point)
    wait_for_photo(page, keys[3])

    log.check_accessibility(page, "viewer")
    assert log.inaccessible == {}
    assert log.errors == [] and log.violations == []
    assert log.blocked == []
    assert fake_mapillary.refused["expired"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_panorama_opens_and_turns_when_dragged(lake, browsing, fake_mapillary):
    page, log = browsing
    log.prefix = "panorama"
    sequence = lake
    open_page(page, log, fake_mapillary, sequence.get_absolute_url())
    page.wait_for_function(
        "() => document.querySelector('#pano[data-ready]') !== null", timeout=WAIT_MS
    )
    holder = page.locator("#pano")
    assert "360° panorama" in holder.get_attribute("aria-label")
    before = page.evaluate("() => document.getElementById('pano').mtpPano.getYaw()")
    box = holder.bounding_box()
    middle_x, middle_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(middle_x, middle_y)
    page.mouse.down()
    page.mouse.move(middle_x - 200, middle_y, steps=8)
    page.mouse.up()
    page.wait_for_timeout(300)
    after = page.evaluate("() => document.getElementById('pano').mtpPano.getYaw()")
    assert abs(after - before) > 10
    log.screenshot(page, "panorama-turned")

    # The next panorama keeps looking the same way on the ground.
    first = shown_key(page)
    heading = page.evaluate("() => document.getElementById('viewer').mtpViewer.heading()")
    page.locator("#photo-next").click()
    page.wait_for_function(
        "(first) => document.querySelector('#pano[data-ready]') !== null"
        " && document.getElementById('viewer').dataset.shown !== first",
        arg=first,
        timeout=WAIT_MS,
    )
    turned = page.evaluate("() => document.getElementById('viewer').mtpViewer.heading()")
    assert turned == pytest.approx(heading, abs=1)
    expect(page.locator("#photo-caption")).to_contain_text("Photo 2 of 3")
    log.check_accessibility(page, "panorama")
    assert log.inaccessible == {}
    assert log.errors == [] and log.violations == []


# The photo and every thumbnail of the strip are on screen (none broken).
PHOTOS_LOADED = """() => [document.getElementById("photo-image"),
                  ...document.querySelectorAll("#photo-strip img")]
          .every((image) => image && image.complete && image.naturalWidth > 0)"""


@pytest.mark.django_db(transaction=True)
def test_links_fetched_after_the_mapillary_links_expired_still_give_the_photos(
    canal, browsing, browser, fake_mapillary, monkeypatch
):
    page, log = browsing
    log.prefix = "expiry"
    # Mapillary's links last 3 seconds, and are used until 1 second before they expire.
    monkeypatch.setattr(photos, "EXPIRY_MARGIN", 1)
    fake_mapillary.link_ttl = 3
    keys = KEYS[canal.pk]
    open_page(page, log, fake_mapillary, canal.get_absolute_url())
    wait_for_photo(page, keys[0])
    page.wait_for_function(PHOTOS_LOADED, timeout=WAIT_MS)
    first_links = [
        request[1] for request in fake_mapillary.requests if request[1].startswith("/thumbs/")
    ]
    resolved = fake_mapillary.count("/images")
    time.sleep(3.5)
    # The links the page was sent to have expired: Mapillary's CDN refuses them now.
    expired = fake_mapillary.signed_thumb_url(keys[0], "1024", now=time.time() - 4)
    assert httpx.get(expired).status_code == 403

    # A new visitor (no browser cache) gets the photos through the same stable links.
    again = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        second = again.new_page()
        second.route("**/*", lambda route, request: route.continue_())
        second.goto(f"{log.base_url}{canal.get_absolute_url()}?photo={keys[1]}")
        second.wait_for_function(PHOTOS_LOADED, timeout=WAIT_MS)
        second.keyboard.press("ArrowRight")
        wait_for_photo(second, keys[2])
        log.screenshot(second, "after-expiry")
    finally:
        again.close()
    assert first_links
    assert fake_mapillary.count("/images") > resolved  # fresh links were asked for
    assert fake_mapillary.refused["expired"] == 1  # only this test's own request above
    assert fake_mapillary.photos_served["1024"] >= 3


@pytest.fixture
def kept(canal, settings):
    """The canal's photos kept as small copies in the storage, as after publication."""
    for image in canal.images.all():
        name = default_storage.save(
            f"photos/{image.mapillary_key}.jpg",
            ContentFile(jpeg(image.mapillary_key, "256", False)),
        )
        image.kept_copy = name
        image.save(update_fields=["kept_copy"])
    return canal


@pytest.mark.django_db(transaction=True)
def test_with_mapillary_down_the_kept_copies_show(kept, browsing, fake_mapillary, settings):
    page, log = browsing
    log.prefix = "kept"
    keys = KEYS[kept.pk]
    # Nothing answers at Mapillary's address any more.
    settings.MAPILLARY_API_URL = f"http://127.0.0.1:{free_port()}"
    settings.MAPILLARY_TIMEOUT = 1
    page.goto(f"{log.base_url}{kept.get_absolute_url()}")
    page.wait_for_function("() => document.getElementById('viewer').mtpViewer", timeout=WAIT_MS)
    wait_for_photo(page, keys[0])
    page.wait_for_function(PHOTOS_LOADED, timeout=WAIT_MS)
    assert page.evaluate("() => document.getElementById('photo-image').naturalWidth") == 256
    page.locator("#photo-next").click()
    wait_for_photo(page, keys[1])
    log.screenshot(page, "kept-copies")
    assert fake_mapillary.count("/thumbs") == 0
    assert log.errors == [] and log.violations == []


@pytest.mark.django_db(transaction=True)
def test_explore_shows_covers_and_a_photo_when_a_photo_point_is_hovered(
    canal, browsing, fake_mapillary
):
    page, log = browsing
    log.prefix = "explore"
    log.allowed.append(fake_mapillary.url)
    keys = KEYS[canal.pk]
    page.goto(f"{log.base_url}/#map=17/52.37/4.8907")
    cover = page.locator(f".result[data-id='{canal.unique_id}'] img.cover")
    expect(cover).to_be_visible(timeout=WAIT_MS)
    page.wait_for_function(
        "() => { const image = document.querySelector('.result img.cover');"
        " return image && image.complete && image.naturalWidth > 0; }",
        timeout=WAIT_MS,
    )
    assert f"/images/{keys[0]}/thumbnail?size=256" in cover.get_attribute("src")
    point = page.wait_for_function(
        """() => {
          const map = document.getElementById("map").mtpMap;
          if (!map || !map.getLayer("photos")) return null;
          const found = map.queryRenderedFeatures({layers: ["photos"]});
          if (!found.length) return null;
          const at = map.project(found[0].geometry.coordinates);
          const box = document.getElementById("map").getBoundingClientRect();
          return [box.left + at.x, box.top + at.y, found[0].properties.id];
        }""",
        timeout=WAIT_MS,
    ).json_value()
    page.mouse.move(point[0], point[1])
    preview = page.locator(".photo-preview img")
    expect(preview).to_be_visible(timeout=WAIT_MS)
    assert f"/images/{point[2]}/thumbnail?size=256" in preview.get_attribute("src")
    page.wait_for_function(
        "() => { const image = document.querySelector('.photo-preview img');"
        " return image && image.complete && image.naturalWidth > 0; }",
        timeout=WAIT_MS,
    )
    log.screenshot(page, "explore-cover-and-preview")
    log.check_accessibility(page, "explore")
    assert log.inaccessible == {}
    assert log.errors == [] and log.violations == []
