"""A challenge drawn on the map and created, its page and the leaderboard, in a real browser.

Each page is checked for accessibility and kept as a screenshot in
``test-output/browser/test_challenges/``.
"""

import pytest
from playwright.sync_api import expect

from mtp.accounts.models import User

WAIT_MS = 30_000
PASSWORD = "a password for the old town"


@pytest.fixture
def organiser(transactional_db) -> None:
    # Before the browser starts: its event loop makes the database calls of this thread fail.
    User.objects.create_user("greta", "greta@example.org", PASSWORD, is_staff=True)


@pytest.mark.django_db(transaction=True)
def test_a_challenge_is_drawn_on_the_map_and_shown_with_its_leaderboard(organiser, browsing):
    page, log = browsing
    site = log.base_url
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)

    page.goto(site + "/accounts/login/")
    page.get_by_label("Username").fill("greta")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Challenges").click()
    page.get_by_role("link", name="New challenge").click()
    expect(page.get_by_role("heading", name="New challenge")).to_be_visible()
    expect(page.locator("#draw-status")).to_contain_text("Click on the map")

    # Four corners on the map, then Enter to close the polygon.
    page.locator("#draw-map").scroll_into_view_if_needed()
    # A city, not a continent: the server refuses areas over MTP_CHALLENGE_MAX_AREA_KM2.
    page.evaluate(
        "() => document.getElementById('draw-map').mtpMap.jumpTo({center: [6.14, 46.2], zoom: 13})"
    )
    page.wait_for_function(
        "() => { const m = document.getElementById('draw-map').mtpMap;"
        " return m && m.loaded() && m.getZoom() === 13; }"
    )
    box = page.locator("#draw-map canvas").bounding_box()
    corners = [(0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7)]
    for x, y in corners:
        page.mouse.click(box["x"] + box["width"] * x, box["y"] + box["height"] * y)
        page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    expect(page.locator("#draw-status")).to_contain_text("Area drawn: 1 polygon")
    area = page.locator("#id_area").input_value()
    assert '"type":"Polygon"' in area

    page.get_by_label("Name").fill("Map the old town")
    page.get_by_label("Starts (UTC)").fill("2024-05-01T00:00")
    page.get_by_label("Ends (UTC)").fill("2030-06-01T00:00")
    log.screenshot(page, "new-challenge")
    log.check_accessibility(page, "new-challenge")
    page.get_by_role("button", name="Create the challenge").click()

    expect(page.get_by_role("heading", name="Map the old town")).to_be_visible()
    assert "km²" not in page.content()
    expect(page.locator("#photos-inside")).to_have_text("0")
    expect(page.get_by_text("Set by greta")).to_be_visible()
    page.wait_for_function(
        "() => { const m = document.getElementById('challenge-map').mtpMap;"
        " return m && m.loaded() && m.getLayer('area-line'); }"
    )
    log.screenshot(page, "challenge")
    log.check_accessibility(page, "challenge")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leaderboard").click()
    expect(page.get_by_role("heading", name="Leaderboard")).to_be_visible()
    log.check_accessibility(page, "leaderboard")

    assert log.errors == []
    assert log.violations == []
    assert log.blocked == [] or all("/basemap-offline/" in url for url in log.blocked)
    assert log.inaccessible == {}
