"""A tour in a real browser: the viewer walks from one route's photos to the next with the
arrow keys, and the owner reorders the routes from the keyboard alone. Screenshots are kept in
``test-output/browser/test_tours/``."""

import pytest
from playwright.sync_api import expect

from mtp.tours.models import Tour, set_tour_sequences
from testing.viewer import (
    KEYS,
    WAIT_MS,
    open_page,
    photographed,
    wait_for_photo,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def tour(seeded, owner, fake_mapillary) -> Tour:
    # Before the browser starts: its event loop makes the database calls of this thread fail.
    first = photographed(owner, fake_mapillary, "Canal walk", 3)
    second = photographed(owner, fake_mapillary, "Harbour walk", 2)
    made = Tour.objects.create(owner=owner, name="Amsterdam in a morning")
    set_tour_sequences(made, [first.pk, second.pk])
    made.keys = KEYS[first.pk] + KEYS[second.pk]  # type: ignore[attr-defined]
    made.routes = [str(first.unique_id), str(second.unique_id)]  # type: ignore[attr-defined]
    return made


@pytest.mark.django_db(transaction=True)
def test_the_viewer_walks_from_one_route_to_the_next(tour, browsing, fake_mapillary):
    page, log = browsing
    log.prefix = "walk"
    keys = tour.keys
    open_page(page, log, fake_mapillary, tour.get_absolute_url())
    wait_for_photo(page, keys[0])
    expect(page.locator("#tour-route")).to_contain_text("Route 1 of 2: Canal walk")
    page.locator("body").focus()
    for key in keys[1:4]:
        page.keyboard.press("ArrowRight")
        wait_for_photo(page, key)
    expect(page.locator("#tour-route")).to_contain_text("Route 2 of 2: Harbour walk")
    expect(page.locator("#photo-caption")).to_contain_text("Photo 4 of 5")
    log.screenshot(page, "second-route", full_page=True)
    page.keyboard.press("ArrowLeft")
    wait_for_photo(page, keys[2])
    expect(page.locator("#tour-route")).to_contain_text("Route 1 of 2: Canal walk")
    log.check_accessibility(page, "tour")
    assert log.inaccessible == {}
    assert log.errors == [] and log.violations == []
    assert log.blocked == []


@pytest.fixture
def long_tour(seeded, owner, fake_mapillary) -> Tour:
    # A first route longer than the strip reaches: the second is loaded only when near.
    first = photographed(owner, fake_mapillary, "River walk", 14)
    second = photographed(owner, fake_mapillary, "Dam walk", 2)
    made = Tour.objects.create(owner=owner, name="Along the Amstel")
    set_tour_sequences(made, [first.pk, second.pk])
    made.keys = KEYS[first.pk] + KEYS[second.pk]  # type: ignore[attr-defined]
    made.routes = [str(first.unique_id), str(second.unique_id)]  # type: ignore[attr-defined]
    return made


@pytest.mark.django_db(transaction=True)
def test_the_viewer_loads_a_routes_photos_when_it_reaches_that_route(
    long_tour, browsing, fake_mapillary
):
    page, log = browsing
    log.prefix = "lazy"
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    first, second = long_tour.routes
    keys = long_tour.keys
    open_page(page, log, fake_mapillary, long_tour.get_absolute_url())
    wait_for_photo(page, keys[0])
    # The page carried no photo list: the first route's came from the API, not the second's.
    assert [url for url in asked if f"/sequence/{first}/images?" in url]
    assert not [url for url in asked if f"/sequence/{second}/images?" in url]
    page.locator("body").focus()
    for key in keys[1:16]:
        page.keyboard.press("ArrowRight")
        wait_for_photo(page, key)
    assert [url for url in asked if f"/sequence/{second}/images?" in url]
    expect(page.locator("#tour-route")).to_contain_text("Route 2 of 2: Dam walk")
    expect(page.locator("#photo-caption")).to_contain_text("Photo 16 of 16")
    # The strip and the buttons follow the loaded routes: back to the first route's end.
    expect(page.locator("#photo-strip a[data-key]")).to_have_count(11)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    wait_for_photo(page, keys[13])
    expect(page.locator("#tour-route")).to_contain_text("Route 1 of 2: River walk")
    log.screenshot(page, "back-on-the-first-route", full_page=True)
    assert log.errors == [] and log.violations == []
    assert log.blocked == []


@pytest.mark.django_db(transaction=True)
def test_the_owner_reorders_the_routes_from_the_keyboard(tour, browsing):
    page, log = browsing
    log.prefix = "reorder"
    site = log.base_url
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    page.goto(site + "/accounts/login/")
    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"{site}/tours/{tour.unique_id}/edit/")

    # Tab to the first route's Move down button, and press Enter.
    target = page.get_by_role("button", name="Move down Canal walk (now 1 of 2)")
    for _ in range(40):
        page.keyboard.press("Tab")
        if target.evaluate("(button) => button === document.activeElement"):
            break
    else:
        raise AssertionError("Move down was not reached with Tab")
    page.keyboard.press("Enter")
    titles = page.locator(".tour-order .title")
    expect(titles).to_have_text(["Harbour walk", "Canal walk"])
    # The moved route keeps the focus, on the button that moves it back (given once the list
    # is drawn again: waited for, as a person would see it a moment later).
    moved_back = f"up:{tour.routes[0]}"
    try:
        page.wait_for_function(
            "(value) => document.activeElement && document.activeElement.value === value",
            arg=moved_back,
            timeout=WAIT_MS,
        )
    except Exception:
        focused = page.evaluate(
            "() => document.activeElement.value || document.activeElement.tagName"
        )
        raise AssertionError(f"the focus is on {focused}, not {moved_back}") from None
    page.keyboard.press("Space")
    expect(titles).to_have_text(["Canal walk", "Harbour walk"])
    log.check_accessibility(page, "edit")
    assert log.inaccessible == {}
    assert log.errors == [] and log.violations == []
