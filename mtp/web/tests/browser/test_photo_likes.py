"""Photo likes in a real browser: the viewer's like button follows the photo shown and likes it
without a page load; a signed-out visitor sees the count and a sign-in link; Explore's Photos tab
shows the most liked photos. Screenshots are kept in ``test-output/browser/test_photo_likes/``."""

import pytest
from playwright.sync_api import expect

from mtp.sequences import actions
from testing.viewer import KEYS, WAIT_MS, open_page, photographed, wait_for_photo

PASSWORD = "another horse battery"  # Oscar's (testing.builders.PERSONAS)


@pytest.fixture
def walk(seeded, owner, other_user, fake_mapillary):
    # Before the browser starts: its event loop makes the database calls of this thread fail.
    sequence = photographed(owner, fake_mapillary, "Canal walk", 3)
    keys = KEYS[sequence.pk]
    # The second photo is liked once already, by Olivia herself.
    actions.like_image(owner, keys[1])
    sequence.keys = keys
    return sequence


def sign_in(page, site: str) -> None:
    page.goto(site + "/accounts/login/")
    page.get_by_label("Username").fill("oscar")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.django_db(transaction=True)
def test_the_like_button_follows_the_photo_and_likes_it_without_a_page_load(
    walk, browsing, fake_mapillary
):
    page, log = browsing
    log.prefix = "like"
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    keys = walk.keys
    sign_in(page, log.base_url)
    open_page(page, log, fake_mapillary, walk.get_absolute_url())
    wait_for_photo(page, keys[0])
    count = page.locator("#photo-like-count")
    button = page.locator("#photo-like-button")
    expect(count).to_have_text("0 likes")
    expect(button).to_have_attribute("aria-pressed", "false")
    # Marks the page: a page load would lose it.
    page.evaluate("() => { window.notReloaded = true; }")

    page.locator("body").focus()
    page.keyboard.press("ArrowRight")
    wait_for_photo(page, keys[1])
    expect(count).to_have_text("1 like")
    button.click()
    expect(count).to_have_text("2 likes")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_contain_text("Liked")
    expect(page.locator("#photo-like-status")).to_have_text("You like this photo.")
    log.screenshot(page, "liked", full_page=True)

    # Another photo: its own count and button; back again, the like is still there.
    page.keyboard.press("ArrowRight")
    wait_for_photo(page, keys[2])
    expect(count).to_have_text("0 likes")
    expect(button).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("ArrowLeft")
    wait_for_photo(page, keys[1])
    expect(count).to_have_text("2 likes")
    button.click()
    expect(count).to_have_text("1 like")
    expect(button).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("() => window.notReloaded") is True
    log.check_accessibility(page, "viewer with a like button")
    assert log.inaccessible == {}
    assert log.errors == [] and log.violations == []
    assert log.blocked == []


@pytest.mark.django_db(transaction=True)
def test_a_signed_out_visitor_sees_the_count_and_a_sign_in_link_back_to_the_photo(
    walk, browsing, fake_mapillary
):
    page, log = browsing
    log.prefix = "signed-out"
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    keys = walk.keys
    open_page(page, log, fake_mapillary, walk.get_absolute_url())
    wait_for_photo(page, keys[0])
    page.locator("body").focus()
    page.keyboard.press("ArrowRight")
    wait_for_photo(page, keys[1])
    expect(page.locator("#photo-like-count")).to_have_text("1 like")
    expect(page.locator("#photo-like-button")).to_have_count(0)
    login = page.get_by_role("link", name="Log in to like this photo")
    expect(login).to_have_attribute(
        "href", f"/accounts/login/?next=%2Fsequences%2F{walk.unique_id}%2F%3Fphoto%3D{keys[1]}"
    )
    log.check_accessibility(page, "viewer signed out")
    assert log.inaccessible == {}
    assert log.errors == [] and log.violations == []
    assert log.blocked == []


@pytest.mark.django_db(transaction=True)
def test_explore_s_photos_tab_shows_the_most_liked_photos(walk, browsing, fake_mapillary):
    page, log = browsing
    log.prefix = "photos-tab"
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    log.allowed.append(fake_mapillary.url)
    page.goto(f"{log.base_url}/")
    page.get_by_role("navigation", name="What to explore").get_by_role(
        "link", name="Photos"
    ).click()
    page.wait_for_url("**/photos/")
    item = page.locator(".liked-photo")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-key", walk.keys[1])
    expect(item).to_contain_text("Canal walk")
    expect(item).to_contain_text("1 like")
    expect(item.get_by_role("link", name="Olivia")).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.liked-photo img')].every((i) => i.complete)"
    )
    log.screenshot(page, "photos-tab", full_page=True)
    log.check_accessibility(page, "photos tab")
    item.get_by_role("link", name="A photo of Canal walk").click()
    page.wait_for_function(
        "(key) => document.getElementById('viewer')?.dataset.shown === key",
        arg=walk.keys[1],
        timeout=WAIT_MS,
    )
    expect(page.locator("#photo-like-count")).to_have_text("1 like")
    assert log.inaccessible == {}
    assert log.errors == [] and log.violations == []
    assert log.blocked == []
