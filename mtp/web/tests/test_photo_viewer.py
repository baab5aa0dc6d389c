"""The photos on the pages: a sequence's viewer as the server renders it, the cover on explore
and on the edit page, and what the pages say when this server cannot show photos."""

import re

import pytest

from mtp.sequences.links import photo_url
from mtp.sequences.models import Sequence
from mtp.web.tests.conftest import publish

TOKEN = "MLY|1234|a-client-secret"


@pytest.fixture
def with_photos(settings):
    settings.MAPILLARY_CLIENT_TOKEN = TOKEN


@pytest.fixture
def without_photos(settings):
    settings.MAPILLARY_CLIENT_TOKEN = ""


def keys_of(sequence) -> list[str]:
    return list(sequence.images.order_by("position").values_list("mapillary_key", flat=True))


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_page_opens_on_the_first_photo_with_its_place_and_time(client, owner, with_photos):
    sequence = publish(owner, "Canal walk", photos=3, start=(4.89, 52.37))
    keys = keys_of(sequence)
    html = page_of(client, sequence.get_absolute_url())
    image = re.search(r'<img id="photo-image"[^>]*>', html).group(0)
    assert f'src="{photo_url(keys[0], "1024")}"' in image
    assert (
        'alt="Canal walk: photo 1 of 3, at 52.37000° N, 4.89000° E, taken 3 May 2024, 07:30 UTC"'
        in image
    )
    assert "Photo 1 of 3" in html
    assert f'id="photo-next" rel="next" href="?photo={keys[1]}"' in html
    assert 'id="photo-previous" rel="prev" aria-disabled="true"' in html
    strip = re.findall(r'data-key="([^"]+)"', html)
    assert strip == keys
    assert html.count('aria-current="true"') == 1
    # Never a link Mapillary signed: only this server's own.
    assert "fbcdn" not in html and "oe=" not in html


@pytest.mark.django_db
def test_the_address_opens_its_photo_and_an_unknown_one_opens_the_first(client, owner, with_photos):
    sequence = publish(owner, photos=5)
    keys = keys_of(sequence)
    html = page_of(client, f"{sequence.get_absolute_url()}?photo={keys[3]}")
    assert f'src="{photo_url(keys[3], "1024")}"' in html
    assert "Photo 4 of 5" in html
    assert f'href="?photo={keys[2]}"' in html and f'href="?photo={keys[4]}"' in html
    html = page_of(client, f"{sequence.get_absolute_url()}?photo=nope")
    assert f'src="{photo_url(keys[0], "1024")}"' in html


@pytest.mark.django_db
def test_a_panorama_is_shown_at_2048_with_cors_for_the_panorama_viewer(client, owner, with_photos):
    sequence = publish(owner, photos=2, is_pano=True)
    sequence.images.update(is_pano=True)
    key = keys_of(sequence)[0]
    html = page_of(client, sequence.get_absolute_url())
    image = re.search(r'<img id="photo-image"[^>]*>', html).group(0)
    assert f'src="{photo_url(key, "2048")}"' in image and 'crossorigin="anonymous"' in image
    assert "a 360° panorama" in image
    assert "vendor/pannellum/pannellum.js" in html  # the viewer's config names it


@pytest.mark.django_db
def test_the_strip_shows_the_photos_around_the_current_one(client, owner, with_photos):
    sequence = publish(owner, photos=30)
    keys = keys_of(sequence)
    html = page_of(client, f"{sequence.get_absolute_url()}?photo={keys[20]}")
    assert re.findall(r'data-key="([^"]+)"', html) == keys[15:26]
    html = page_of(client, f"{sequence.get_absolute_url()}?photo={keys[29]}")
    assert re.findall(r'data-key="([^"]+)"', html) == keys[19:30]


@pytest.mark.django_db
def test_without_a_token_or_kept_copies_the_page_says_photos_are_not_available(
    client, owner, without_photos
):
    sequence = publish(owner, photos=3)
    html = page_of(client, sequence.get_absolute_url())
    assert "Photos are not available on this server" in html
    assert 'id="photo-image"' not in html and "/thumbnail" not in html
    assert 'data-map="sequence"' in html  # the route is still there


@pytest.mark.django_db
def test_without_a_token_kept_copies_are_shown(client, owner, without_photos):
    sequence = publish(owner, photos=3)
    sequence.images.update(kept_copy="photos/kept.jpg")
    html = page_of(client, sequence.get_absolute_url())
    assert 'id="photo-image"' in html and "not available" not in html


@pytest.mark.django_db
def test_only_the_owner_is_offered_to_make_a_photo_the_cover(
    client, owner_client, owner, with_photos
):
    sequence = publish(owner, photos=3)
    keys = keys_of(sequence)
    url = f"{sequence.get_absolute_url()}?photo={keys[1]}"
    cover = f'href="/my/sequences/{sequence.unique_id}/edit/?cover={keys[1]}"'
    assert cover in page_of(owner_client, url)
    assert "Make this the cover" not in page_of(client, url)


@pytest.mark.django_db
def test_the_owner_picks_the_cover_on_the_edit_page(owner_client, owner, with_photos):
    sequence = publish(owner, photos=40)
    keys = keys_of(sequence)
    edit = f"/my/sequences/{sequence.unique_id}/edit/"
    html = page_of(owner_client, f"{edit}?cover={keys[7]}")
    offered = re.findall(r'name="cover" value="([^"]+)"', html)
    assert keys[0] in offered and keys[7] in offered and len(offered) <= 13
    assert re.search(rf'value="{keys[7]}"[^>]*checked', html)
    assert photo_url(keys[7], "256") in html
    form = {
        "name": sequence.name,
        "description": "",
        "transport_type": sequence.transport_type_id,
        "tags": "",
        "google_street_view": "",
        "strava": "",
        "cover": keys[7],
    }
    response = owner_client.post(edit, form)
    assert response.status_code == 302
    sequence.refresh_from_db()
    assert sequence.cover.mapillary_key == keys[7]


@pytest.mark.django_db
def test_a_photo_of_another_sequence_cannot_be_the_cover(owner_client, owner, with_photos):
    sequence = publish(owner, photos=3)
    elsewhere = keys_of(publish(owner, "Elsewhere", photos=3))[1]
    edit = f"/my/sequences/{sequence.unique_id}/edit/"
    form = {
        "name": sequence.name,
        "transport_type": sequence.transport_type_id,
        "cover": elsewhere,
    }
    response = owner_client.post(edit, form)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Sequence.objects.get(pk=sequence.pk).cover is None


@pytest.mark.django_db
def test_explore_shows_each_sequence_with_its_cover(client, owner, with_photos):
    first = publish(owner, "Plain")
    covered = publish(owner, "Covered", photos=4)
    covered.cover = covered.images.get(position=2)
    covered.save()
    html = page_of(client, "/explore/results")
    assert photo_url(keys_of(first)[0], "256") in html
    assert photo_url(keys_of(covered)[2], "256") in html
    assert photo_url(keys_of(covered)[0], "256") not in html


@pytest.mark.django_db
def test_explore_shows_no_covers_when_photos_are_not_available(client, owner, without_photos):
    publish(owner, "Plain")
    assert "/thumbnail" not in page_of(client, "/explore/results")
