"""The Mapillary stand-in: a real HTTP server that answers like Graph API v4."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from testing.fake_mapillary import (
    APPLICATION_TOKEN,
    OWNER,
    RECORDED_IMAGE_IDS,
    RECORDED_SEQUENCE,
    STRANGER,
    FakeMapillary,
)


@pytest.fixture
def fake():
    with FakeMapillary() as server:
        yield server


def get(fake: FakeMapillary, path: str, token: str = OWNER.token, **params) -> httpx.Response:
    return httpx.get(
        f"{fake.url}{path}", params=params, headers={"Authorization": f"OAuth {token}"}
    )


def test_it_listens_on_a_free_port_on_the_loopback_address(fake):
    assert fake.url.startswith("http://127.0.0.1:")
    assert fake.port != 0


def test_me_answers_for_the_tokens_user(fake):
    assert get(fake, "/me", fields="id,username").json() == {
        "id": OWNER.id,
        "username": OWNER.username,
    }
    assert get(fake, "/me", STRANGER.token, fields="id").json() == {"id": STRANGER.id}


def test_an_unknown_token_gets_mapillarys_code_190(fake):
    reply = get(fake, "/me", "MLY|nobody")
    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == 190


def test_with_any_token_every_token_is_its_own_user(fake):
    fake.any_token = True
    first = get(fake, "/me", "MLY|made-up-1", fields="id,username").json()
    again = get(fake, "/me", "MLY|made-up-1", fields="id,username").json()
    other = get(fake, "/me", "MLY|made-up-2", fields="id").json()
    assert first == again and first["id"] != other["id"]
    assert get(fake, "/me", fields="id").json() == {"id": OWNER.id}


def test_the_recorded_sequence_lists_its_images_in_order(fake):
    reply = get(fake, "/image_ids", sequence_id=RECORDED_SEQUENCE)
    assert [item["id"] for item in reply.json()["data"]] == RECORDED_IMAGE_IDS


def test_images_are_filtered_to_the_fields_asked_and_carry_their_creator(fake):
    reply = get(
        fake, "/images", image_ids=",".join(RECORDED_IMAGE_IDS[:2]), fields="creator,captured_at"
    )
    data = reply.json()["data"]
    assert [image["id"] for image in data] == RECORDED_IMAGE_IDS[:2]
    assert set(data[0]) == {"id", "creator", "captured_at"}
    assert data[0]["creator"] == {"id": OWNER.id, "username": OWNER.username}


def test_one_image_without_fields_is_only_its_id(fake):
    assert get(fake, f"/{RECORDED_IMAGE_IDS[0]}").json() == {"id": RECORDED_IMAGE_IDS[0]}
    reply = get(fake, f"/{RECORDED_IMAGE_IDS[0]}", fields="thumb_256_url")
    thumb = reply.json()["thumb_256_url"]
    assert thumb.startswith(fake.url)
    assert httpx.get(thumb).headers["content-type"] == "image/jpeg"


def test_a_generated_sequence_of_any_length_has_unique_stable_ids(fake):
    fake.add_sequence("tenthousand", 10_000, owner=STRANGER, pano=True)
    ids = [item["id"] for item in get(fake, "/image_ids", sequence_id="tenthousand").json()["data"]]
    assert len(ids) == len(set(ids)) == 10_000
    last = get(fake, "/images", image_ids=ids[-1], fields="creator,is_pano,captured_at").json()
    assert last["data"][0]["creator"]["id"] == STRANGER.id
    assert last["data"][0]["is_pano"] is True


def test_overrides_remove_or_change_an_images_fields(fake):
    fake.sequences[RECORDED_SEQUENCE].overrides[RECORDED_IMAGE_IDS[0]] = {
        "computed_geometry": None,
        "make": "Kodak",
    }
    image = get(fake, f"/{RECORDED_IMAGE_IDS[0]}", fields="computed_geometry,geometry,make").json()
    assert "computed_geometry" not in image
    assert image["make"] == "Kodak"


def test_a_fault_hits_only_matching_requests_after_the_first_ones(fake):
    fake.inject("server_error", "/images", after=1, times=2)
    statuses = [get(fake, "/images", image_ids="1").status_code for _ in range(4)]
    assert statuses == [200, 500, 500, 200]
    assert get(fake, "/me").status_code == 200


def test_a_rate_limit_carries_retry_after_and_code_4(fake):
    fake.inject("rate_limit", "/me", retry_after=3)
    reply = get(fake, "/me")
    assert reply.status_code == 429
    assert reply.headers["Retry-After"] == "3"
    assert reply.json()["error"]["code"] == 4


def test_truncated_json_is_cut_but_well_framed(fake):
    fake.inject("truncated", "/images")
    reply = get(fake, "/images", image_ids="1")
    assert reply.status_code == 200
    with pytest.raises(ValueError):
        reply.json()


def test_a_disconnect_closes_without_an_answer(fake):
    fake.inject("disconnect", "/me")
    with pytest.raises(httpx.RemoteProtocolError):
        get(fake, "/me")


def test_a_timeout_holds_the_request_past_the_clients_patience(fake):
    fake.inject("timeout", "/me", delay=1.0)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{fake.url}/me", headers={"Authorization": f"OAuth {OWNER.token}"}, timeout=0.2)


def test_latency_applies_to_every_request_and_requests_run_side_by_side(fake):
    fake.latency = 0.3
    headers = {"Authorization": f"OAuth {OWNER.token}"}
    with httpx.Client() as client, ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: client.get(f"{fake.url}/me", headers=headers), range(4)))
    assert all(reply.status_code == 200 for reply in replies)
    assert fake.peak_in_flight > 1


# Photos --------------------------------------------------------------------------------------


def test_the_application_token_reads_images_but_not_me(fake):
    fake.add_sequence("app-read", 2)
    ids = ",".join(fake.sequences["app-read"].all_ids())
    reply = get(fake, "/images", APPLICATION_TOKEN, image_ids=ids, fields="thumb_256_url")
    assert reply.status_code == 200
    assert len(reply.json()["data"]) == 2
    me = get(fake, "/me", APPLICATION_TOKEN)
    assert me.status_code == 400
    assert me.json()["error"]["code"] == 2500
    assert fake.refused["application_on_me"] == 1


def test_photo_links_are_signed_and_answer_a_jpeg_until_they_expire(fake):
    fake.add_sequence("signed", 1, pano=True)
    image_id = fake.sequences["signed"].image_id(0)
    link = get(fake, f"/{image_id}", fields="thumb_1024_url").json()["thumb_1024_url"]
    assert "oe=" in link and "oh=" in link
    photo = httpx.get(link)
    assert (photo.status_code, photo.headers["content-type"]) == (200, "image/jpeg")
    assert photo.content.startswith(b"\xff\xd8")
    assert httpx.get(link.replace("oh=", "oh=0")).status_code == 403
    assert httpx.get(link.replace("/1024.jpg", "/2048.jpg")).status_code == 403
    assert fake.refused["bad_signature"] == 2
    fake.link_ttl = -10
    expired = get(fake, f"/{image_id}", fields="thumb_256_url").json()["thumb_256_url"]
    assert httpx.get(expired).status_code == 403
    assert (fake.photos_served["1024"], fake.refused["expired"]) == (1, 1)
