"""Maps without their base map, in a real browser: the base map's tiles fail (the browser
tests' base map answers 404), the map says so and keeps the routes easy to see; and the first
view of a map fits what it shows (a tour's routes; the published routes on the map where a
challenge's area is drawn).

Screenshots are kept in ``test-output/browser/test_maps_offline/``.
"""

import pytest
from playwright.sync_api import expect

from mtp.tours.models import Tour, set_tour_sequences
from testing.viewer import WAIT_MS, open_page, photographed

PASSWORD = "correct horse battery"
# The routes lie within 0.01 degrees of (4.89, 52.37): a view fitting them is well under a
# degree wide, where the whole world is 360.
FITTED_DEGREES = 0.2


# Before the browser starts: its event loop makes the database calls of this thread fail.
@pytest.fixture
def tour(seeded, owner, fake_mapillary) -> Tour:
    first = photographed(owner, fake_mapillary, "Canal walk", 3)
    second = photographed(owner, fake_mapillary, "Harbour walk", 2)
    made = Tour.objects.create(owner=owner, name="Amsterdam in a morning", status="published")
    set_tour_sequences(made, [first.pk, second.pk])
    return made


def map_settled(page, selector: str) -> None:
    page.wait_for_function(
        "(selector) => { const map = document.querySelector(selector).mtpMap;"
        " return map && map.loaded(); }",
        arg=selector,
        timeout=WAIT_MS,
    )


def view_width(page, selector: str) -> float:
    return page.evaluate(
        "(selector) => { const bounds = document.querySelector(selector).mtpMap.getBounds();"
        " return bounds.getEast() - bounds.getWest(); }",
        selector,
    )


def problems(log) -> None:
    assert log.inaccessible == {}, log.inaccessible
    assert not log.violations and not log.errors, (log.violations, log.errors)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [(1366, 900), (390, 844)], ids=["wide", "phone"])
def test_a_tour_map_without_its_base_map_says_so_and_fits_the_routes(
    tour, browsing, fake_mapillary, size
):
    page, log = browsing
    log.prefix = f"tour-{size[0]}"
    page.set_viewport_size({"width": size[0], "height": size[1]})
    expect.set_options(timeout=WAIT_MS)
    open_page(page, log, fake_mapillary, tour.get_absolute_url())
    map_settled(page, "#map")
    notice = page.locator("#map .map-notice")
    expect(notice).to_have_text(
        "The base map could not be loaded: the routes are shown without it."
    )
    expect(notice).to_have_attribute("role", "status")
    # The routes' white casing turns dark on the plain background.
    casing = page.evaluate(
        "() => document.getElementById('map').mtpMap.getPaintProperty('route-casing', 'line-color')"
    )
    assert casing != "#ffffff"
    assert view_width(page, "#map") < FITTED_DEGREES
    page.locator("#map").scroll_into_view_if_needed()
    log.screenshot(page, "tour-map")
    log.check_accessibility(page, "tour-offline")
    problems(log)


@pytest.mark.django_db(transaction=True)
def test_the_challenge_drawing_map_opens_on_the_published_routes(tour, browsing, settings):
    settings.MTP_CHALLENGE_CREATORS = "everyone"
    page, log = browsing
    log.prefix = "challenge"
    page.set_viewport_size({"width": 1366, "height": 900})
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    page.goto(log.base_url + "/accounts/login/")
    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(log.base_url + "/challenges/new/")
    map_settled(page, "#draw-map")
    expect(page.locator("#draw-map .map-notice")).to_be_visible()
    assert view_width(page, "#draw-map") < FITTED_DEGREES
    page.locator("#draw-map").scroll_into_view_if_needed()
    log.screenshot(page, "drawing-map")
    log.check_accessibility(page, "challenge-drawing-offline")
    problems(log)
