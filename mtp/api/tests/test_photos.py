"""GET /api/v1/images/<mapillary_key>/thumbnail, and the image objects' stable photo links."""

import io
import json
import logging
import math
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image as Picture

from mtp.sequences import links, photos
from mtp.sequences.models import Image
from testing.builders import API, make_sequence

SITE = "http://127.0.0.1:8000"


def with_photos(fake, owner, key: str = "photo-walk", count: int = 5, **options):
    """A sequence whose images are the stand-in's generated sequence ``key``."""
    generated = fake.add_sequence(key, count, **options)
    sequence = make_sequence(owner, route=[(6.0 + n / 1000, 46.0) for n in range(count)])
    Image.objects.filter(sequence=sequence).delete()
    Image.objects.bulk_create(
        Image(
            sequence=sequence,
            key=generated.image_id(index),
            mapillary_key=generated.image_id(index),
            position=index,
            point=Point(6.0 + index / 1000, 46.0, srid=4326),
            # What an import stored: Mapillary's signed link, which must never come out.
            thumb_1024_url=f"https://scontent.example/{index}.jpg?oe=1&oh=stored",
        )
        for index in range(count)
    )
    return sequence, generated.all_ids()


def photo(key: str, size: str = "1024") -> str:
    return f"{API}/images/{key}/thumbnail?size={size}"


def keep(image_key: str, data: bytes = b"\xff\xd8kept copy\xff\xd9") -> None:
    name = default_storage.save(f"photos/test/{image_key}.jpg", ContentFile(data))
    Image.objects.filter(mapillary_key=image_key).update(kept_copy=name)


# The image objects ----------------------------------------------------------------------------


def test_image_objects_carry_the_servers_own_stable_links(client, app, owner, fake_mapillary):
    sequence, keys = with_photos(fake_mapillary, owner)
    reply = client.get(f"{API}/sequence/{sequence.unique_id}/images", {"client_id": app.client_id})
    first = reply.json()["results"][0]
    assert first["thumb_256_url"] == f"{SITE}/api/v1/images/{keys[0]}/thumbnail?size=256"
    assert first["thumb_1024_url"] == f"{SITE}/api/v1/images/{keys[0]}/thumbnail?size=1024"
    assert first["thumb_2048_url"] == f"{SITE}/api/v1/images/{keys[0]}/thumbnail?size=2048"
    assert first["thumb_original_url"].endswith("/thumbnail?size=original")
    assert "stored" not in reply.content.decode()
    assert links.photo_url(keys[0]) == first["thumb_1024_url"]


def test_unpublished_sequences_give_their_owner_signed_links(client, owner, owner_headers):
    sequence = make_sequence(owner, status="importing")
    reply = client.get(f"{API}/sequence/{sequence.unique_id}/images", **owner_headers)
    link = reply.json()["results"][0]["thumb_1024_url"]
    query = parse_qs(urlsplit(link).query)
    assert query["size"] == ["1024"]
    assert int(query["expires"][0]) > time.time() + links.PRIVATE_LINK_DAYS * 86_400 - 1
    assert len(query["signature"][0]) == 32


def test_a_photo_url_refuses_an_unknown_size():
    with pytest.raises(ValueError):
        links.photo_url("123", "512")


# The endpoint ---------------------------------------------------------------------------------


def test_a_photo_redirects_to_a_freshly_signed_link_that_gives_a_jpeg(
    client, owner, fake_mapillary
):
    _sequence, keys = with_photos(fake_mapillary, owner)
    reply = client.get(photo(keys[0]))
    assert reply.status_code == 302
    assert reply["Location"].startswith(f"{fake_mapillary.url}/thumbs/{keys[0]}/1024.jpg?oe=")
    assert reply["Cache-Control"].startswith("public, max-age=")
    image = httpx.get(reply["Location"])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.content[:2] == b"\xff\xd8"
    assert fake_mapillary.photos_served["1024"] == 1


def test_panoramas_are_two_to_one(client, owner, fake_mapillary):
    _sequence, keys = with_photos(fake_mapillary, owner, "pano-walk", 2, pano=True)
    location = client.get(photo(keys[1], "2048"))["Location"]
    picture = Picture.open(io.BytesIO(httpx.get(location).content))
    assert picture.size == (2048, 1024)


def test_photos_are_resolved_a_batch_at_a_time(client, owner, fake_mapillary, settings):
    settings.MAPILLARY_BATCH_SIZE = 4
    _sequence, keys = with_photos(fake_mapillary, owner, count=10)
    for key in keys:
        assert client.get(photo(key)).status_code == 302
    # Each miss resolves the photo and the next three: photos 0-3, 4-7, 8-9.
    assert fake_mapillary.count("/images") == math.ceil(10 / 4)
    for _method, path, query, authorization in fake_mapillary.requests:
        if path == "/images":
            assert authorization == f"OAuth {settings.MAPILLARY_CLIENT_TOKEN}"
            assert "thumb_1024_url" in query["fields"][0]


def test_resolving_many_photos_costs_one_call_per_batch(owner, fake_mapillary, settings):
    settings.MAPILLARY_BATCH_SIZE = 50
    _sequence, keys = with_photos(fake_mapillary, owner, count=120)
    links = photos.resolve(keys)
    assert set(links) == set(keys)
    assert fake_mapillary.count("/images") == 3
    # Known links are read from the images' rows, without asking again.
    assert photos.resolve(keys) == links
    assert fake_mapillary.count("/images") == 3


def test_links_are_asked_again_before_they_expire(client, owner, fake_mapillary):
    # Links last just past the margin: usable for one second.
    fake_mapillary.link_ttl = photos.EXPIRY_MARGIN + 1
    _sequence, keys = with_photos(fake_mapillary, owner, count=2)
    first = client.get(photo(keys[0]))["Location"]
    time.sleep(1.2)
    second = client.get(photo(keys[0]))["Location"]
    assert second != first
    assert fake_mapillary.count("/images") == 2
    assert httpx.get(second).status_code == 200
    assert fake_mapillary.refused["expired"] == 0


def test_an_expired_link_is_refused_by_the_stand_in(fake_mapillary):
    fake_mapillary.add_sequence("expiring", 1)
    fake_mapillary.link_ttl = -1
    image = fake_mapillary.find_image(fake_mapillary.sequences["expiring"].image_id(0))
    assert httpx.get(image["thumb_256_url"]).status_code == 403
    assert fake_mapillary.refused["expired"] == 1


def test_an_unknown_key_is_a_404_in_the_api_shape(client, db):
    reply = client.get(photo("1234567890"))
    assert reply.status_code == 404
    assert reply.json()["error"] == "No photo with this key."
    assert client.get(f"{API}/images/{'x' * 300}/thumbnail").status_code == 404
    assert client.get(f"{API}/images/nothing-here").json()["detail"]["sizes"] == list(links.SIZES)


@pytest.mark.parametrize("size", ["512", "", "ORIGINAL", "1024x"])
def test_an_unknown_size_is_a_422(client, owner, fake_mapillary, size):
    _sequence, keys = with_photos(fake_mapillary, owner, count=1)
    reply = client.get(photo(keys[0], size))
    assert reply.status_code == 422
    assert reply.json()["detail"]["errors"][0]["field"] == "size"


def test_other_methods_are_refused(client, owner, fake_mapillary):
    _sequence, keys = with_photos(fake_mapillary, owner, count=1)
    reply = client.post(photo(keys[0]))
    assert reply.status_code == 405
    assert reply["Allow"] == "GET, HEAD"


# Private photos -------------------------------------------------------------------------------


def test_photos_of_an_unpublished_sequence_are_the_owners_only(
    client, owner, other_user, owner_headers, other_headers, fake_mapillary
):
    sequence, keys = with_photos(fake_mapillary, owner, count=1)
    sequence.status = "importing"
    sequence.published_at = None
    sequence.save()
    assert client.get(photo(keys[0])).status_code == 404
    assert client.get(photo(keys[0]), **other_headers).status_code == 404
    assert client.get(photo(keys[0]), **owner_headers).status_code == 302
    signed = links.photo_url(keys[0], private=True).removeprefix(SITE)
    assert client.get(signed).status_code == 302
    assert client.get(signed.replace("signature=", "signature=0")).status_code == 404
    other_key = signed.replace(keys[0], "another-key")
    assert client.get(other_key).status_code == 404
    client.force_login(other_user)
    assert client.get(photo(keys[0])).status_code == 404
    client.force_login(owner)
    assert client.get(photo(keys[0])).status_code == 302


def test_an_expired_private_link_is_refused(client, owner, fake_mapillary):
    sequence, keys = with_photos(fake_mapillary, owner, count=1)
    sequence.status = "failed"
    sequence.published_at = None
    sequence.save()
    expires = int(time.time()) - 1
    signature = links.link_signature(keys[0], expires)
    stale = f"{photo(keys[0])}&expires={expires}&signature={signature}"
    assert client.get(stale).status_code == 404


# When Mapillary cannot give the photo ---------------------------------------------------------


def test_without_a_client_token_photos_are_unavailable_not_broken(
    client, owner, fake_mapillary, settings
):
    settings.MAPILLARY_CLIENT_TOKEN = ""
    _sequence, keys = with_photos(fake_mapillary, owner, count=2)
    reply = client.get(photo(keys[0]))
    assert reply.status_code == 503
    assert "MAPILLARY_CLIENT_TOKEN" in reply.json()["error"]
    keep(keys[1])
    kept = client.get(photo(keys[1]))
    assert kept.status_code == 200
    assert kept["Content-Type"] == "image/jpeg"
    assert kept.content == b"\xff\xd8kept copy\xff\xd9"
    assert fake_mapillary.count("/images") == 0


def test_a_refused_client_token_is_told_to_operators_never_a_500(
    client, owner, fake_mapillary, caplog
):
    _sequence, keys = with_photos(fake_mapillary, owner, count=2)
    fake_mapillary.applications.clear()
    with caplog.at_level(logging.ERROR, logger="mtp.sequences.photos"):
        reply = client.get(photo(keys[0]))
    assert reply.status_code == 503
    assert reply.json()["error"] == "Photos are not available right now."
    assert "MAPILLARY_CLIENT_TOKEN was refused by Mapillary (HTTP 401, code 190)" in caplog.text
    assert photos.token_refusal()["code"] == 190
    keep(keys[1])
    assert client.get(photo(keys[1])).status_code == 200


def test_a_photo_mapillary_dropped_is_served_from_its_kept_copy(client, owner, fake_mapillary):
    _sequence, keys = with_photos(fake_mapillary, owner, count=2)
    fake_mapillary.sequences["photo-walk"].withheld.update(keys)
    reply = client.get(photo(keys[0]))
    assert reply.status_code == 404
    assert "no longer has this photo" in reply.json()["error"]
    keep(keys[1])
    assert client.get(photo(keys[1])).content == b"\xff\xd8kept copy\xff\xd9"


def test_with_mapillary_down_kept_copies_are_served(client, owner, fake_mapillary):
    _sequence, keys = with_photos(fake_mapillary, owner, count=2)
    keep(keys[0])
    fake_mapillary.inject("server_error", "/images", times=None)
    reply = client.get(photo(keys[0]))
    assert reply.status_code == 200
    assert reply["Content-Type"] == "image/jpeg"
    reply = client.get(photo(keys[1]))
    assert reply.status_code == 503
    assert reply["Retry-After"]


def test_photos_are_rate_limited_per_address(client, owner, fake_mapillary, settings):
    settings.MTP_API_RATE_PHOTOS = 3
    _sequence, keys = with_photos(fake_mapillary, owner, count=1)
    statuses = [client.get(photo(keys[0])).status_code for _ in range(25)]
    assert statuses.count(302) >= 3
    assert statuses[-1] == 429


# Covers ---------------------------------------------------------------------------------------


def patch(client, sequence, headers, body):
    return client.patch(
        f"{API}/sequence/{sequence.unique_id}",
        json.dumps(body),
        content_type="application/json",
        **headers,
    )


def test_the_cover_is_the_first_photo_until_the_owner_picks_one(client, app, owner, owner_headers):
    sequence = make_sequence(owner)
    keys = list(Image.objects.filter(sequence=sequence).values_list("mapillary_key", flat=True))
    read = client.get(f"{API}/sequence/{sequence.unique_id}", {"client_id": app.client_id})
    assert read.json()["cover"] == {
        "key": keys[0],
        "mapillary_key": keys[0],
        **{f"thumb_{size}_url": links.photo_url(keys[0], size) for size in links.SIZES},
    }
    reply = patch(client, sequence, owner_headers, {"cover": keys[2]})
    assert reply.status_code == 200
    assert reply.json()["sequence"]["cover"]["mapillary_key"] == keys[2]
    read = client.get(f"{API}/sequence/{sequence.unique_id}", {"client_id": app.client_id})
    assert read.json()["cover"]["thumb_1024_url"] == links.photo_url(keys[2])
    # Back to the first photo.
    reply = patch(client, sequence, owner_headers, {"cover": None})
    assert reply.status_code == 200, reply.json()
    assert reply.json()["sequence"]["cover"]["mapillary_key"] == keys[0]


def test_search_results_carry_each_sequences_cover(client, app, owner, owner_headers):
    first = make_sequence(owner, name="First")
    second = make_sequence(owner, name="Second")
    no_photos = make_sequence(owner, name="Bare", images=False)
    picked = Image.objects.get(sequence=second, position=3)
    patch(client, second, owner_headers, {"cover": picked.mapillary_key})
    reply = client.get(f"{API}/sequences", {"client_id": app.client_id})
    covers = {item["name"]: item["cover"] for item in reply.json()["results"]}
    assert covers["First"]["mapillary_key"] == f"{first.pk}-0"
    assert covers["Second"]["mapillary_key"] == picked.mapillary_key
    assert covers["Bare"] is None
    assert no_photos.pk


def test_a_cover_from_elsewhere_is_refused(client, owner, other_user, owner_headers):
    sequence = make_sequence(owner)
    elsewhere = make_sequence(other_user, name="Someone else's")
    for cover in [f"{elsewhere.pk}-0", "no-such-photo", "x" * 101]:
        reply = patch(client, sequence, owner_headers, {"cover": cover})
        assert reply.status_code == 422
        assert reply.json()["detail"]["errors"][0]["field"] == "cover"
    sequence.refresh_from_db()
    assert sequence.cover_id is None


def test_a_draft_cover_is_signed_for_its_owner(client, owner, owner_headers):
    sequence = make_sequence(owner, status="importing")
    reply = client.get(f"{API}/sequence/{sequence.unique_id}", **owner_headers)
    assert "&signature=" in reply.json()["cover"]["thumb_256_url"]
