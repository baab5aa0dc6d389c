"""The STAC API: /api, its collections (published sequences) and items (their photos), and the
photo search, read with pystac-client and checked with stac-validator."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mtp.sequences.links import photo_url
from mtp.sequences.models import CameraMake, CameraModel, Image, Sequence
from mtp.sequences.stac import PERSPECTIVE_EXTENSION, VIEW_EXTENSION
from testing.builders import make_sequence, publish, sequence_along
from testing.stac import open_client, stac_errors

CONFORMANCE = {
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/collections",
    "https://api.stacspec.org/v1.0.0/ogcapi-features",
    "https://api.stacspec.org/v1.0.0/item-search",
}
MAY_1 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(owner, other_user) -> dict[str, Sequence]:
    """Published walks in London, Paris and Tokyo (five photos each, on three days), and a
    draft, an import under way and a failed import, each with photos of its own in London."""
    london = publish(owner, "Thames walk", start=(-0.12, 51.5), captured=MAY_1, tags=("river",))
    paris = publish(
        other_user, "Seine walk", start=(2.35, 48.85), captured=MAY_1 + timedelta(days=1)
    )
    tokyo = publish(owner, "Shibuya walk", start=(139.7, 35.66), captured=MAY_1 + timedelta(2))
    hidden = {
        status: publish(owner, f"{status} walk", start=(-0.12, 51.5), captured=MAY_1)
        for status in ("draft", "importing", "failed")
    }
    for status, sequence in hidden.items():
        Sequence.objects.filter(pk=sequence.pk).update(status=status)
    return {"london": london, "paris": paris, "tokyo": tokyo, **hidden}


def keys(sequence: Sequence) -> set[str]:
    return set(Image.objects.filter(sequence=sequence).values_list("key", flat=True))


def all_features(client, url: str | None) -> list[dict]:
    """Every feature of a paged list, following its next links."""
    features: list[dict] = []
    while url:
        reply = client.get(url)
        assert reply.status_code == 200, reply.content
        body = reply.json()
        features += body["features"]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    return features


# The landing page -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api", "/api/"])
def test_the_landing_page_says_what_the_api_conforms_to_and_where_its_parts_are(client, path):
    reply = client.get(path)

    assert reply.status_code == 200
    body = reply.json()
    assert CONFORMANCE <= set(body["conformsTo"])
    links = {(link["rel"], link.get("method")): link["href"] for link in body["links"]}
    assert links[("conformance", None)].endswith("/api/conformance")
    assert links[("data", None)].endswith("/api/collections")
    assert links[("search", "GET")].endswith("/api/search")
    assert links[("search", "POST")].endswith("/api/search")
    assert stac_errors(body) == []
    assert set(client.get("/api/conformance").json()["conformsTo"]) == set(body["conformsTo"])


def test_pystac_client_opens_the_api_and_lists_only_published_sequences(world):
    stac, _ = open_client("http://testserver/api")

    found = {collection.id for collection in stac.get_collections()}

    assert found == {str(world[name].unique_id) for name in ("london", "paris", "tokyo")}
    assert stac.conforms_to("ITEM_SEARCH")


# Search -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_pystac_client_searches_a_box_page_by_page(world, method):
    stac, adapter = open_client("http://testserver/api")

    search = stac.search(bbox=[-1, 51, 1, 52], limit=2, method=method)
    found = [item.id for item in search.items()]

    assert sorted(found) == sorted(keys(world["london"]))
    assert len([request for request in adapter.requests if "search" in request[1]]) == 3


def test_pystac_client_searches_by_time_collection_and_id(world):
    stac, _ = open_client("http://testserver/api")
    paris_day = (MAY_1 + timedelta(days=1)).date().isoformat()

    by_day = {item.id for item in stac.search(datetime=paris_day).items()}
    by_collection = {
        item.id for item in stac.search(collections=[str(world["tokyo"].unique_id)]).items()
    }
    some = sorted(keys(world["paris"]))[:2]
    by_id = {item.id for item in stac.search(ids=some).items()}

    assert by_day == keys(world["paris"])
    assert by_collection == keys(world["tokyo"])
    assert by_id == set(some)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-02T09:00:00Z", {"paris-first"}),
        ("2024-05-02T00:00:00Z/2024-05-02T23:59:59Z", {"paris"}),
        ("../2024-05-01T23:59:59Z", {"london"}),
        ("2024-05-02T00:00:00Z/..", {"paris", "tokyo"}),
        ("/2024-05-01T23:59:59+00:00", {"london"}),
        ("2024-05-03T00:00:00+02:00/", {"tokyo"}),
    ],
)
def test_a_search_by_datetime_takes_a_moment_and_closed_and_open_intervals(
    client, world, value, expected
):
    query = urlencode({"datetime": value, "limit": 100})
    found = {item["id"] for item in all_features(client, f"/api/search?{query}")}

    wanted: set[str] = set()
    for name in expected:
        if name == "paris-first":
            wanted.add(Image.objects.get(sequence=world["paris"], position=0).mapillary_key)
        else:
            wanted |= keys(world[name])
    assert found == wanted


def test_a_box_across_180_degrees_finds_the_photos_on_both_sides(client, owner):
    east = publish(owner, "Fiji east", start=(179.99, -17.0), photos=2)
    west = publish(owner, "Fiji west", start=(-179.999, -17.0), photos=1)
    publish(owner, "Far away", start=(0.0, -17.0), photos=1)

    found = {item["id"] for item in all_features(client, "/api/search?bbox=179,-18,-179,-16")}

    assert found == keys(east) | keys(west)


def test_a_box_holds_the_photos_on_its_edges(client, owner):
    walk = publish(owner, "Edge walk", start=(10.0, 50.0), photos=2)
    edge = "10.001,50.0005,10.001,50.0005"

    found = {item["id"] for item in all_features(client, f"/api/search?bbox={edge}")}

    assert found == {Image.objects.get(sequence=walk, position=1).mapillary_key}


def test_a_post_search_pages_with_a_body_in_its_next_link(client, world):
    body = {"bbox": [-1, 51, 1, 52], "limit": 3}

    first = client.post("/api/search", json.dumps(body), content_type="application/json").json()
    following = next(link for link in first["links"] if link["rel"] == "next")
    second = client.post(
        "/api/search", json.dumps(following["body"]), content_type="application/json"
    ).json()

    assert following["method"] == "POST"
    assert len(first["features"]) == 3
    assert {item["id"] for item in first["features"] + second["features"]} == keys(world["london"])
    assert not [link for link in second["links"] if link["rel"] == "next"]


def test_a_limit_over_the_most_gives_the_most(client, world):
    reply = client.get("/api/search?limit=5000")

    assert reply.status_code == 200
    assert len(reply.json()["features"]) == 15


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=-200,0,10,10", "bbox"),
        ("bbox=0,10,10,0", "bbox"),
        ("bbox=0,0,nan,10", "bbox"),
        ("datetime=yesterday", "datetime"),
        ("datetime=2024-05-01", "datetime"),
        ("datetime=../..", "datetime"),
        ("datetime=2024-05-02T00:00:00Z/2024-05-01T00:00:00Z", "datetime"),
        ("limit=0", "limit"),
        ("limit=-3", "limit"),
        ("limit=ten", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("intersects=%7B%7D", "intersects"),
        ("sortby=datetime", "sortby"),
    ],
)
def test_each_bad_search_parameter_is_a_400_naming_it(client, world, query, field):
    reply = client.get(f"/api/search?{query}")

    assert reply.status_code == 400
    body = reply.json()
    assert body["error"].startswith(field) or field in body["error"]
    assert body["code"] == "InvalidParameterValue"
    assert body["description"] == body["error"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"bbox": "0,0,1"}', "bbox"),
        (b'{"bbox": [0, 0, true, 1]}', "bbox"),
        (b'{"collections": "a,b", "ids": 7}', "ids"),
        (b'{"limit": 1.5}', "limit"),
        (b'{"limit": true}', "limit"),
        (b'{"datetime": 20240501}', "datetime"),
        (b'{"intersects": {"type": "Point", "coordinates": [0, 0]}}', "intersects"),
    ],
)
def test_each_bad_search_body_is_a_400_naming_it(client, world, body, words):
    reply = client.post("/api/search", body, content_type="application/json")

    assert reply.status_code == 400
    assert words in reply.json()["error"]


def test_a_search_page_costs_the_same_queries_whatever_its_size(client, world):
    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            reply = client.get(f"/api/search?bbox=-180,-90,180,90&limit={limit}")
        assert len(reply.json()["features"]) == limit
        return len(captured)

    client.get("/api/search")  # what a process reads once
    assert queries(1) == queries(12)


# Collections and items --------------------------------------------------------------------------


def test_drafts_imports_and_failures_are_nowhere(client, world):
    hidden = [world[status] for status in ("draft", "importing", "failed")]
    hidden_keys = set().union(*(keys(sequence) for sequence in hidden))

    searched = {item["id"] for item in all_features(client, "/api/search?limit=1000")}
    listed = {c["id"] for c in client.get("/api/collections").json()["collections"]}
    owner_children = [
        link["href"]
        for link in client.get("/api/users/olivia/collection").json()["links"]
        if link["rel"] == "child"
    ]

    assert not searched & hidden_keys
    assert searched == keys(world["london"]) | keys(world["paris"]) | keys(world["tokyo"])
    for sequence in hidden:
        some_key = sorted(keys(sequence))[0]
        assert str(sequence.unique_id) not in listed
        assert not [href for href in owner_children if href.endswith(str(sequence.unique_id))]
        for path in ("", "/items", f"/items/{some_key}"):
            reply = client.get(f"/api/collections/{sequence.unique_id}{path}")
            assert reply.status_code == 404
            assert reply.json()["code"] == "NotFound"
        by_id = client.get(f"/api/search?ids={some_key}").json()
        assert by_id["features"] == []


def test_a_collection_describes_its_sequence(client, world):
    london = world["london"]

    body = client.get(f"/api/collections/{london.unique_id}").json()

    assert body["id"] == str(london.unique_id)
    assert body["title"] == "Thames walk"
    assert body["keywords"] == ["river"]
    assert body["providers"][0]["name"] == "olivia"
    assert body["stats:items"] == {"count": 5}
    assert body["extent"]["temporal"]["interval"] == [
        ["2024-05-01T09:00:00Z", "2024-05-01T09:00:40Z"]
    ]
    assert body["extent"]["spatial"]["bbox"][0] == pytest.approx([-0.12, 51.5, -0.116, 51.502])
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert rels["items"].endswith(f"/api/collections/{london.unique_id}/items")
    assert rels["root"].endswith("/api")
    assert stac_errors(body) == []


def test_collections_page_by_next_links_and_narrow_by_box_and_time(client, world):
    first = client.get("/api/collections?limit=2").json()
    following = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = client.get(following).json()
    in_europe = client.get("/api/collections?bbox=-5,40,10,55").json()
    on_may_3 = client.get("/api/collections?datetime=2024-05-03T00:00:00Z/..").json()

    paged = [c["id"] for c in first["collections"] + second["collections"]]
    assert sorted(paged) == sorted(str(world[n].unique_id) for n in ("london", "paris", "tokyo"))
    assert {c["id"] for c in in_europe["collections"]} == {
        str(world["london"].unique_id),
        str(world["paris"].unique_id),
    }
    assert [c["id"] for c in on_may_3["collections"]] == [str(world["tokyo"].unique_id)]
    assert client.get("/api/collections?bbox=1,2").status_code == 400


def test_a_collection_page_costs_the_same_queries_whatever_its_size(client, world):
    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            reply = client.get(f"/api/collections?limit={limit}")
        assert len(reply.json()["collections"]) == limit
        return len(captured)

    client.get("/api/collections")  # what a process reads once (the transport types)
    assert queries(1) == queries(3)


def test_a_collections_items_come_in_capture_order_page_by_page(client, world):
    london = world["london"]

    features = all_features(client, f"/api/collections/{london.unique_id}/items?limit=2")

    expected = list(
        Image.objects.filter(sequence=london)
        .order_by("position")
        .values_list("mapillary_key", flat=True)
    )
    assert [item["id"] for item in features] == expected
    assert all(item["collection"] == str(london.unique_id) for item in features)


def test_an_item_is_a_photo_with_this_servers_links(client, owner):
    walk = make_sequence(owner, route=[(6.14, 46.2), (6.141, 46.201), (6.142, 46.202)])
    make = CameraMake.objects.create(name="GoPro")
    model = CameraModel.objects.create(make=make, name="MAX")
    Sequence.objects.filter(pk=walk.pk).update(is_pano=True, camera_make=make, camera_model=model)
    Image.objects.filter(sequence=walk).update(
        is_pano=True, camera_make=make, camera_model=model, width=5760, height=2880
    )
    middle = Image.objects.get(sequence=walk, position=1)

    reply = client.get(f"/api/collections/{walk.unique_id}/items/{middle.mapillary_key}")

    assert reply.status_code == 200
    assert reply["Content-Type"] == "application/geo+json"
    item = reply.json()
    assert item["geometry"]["type"] == "Point"
    assert item["geometry"]["coordinates"][:2] == [6.141, 46.201]
    assert item["bbox"] == [6.141, 46.201, 6.141, 46.201]
    assert item["properties"]["datetime"] == "2024-05-01T09:00:10Z"
    assert item["properties"]["view:azimuth"] == 90.0
    assert item["properties"]["pers:interior_orientation"] == {
        "camera_manufacturer": "GoPro",
        "camera_model": "MAX",
        "sensor_array_dimensions": [5760, 2880],
        "field_of_view": 360,
    }
    assert set(item["stac_extensions"]) == {VIEW_EXTENSION, PERSPECTIVE_EXTENSION}
    key = middle.mapillary_key
    assert {name: asset["href"] for name, asset in item["assets"].items()} == {
        "hd": photo_url(key, "original"),
        "sd": photo_url(key, "2048"),
        "thumb": photo_url(key, "256"),
    }
    assert all(asset["type"] == "image/jpeg" for asset in item["assets"].values())
    rels = {link["rel"]: link["href"] for link in item["links"]}
    before = Image.objects.get(sequence=walk, position=0).mapillary_key
    after = Image.objects.get(sequence=walk, position=2).mapillary_key
    assert rels["prev"].endswith(f"/items/{before}")
    assert rels["next"].endswith(f"/items/{after}")
    assert rels["collection"].endswith(f"/api/collections/{walk.unique_id}")
    assert stac_errors(item) == []
    collection = client.get(f"/api/collections/{walk.unique_id}").json()
    assert collection["summaries"]["pers:interior_orientation"] == [
        {"camera_manufacturer": "GoPro", "camera_model": "MAX", "field_of_view": 360}
    ]
    assert stac_errors(collection) == []


def test_every_collection_and_item_passes_stac_validator(client, world):
    collections = client.get("/api/collections").json()["collections"]
    features = all_features(client, "/api/search?limit=7")

    assert len(collections) == 3
    assert len(features) == 15
    for stac_object in [*collections, *features]:
        assert stac_errors(stac_object) == [], stac_object["id"]


def test_an_unknown_collection_or_item_is_a_404(client, world):
    london = world["london"]
    paris_key = sorted(keys(world["paris"]))[0]

    for path in (
        "/api/collections/not-a-uuid",
        "/api/collections/00000000-0000-0000-0000-000000000000/items",
        f"/api/collections/{london.unique_id}/items/{paris_key}",
        "/api/users/nobody/collection",
    ):
        reply = client.get(path)
        assert reply.status_code == 404, path
        assert reply.json()["error"]


def test_a_persons_collection_lists_their_published_sequences(client, world):
    body = client.get("/api/users/OLIVIA/collection").json()

    children = [link["href"] for link in body["links"] if link["rel"] == "child"]
    assert sorted(href.rsplit("/", 1)[1] for href in children) == sorted(
        str(world[name].unique_id) for name in ("london", "tokyo")
    )
    assert body["stats:items"] == {"count": 10}
    assert body["stats:collections"] == {"count": 2}
    assert body["providers"][0]["name"] == "olivia"
    assert stac_errors(body) == []


def test_writes_are_refused_with_a_405(client, world):
    reply = client.post("/api/collections", {}, content_type="application/json")

    assert reply.status_code == 405
    assert reply["Allow"] == "GET, HEAD"


def test_other_sites_pages_may_read_the_stac_api(client, settings, world):
    settings.MTP_CORS_ORIGINS = ["*"]

    reply = client.get("/api/search", headers={"Origin": "https://viewer.example.org"})
    landing = client.get("/api", headers={"Origin": "https://viewer.example.org"})

    assert reply["Access-Control-Allow-Origin"] == "*"
    assert landing["Access-Control-Allow-Origin"] == "*"


def test_a_search_reads_on_past_sequences_that_cross_the_box_without_a_photo_in_it(
    client, owner, monkeypatch
):
    monkeypatch.setattr("mtp.sequences.stac.FIRST_SEQUENCES", 1)
    for number in range(5):
        # Each route's line crosses the box, its two photos lie on either side of it.
        sequence_along(owner, [(0.0, 10.0 + number / 100), (2.0, 10.0 + number / 100)])
    inside = sequence_along(owner, [(1.0, 10.02), (1.01, 10.02), (3.0, 10.02)])

    features = all_features(client, "/api/search?bbox=0.9,9,1.1,11&limit=1")

    assert [item["id"] for item in features] == sorted(keys(inside))[:2]
