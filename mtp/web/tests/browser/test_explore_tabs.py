"""Explore's Tours and Guidebooks tabs in a real browser, signed in as the person whose tour and
guidebook are listed: each is listed once, and both tabs are laid out alike (one layout,
web/explore_list.html), on a wide screen and on a phone.

Screenshots are kept in ``test-output/browser/test_explore_tabs/``.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mtp.guidebooks.models import Guidebook, Scene
from mtp.tours.models import Tour, set_tour_sequences
from testing.builders import publish

PASSWORD = "correct horse battery"
WAIT_MS = 20_000
# What each tab shows, top to bottom, and where it is.
PARTS = ["h1", ".explore-tabs", ".explore-list-head", "form[role=search]", "#results-title"]


# Before the browser starts: its event loop makes the database calls of this thread fail.
@pytest.fixture
def shared(seeded, owner):
    sequence = publish(owner, "Harbour walk", photos=3, start=(4.89, 52.37))
    guidebook = Guidebook.objects.create(
        owner=owner, name="Harbour guide", published_at=timezone.now()
    )
    for position, image in enumerate(sequence.images.order_by("position")):
        Scene.objects.create(guidebook=guidebook, image=image, position=position)
    tour = Tour.objects.create(owner=owner, name="Harbour tour", status=Tour.Status.PUBLISHED)
    set_tour_sequences(tour, [sequence.pk])
    return guidebook, tour


def layout(page) -> list[tuple[float, float]]:
    boxes = [page.locator(part).first.bounding_box() for part in PARTS]
    return [(round(box["x"]), round(box["width"])) for box in boxes]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [(1366, 900), (390, 844)], ids=["wide", "phone"])
def test_the_tours_and_guidebooks_tabs_list_each_once_and_look_alike(shared, browsing, size):
    page, log = browsing
    log.prefix = str(size[0])
    # A scroll bar shown on one page and not (yet) on the other moves everything by its width:
    # both pages keep one, so only their own layouts are compared.
    page.add_init_script(
        "document.addEventListener('DOMContentLoaded',"
        " () => { document.documentElement.style.overflowY = 'scroll'; });"
    )
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    page.goto(log.base_url + "/accounts/login/")
    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto(log.base_url + "/guidebooks/")
    expect(page.get_by_role("link", name="Harbour guide")).to_have_count(1)
    expect(page.locator("#results-title")).to_have_text("1 guidebook")
    guidebooks = layout(page)
    log.screenshot(page, "guidebooks", full_page=True)
    log.check_accessibility(page, "guidebooks")

    page.get_by_role("navigation", name="What to explore").get_by_role("link", name="Tours").click()
    expect(page.get_by_role("link", name="Harbour tour")).to_have_count(1)
    expect(page.locator("#results-title")).to_have_text("1 tour")
    tours = layout(page)
    log.screenshot(page, "tours", full_page=True)
    log.check_accessibility(page, "tours")

    assert tours == guidebooks
    for tab in ("guidebook", "tour"):
        page.goto(f"{log.base_url}/{tab}s/")
        expect(page.get_by_role("link", name=f"New {tab}")).to_be_visible()
    assert log.inaccessible == {}, log.inaccessible
    assert not log.violations and not log.blocked and not log.errors, (
        log.violations,
        log.blocked,
        log.errors,
    )
