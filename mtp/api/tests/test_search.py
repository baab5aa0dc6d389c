"""GET /api/v1/sequences: filters, sorting, pages, formats."""

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from mtp.api.schemas import SequenceListOut
from mtp.sequences.models import transport_types_by_name
from testing.builders import API, make_sequence

URL = f"{API}/sequences"


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["results"]]


@pytest.fixture
def search(client, app):
    """GET /sequences as an app with only its client_id."""

    def run(**params):
        return client.get(URL, {"client_id": app.client_id, **params})

    return run


def test_only_published_sequences_are_listed(search, owner, published, draft):
    make_sequence(owner, name="Failed", status="failed")
    response = search()
    assert names(response) == ["Lake shore walk"]
    SequenceListOut.model_validate(response.json())


def test_your_own_username_lists_your_drafts_too(client, owner, owner_headers, published, draft):
    response = client.get(URL, {"user": "OLIVIA"}, **owner_headers)
    assert sorted(names(response)) == ["Lake shore walk", "Not yet imported"]


def test_another_users_name_lists_only_their_published_sequences(
    client, other_headers, published, draft
):
    assert names(client.get(URL, {"user": "olivia"}, **other_headers)) == ["Lake shore walk"]


def test_status_filters_your_own_list(client, owner_headers, published, draft):
    response = client.get(URL, {"user": "olivia", "status": "draft"}, **owner_headers)
    assert names(response) == ["Not yet imported"]


def test_status_is_refused_for_someone_elses_list(client, other_headers, published):
    response = client.get(URL, {"user": "olivia", "status": "draft"}, **other_headers)
    assert response.status_code == 403
    assert response.json()["error"].startswith("status:")
    # Without any user, or as an app with only its client_id, the same.
    assert client.get(URL, {"status": "published"}, **other_headers).status_code == 403


def test_bbox_finds_routes_with_a_point_in_the_box(search, owner):
    make_sequence(owner, name="inside", route=[(6.14, 46.20), (6.15, 46.21)])
    make_sequence(owner, name="outside", route=[(7.0, 47.0), (7.1, 47.1)])
    assert names(search(bbox="6.1,46.1,6.2,46.3")) == ["inside"]


def test_bbox_finds_a_route_crossing_the_box_without_a_vertex_inside(search, owner):
    # A straight line from west of the box to east of it, through the middle.
    make_sequence(owner, name="crossing", route=[(6.0, 46.25), (6.3, 46.25)])
    # An L-shaped route whose bounding box covers the box but whose line misses it.
    make_sequence(owner, name="around", route=[(6.0, 46.4), (6.0, 46.0), (6.3, 46.0)])
    assert names(search(bbox="6.1,46.2,6.2,46.3")) == ["crossing"]


def test_bbox_finds_a_one_image_sequence(search, owner):
    make_sequence(owner, name="single", route=[(6.15, 46.25)])
    make_sequence(owner, name="single elsewhere", route=[(8.0, 46.25)])
    assert names(search(bbox="6.1,46.2,6.2,46.3")) == ["single"]


@pytest.mark.parametrize("bbox", ["6.15,46.0,6.15,46.5", "6.1,46.25,6.2,46.25"])
def test_a_box_without_width_or_height_still_finds_what_crosses_it(search, owner, bbox):
    make_sequence(owner, name="east-west", route=[(6.0, 46.2), (6.3, 46.3)])
    assert names(search(bbox=bbox)) == ["east-west"]


def test_a_bbox_across_the_antimeridian(search, owner):
    make_sequence(owner, name="fiji east", route=[(179.5, -17.0), (179.6, -17.1)])
    make_sequence(owner, name="fiji west", route=[(-179.9, -16.5), (-179.8, -16.6)])
    make_sequence(owner, name="greenwich", route=[(0.0, 51.4), (0.1, 51.5)])
    assert sorted(names(search(bbox="179,-18,-179,-16"))) == ["fiji east", "fiji west"]


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "0,0,1,nan", "-181,0,0,1", "0,-91,1,0"])
def test_a_malformed_bbox_is_a_422_naming_it(search, bbox):
    response = search(bbox=bbox)
    assert response.status_code == 422
    assert response.json()["error"].startswith("bbox:")


def test_a_box_whose_south_is_above_its_north_holds_nothing(search, owner):
    make_sequence(owner, name="inside", route=[(0.5, 45.0), (0.6, 45.1)])
    response = search(bbox="0,50,1,40")
    assert response.status_code == 200
    assert names(response) == []


def test_near_finds_routes_passing_within_the_radius(search, owner):
    # About 700 m north of the point, and about 7 km north.
    make_sequence(owner, name="close", route=[(6.10, 46.2063), (6.11, 46.2063)])
    make_sequence(owner, name="far", route=[(6.10, 46.263), (6.11, 46.263)])
    assert names(search(near="6.105,46.2", radius="1000")) == ["close"]
    assert sorted(names(search(near="6.105,46.2", radius="10000"))) == ["close", "far"]
    assert names(search(near="6.105,46.2", radius="500")) == []


def test_near_defaults_to_a_kilometre(search, owner):
    make_sequence(owner, name="close", route=[(6.10, 46.2063), (6.11, 46.2063)])
    assert names(search(near="6.105,46.2")) == ["close"]


def test_radius_is_bounded(search):
    assert search(near="6,46", radius="100001").status_code == 422
    assert search(near="6,46", radius="0").status_code == 422
    # Without near there is nothing to measure from: the radius alone changes nothing.
    assert search(radius="10").status_code == 200


def test_a_transport_group_includes_its_kinds(search, owner):
    make_sequence(owner, name="kayak", transport="Kayak")
    make_sequence(owner, name="swim", transport="Swim")
    make_sequence(owner, name="walk", transport="Walk")
    assert sorted(names(search(transport_type="water"))) == ["kayak", "swim"]
    assert names(search(transport_type="Kayak")) == ["kayak"]


def test_an_unknown_transport_type_lists_the_valid_names(search):
    response = search(transport_type="Teleport")
    assert response.status_code == 422
    assert "Water" in response.json()["error"] and "Kayak" in response.json()["error"]


def test_every_tag_must_match(client, app, owner):
    make_sequence(owner, name="both", tags=("alps", "snow"))
    make_sequence(owner, name="alps only", tags=("alps",))
    url = f"{URL}?client_id={app.client_id}&tag=alps&tag=SNOW"
    assert names(client.get(url)) == ["both"]
    assert names(client.get(f"{URL}?client_id={app.client_id}&tag=alps,snow")) == ["both"]
    assert sorted(names(client.get(f"{URL}?client_id={app.client_id}&tag=alps"))) == [
        "alps only",
        "both",
    ]


def test_an_invalid_tag_in_a_search_is_a_422(search):
    assert search(tag="two words").status_code == 422


def test_capture_times_bound_the_search(search, owner):
    make_sequence(owner, name="spring", captured=datetime(2024, 4, 1, tzinfo=UTC))
    make_sequence(owner, name="summer", captured=datetime(2024, 7, 1, tzinfo=UTC))
    assert names(search(captured_after="2024-06-01T00:00:00Z")) == ["summer"]
    assert names(search(captured_before="2024-06-01")) == ["spring"]
    assert search(captured_after="yesterday").status_code == 422
    # Neither a number of seconds nor a time without its offset: what the document says.
    assert search(captured_after="1714550400").status_code == 422
    assert search(captured_after="2024-06-01T00:00:00").status_code == 422


def test_any_rfc_3339_offset_and_year_is_searchable(search, owner):
    make_sequence(owner, name="spring", captured=datetime(2024, 5, 1, 9, 0, tzinfo=UTC))
    # PostgreSQL takes offsets up to 15:59 only; RFC 3339 allows 23:59.
    assert names(search(captured_after="2024-04-30T09:00:00-21:47")) == ["spring"]
    assert names(search(captured_before="2024-05-02T09:00:00+23:59")) == ["spring"]
    # Before year 1 in UTC: before every capture.
    assert names(search(captured_after="0001-01-01T00:00:00+05:00")) == ["spring"]
    assert names(search(captured_before="0001-01-01T00:00:00+05:00")) == []


def test_q_searches_names_and_descriptions(search, owner):
    make_sequence(owner, name="Sunrise at the lake")
    make_sequence(owner, name="Ridge", description="A windy LAKE view")
    make_sequence(owner, name="Forest")
    assert sorted(names(search(q="lake"))) == ["Ridge", "Sunrise at the lake"]


def test_is_pano_filters_360_sequences(search, owner):
    make_sequence(owner, name="flat")
    make_sequence(owner, name="round", is_pano=True)
    assert names(search(is_pano="true")) == ["round"]
    assert names(search(is_pano="false")) == ["flat"]


def test_a_users_sequences_by_username_in_any_case(search, owner, other_user):
    make_sequence(owner, name="hers")
    make_sequence(other_user, name="his")
    assert names(search(user="Olivia")) == ["hers"]
    assert names(search(user="nobody")) == []


def test_sorts(search, owner):
    make_sequence(owner, name="short old", captured=datetime(2020, 1, 1, tzinfo=UTC))
    make_sequence(
        owner,
        name="long new",
        captured=datetime(2023, 1, 1, tzinfo=UTC),
        route=[(6.0, 46.0), (6.5, 46.5)],
    )
    make_sequence(owner, name="middle", captured=datetime(2021, 1, 1, tzinfo=UTC))
    assert names(search()) == ["middle", "long new", "short old"]
    assert names(search(sort="captured")) == ["long new", "middle", "short old"]
    assert names(search(sort="distance"))[0] == "long new"
    assert search(sort="random").status_code == 422


@pytest.mark.parametrize("sort", ["newest", "captured", "distance"])
def test_pages_follow_the_next_link_without_gaps_or_repeats(client, app, owner, sort):
    for index in range(7):
        make_sequence(
            owner, name=f"s{index}", captured=datetime(2024, 1, 1 + index % 3, tzinfo=UTC)
        )
    seen = []
    url = f"{URL}?client_id={app.client_id}&limit=3&sort={sort}"
    while url:
        response = client.get(url)
        page = response.json()
        seen += [item["name"] for item in page["results"]]
        assert len(page["results"]) <= 3
        url = page["next"]
        if url:
            assert response["Link"] == f'<{url}>; rel="next"'
            assert parse_qs(urlsplit(url).query)["sort"] == [sort]
            url = url.removeprefix("http://127.0.0.1:8000")
    assert sorted(seen) == [f"s{index}" for index in range(7)]


def test_your_own_list_pages_through_drafts_as_well(client, owner, owner_headers):
    for index in range(3):
        make_sequence(owner, name=f"published {index}")
        make_sequence(owner, name=f"draft {index}", status="draft", route=[], images=False)
    seen = []
    url = f"{URL}?user=olivia&limit=2"
    while url:
        page = client.get(url, **owner_headers).json()
        seen += [item["name"] for item in page["results"]]
        url = page["next"] and page["next"].removeprefix("http://127.0.0.1:8000")
    assert len(seen) == 6 and len(set(seen)) == 6
    assert seen[:3] == ["published 2", "published 1", "published 0"]


def test_page_size_is_at_most_100(search):
    response = search(limit="101")
    assert response.status_code == 422
    assert response.json()["error"].startswith("limit:")


def cursor_of(*parts) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "bm90IGEgY3Vyc29y",
        "!!!",
        cursor_of("newest", "2024-01-01T00:00:00+00:00", 2**70),
        cursor_of("newest", "not a time", 1),
        cursor_of("newest", 12, 1),
        cursor_of("distance", "far", 1),
        cursor_of("newest", None, True),
    ],
)
def test_a_tampered_cursor_is_a_400(search, cursor):
    assert search(cursor=cursor).status_code == 400


def test_a_cursor_with_a_negative_id_is_a_400(search):
    assert search(sort="distance", cursor=cursor_of("distance", 1e308, -1)).status_code == 400


def test_a_cursor_of_another_sort_is_refused(client, app, owner):
    for index in range(3):
        make_sequence(owner, name=f"s{index}")
    first = client.get(URL, {"client_id": app.client_id, "limit": 1}).json()
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    response = client.get(URL, {"client_id": app.client_id, "sort": "distance", "cursor": cursor})
    assert response.status_code == 400


def test_geojson_lists_are_feature_collections(search, client, app, published):
    response = client.get(URL, {"client_id": app.client_id}, HTTP_ACCEPT="application/geo+json")
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["features"][0]["geometry"]["type"] == "LineString"
    assert body["features"][0]["properties"]["name"] == "Lake shore walk"
    assert body["next"] is None


def test_gpx_is_not_offered_for_lists(client, app, published):
    response = client.get(URL, {"client_id": app.client_id}, HTTP_ACCEPT="application/gpx+xml")
    assert response.status_code == 406
    assert response.json()["detail"]["available"] == ["application/json", "application/geo+json"]


@pytest.mark.parametrize("accept", ["application/json", "application/geo+json"])
def test_the_number_of_queries_does_not_grow_with_the_page(
    client, owner, owner_headers, accept, django_assert_num_queries
):
    transport_types_by_name()  # kept in memory between requests

    def count_queries() -> tuple[int, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as context:
            response = client.get(URL, {"user": "olivia"}, HTTP_ACCEPT=accept, **owner_headers)
        assert response.status_code == 200
        return len(context), len(response.json().get("results", response.json().get("features")))

    make_sequence(owner, name="one", tags=("a", "b"))
    few, listed = count_queries()
    assert listed == 1
    for index in range(12):
        make_sequence(owner, name=f"more {index}", tags=("a", f"t{index}"))
    many, listed = count_queries()
    assert listed == 13
    assert many == few


@pytest.mark.parametrize("field", ["tag", "transport_type"])
def test_a_percent_sign_in_a_tag_or_transport_type_is_a_422_not_a_crash(client, app, field):
    # Found by the fuzz test: Django formatted the error message, user text and all, with %.
    response = client.get(URL, {"client_id": app.client_id, field: "50%p-%(x)s"})
    assert response.status_code == 422
    assert "50%p-%(x)s" in response.json()["error"]
