"""Here at other times, in a real browser: under the viewer's photo, the photos other sequences
took at the same place looking the same way, with their date; each opens that photo in its own
sequence; the list follows the viewer from photo to photo. Screenshots are kept in
``test-output/browser/test_photo_nearby/``."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from mtp.sequences.models import Image
from testing.viewer import KEYS, WAIT_MS, open_page, photographed, wait_for_photo


@pytest.fixture
def walks(seeded, owner, other_user, fake_mapillary):
    # Before the browser starts: its event loop makes the database calls of this thread fail.
    first = photographed(owner, fake_mapillary, "Canal walk", 3)
    again = photographed(other_user, fake_mapillary, "Canal in winter", 3)
    Image.objects.filter(sequence=again).update(captured_at=datetime(2023, 1, 15, 10, tzinfo=UTC))
    return first, again


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [(1366, 900), (390, 844)], ids=["wide", "phone"])
def test_the_same_place_at_another_time_shows_under_the_photo_and_opens_it(
    walks, browsing, fake_mapillary, size
):
    page, log = browsing
    log.prefix = str(size[0])
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    first, again = walks
    open_page(page, log, fake_mapillary, first.get_absolute_url())
    wait_for_photo(page, KEYS[first.pk][0])
    section = page.locator("#photo-nearby")
    expect(section).to_be_visible()
    links = section.get_by_role("link")
    expect(links).to_have_count(1)
    expect(links.first).to_contain_text("Canal in winter")
    expect(links.first).to_contain_text("2023")
    expect(links.first).to_have_attribute(
        "href", f"/sequences/{again.unique_id}/?photo={KEYS[again.pk][0]}"
    )
    log.screenshot(page, "nearby", full_page=True)
    log.check_accessibility(page, "nearby")

    # It follows the viewer: the next photo's own place.
    page.locator("body").focus()
    page.keyboard.press("ArrowRight")
    wait_for_photo(page, KEYS[first.pk][1])
    expect(links.first).to_have_attribute(
        "href", f"/sequences/{again.unique_id}/?photo={KEYS[again.pk][1]}"
    )

    links.first.click()
    page.wait_for_url(lambda url: str(again.unique_id) in url)
    wait_for_photo(page, KEYS[again.pk][1])
    # From there, the first walk is the other time.
    expect(page.locator("#photo-nearby").get_by_role("link").first).to_contain_text("Canal walk")
    assert not log.violations and not log.blocked and not log.errors, (
        log.violations,
        log.blocked,
        log.errors,
    )
