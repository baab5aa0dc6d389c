"""Tours in API v1: create, read (JSON, GeoJSON, GPX), search, change, reorder, delete; likes of
tours and sequences; routes that leave; bad input."""

import json
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from mtp.api.tours import TourListOut, TourOut, TourWriteOut
from mtp.sequences.models import Sequence, SequenceLike
from mtp.tours.formats import ROUTES_PER_READ
from mtp.tours.models import MAX_SEQUENCES, Tour, TourLike, TourSequence
from mtp.webhooks.events import TOUR_PUBLISHED
from mtp.webhooks.models import WebhookDelivery
from testing.builders import API, bearer, make_sequence, token_with_scope

URL = f"{API}/tours"


def route(index: int) -> list[tuple[float, float]]:
    """A short walk, east of the one before."""
    west = 6.10 + index * 0.01
    return [(west, 46.20), (west + 0.004, 46.201), (west + 0.008, 46.202)]


@pytest.fixture
def routes(owner, other_user) -> list[Sequence]:
    """Three published routes: two of the owner's, one of someone else's."""
    return [
        make_sequence(owner, name="Old town", route=route(0)),
        make_sequence(other_user, name="Lake shore", route=route(1), tags=("lake",)),
        make_sequence(owner, name="Parks", route=route(2)),
    ]


@pytest.fixture
def send(client, owner_token):
    def run(method: str, url: str, data=None, token: str | None = None, **extra):
        body = "" if data is None else json.dumps(data)
        return client.generic(
            method,
            url,
            body,
            content_type="application/json",
            **bearer(token or owner_token),
            **extra,
        )

    return run


def ids(sequences) -> list[str]:
    return [str(sequence.unique_id) for sequence in sequences]


@pytest.fixture
def tour(send, routes) -> dict:
    response = send(
        "POST",
        URL,
        {"name": "Geneva in a day", "tags": ["geneva"], "sequences": ids(routes)},
    )
    assert response.status_code == 201, response.content
    return response.json()["tour"]


# Create ------------------------------------------------------------------------------------------


def test_creating_a_tour_answers_201_with_its_routes_in_the_order_given(send, routes, owner):
    order = [routes[2], routes[0], routes[1]]
    response = send("POST", URL, {"name": "Backwards", "sequences": ids(order)})
    assert response.status_code == 201, response.content
    data = TourWriteOut.model_validate(response.json()).model_dump(by_alias=True)
    assert [item["unique_id"] for item in data["tour"]["sequences"]] == ids(order)
    assert response["Location"].endswith(f"/api/v1/tours/{data['unique_id']}")
    tour = Tour.objects.get(unique_id=data["unique_id"])
    assert tour.owner == owner and tour.sequence_count == 3
    assert tour.image_count == sum(item.image_count for item in routes)


def test_a_tour_may_be_created_from_a_form_with_the_ids_separated_by_commas(
    client, owner_token, routes
):
    response = client.post(
        URL,
        {"name": "By form", "sequences": ",".join(ids(routes[:2])), "tags": "geneva,lake"},
        **bearer(owner_token),
    )
    assert response.status_code == 201, response.content
    tour = response.json()["tour"]
    assert [item["name"] for item in tour["sequences"]] == ["Old town", "Lake shore"]
    assert tour["tags"] == ["geneva", "lake"]


def test_a_tour_may_be_created_from_a_multipart_form_with_the_field_repeated(
    client, owner_token, routes
):
    response = client.post(
        URL, {"name": "Multipart", "sequences": ids(routes)}, **bearer(owner_token)
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["tour"]["sequences"]) == 3


def test_creating_a_tour_needs_the_write_scope(client, owner, app, routes):
    headers = token_with_scope(owner, app, "read")
    response = client.post(
        URL, json.dumps({"name": "x"}), content_type="application/json", **headers
    )
    assert response.status_code == 403
    assert not Tour.objects.exists()


def test_a_client_id_alone_cannot_create_a_tour(client, app):
    response = client.post(
        f"{URL}?client_id={app.client_id}",
        json.dumps({"name": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 401


def test_the_same_idempotency_key_creates_one_tour(send, routes):
    body = {"name": "Once", "sequences": ids(routes)}
    first = send("POST", URL, body, HTTP_IDEMPOTENCY_KEY="tour-1")
    again = send("POST", URL, body, HTTP_IDEMPOTENCY_KEY="tour-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["unique_id"] == again.json()["unique_id"]
    assert Tour.objects.count() == 1


# Bad input: the API's error shape, nothing written ---------------------------------------------


def assert_refused(response, status: int, words: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] is False and words in body["error"], body
    assert not Tour.objects.exists()
    assert not TourSequence.objects.exists()


def test_a_sequence_listed_twice_is_refused(send, routes):
    twice = ids([routes[0], routes[1], routes[0]])
    assert_refused(send("POST", URL, {"name": "Twice", "sequences": twice}), 422, "twice")


def test_an_unknown_sequence_is_refused_naming_it(send, routes):
    unknown = "00000000-0000-4000-8000-000000000000"
    response = send("POST", URL, {"name": "Lost", "sequences": [*ids(routes), unknown]})
    assert_refused(response, 422, unknown)
    assert response.json()["detail"]["errors"][0]["field"] == "sequences"


def test_another_users_draft_is_refused_as_unknown(send, other_user, routes):
    draft = make_sequence(other_user, name="Secret", status="draft", route=[], images=False)
    response = send("POST", URL, {"name": "Peek", "sequences": ids([routes[0], draft])})
    assert_refused(response, 422, str(draft.unique_id))


def test_ones_own_draft_cannot_be_in_a_tour_either(send, owner):
    draft = make_sequence(owner, name="Mine", status="draft", route=[], images=False)
    assert_refused(
        send("POST", URL, {"name": "Early", "sequences": ids([draft])}), 422, "published"
    )


def test_a_text_that_is_not_an_id_is_refused(send):
    assert_refused(
        send("POST", URL, {"name": "Bad", "sequences": ["walk"]}), 422, "not a sequence id"
    )


def test_more_than_500_routes_are_refused(send):
    many = [f"00000000-0000-4000-8000-{index:012d}" for index in range(MAX_SEQUENCES + 1)]
    response = send("POST", URL, {"name": "Too long", "sequences": many})
    assert_refused(response, 422, "sequences")


def test_a_tour_needs_a_name(send, routes):
    assert_refused(send("POST", URL, {"name": "  ", "sequences": ids(routes)}), 422, "name")


def test_an_unknown_field_is_refused(send):
    assert_refused(send("POST", URL, {"name": "x", "routes": []}), 422, "routes")


# Read --------------------------------------------------------------------------------------------


def test_reading_a_tour_gives_its_routes_totals_box_owner_tags_and_likes(
    client, app, tour, routes, owner
):
    response = client.get(f"{URL}/{tour['unique_id']}?client_id={app.client_id}")
    assert response.status_code == 200
    data = TourOut.model_validate(response.json()).model_dump(by_alias=True)
    assert [item["name"] for item in data["sequences"]] == ["Old town", "Lake shore", "Parks"]
    assert data["image_count"] == 9 and data["sequence_count"] == 3
    assert data["distance_m"] == pytest.approx(sum(item.distance_m for item in routes), abs=0.5)
    west, south, east, north = data["bbox"]
    assert west == pytest.approx(6.10) and east == pytest.approx(6.128)
    assert data["owner"]["username"] == owner.username
    assert data["tags"] == ["geneva"] and data["like_count"] == 0
    assert data["sequences"][1]["tags"] == ["lake"]
    assert data["sequences"][0]["like_count"] == 0


def test_each_route_reads_in_a_tour_as_it_reads_alone(client, app, tour, routes, other_user):
    """Tags, the cover (the first photo, or the one the owner picked), the owner's name and
    the rest: a tour builds its routes' JSON from their values, a sequence from its model."""
    other_user.display_name = "Lena from the lake"
    other_user.save()
    picked = routes[2].images.order_by("position")[1]
    Sequence.objects.filter(pk=routes[2].pk).update(cover=picked)
    data = client.get(f"{URL}/{tour['unique_id']}?client_id={app.client_id}").json()
    for route_data, sequence in zip(data["sequences"], routes, strict=True):
        alone = client.get(f"{API}/sequence/{sequence.unique_id}?client_id={app.client_id}")
        assert route_data == alone.json()
    assert data["sequences"][1]["owner"]["display_name"] == "Lena from the lake"
    covers = [item["cover"]["mapillary_key"] for item in data["sequences"]]
    first = [sequence.images.get(position=0).mapillary_key for sequence in routes[:2]]
    assert covers == [*first, picked.mapillary_key]


def test_a_tour_as_geojson_is_a_feature_per_route_in_order(client, app, tour):
    response = client.get(
        f"{URL}/{tour['unique_id']}?client_id={app.client_id}",
        HTTP_ACCEPT="application/geo+json",
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.getvalue())
    assert data["type"] == "FeatureCollection"
    assert [item["properties"]["name"] for item in data["features"]] == [
        "Old town",
        "Lake shore",
        "Parks",
    ]
    assert all(item["geometry"]["type"] == "LineString" for item in data["features"])
    assert data["properties"]["name"] == "Geneva in a day"


def test_a_tour_as_gpx_is_a_track_per_route_in_order(client, app, tour):
    response = client.get(
        f"{URL}/{tour['unique_id']}?client_id={app.client_id}", HTTP_ACCEPT="application/gpx+xml"
    )
    assert response.status_code == 200
    text = response.getvalue().decode()
    assert text.count("<trk>") == 3 and text.count("<trkpt ") == 9
    assert text.index("Old town") < text.index("Lake shore") < text.index("Parks")


def test_a_tours_gpx_is_streamed_well_formed_and_complete(client, app, owner, send):
    # More routes than one read takes, of several photos each: every point, in order.
    made = [
        make_sequence(owner, name=f"Route <{n}> & co", route=route(n))
        for n in range(ROUTES_PER_READ + 3)
    ]
    unique_id = send("POST", URL, {"name": "Long & winding", "sequences": ids(made)}).json()[
        "unique_id"
    ]
    response = client.get(
        f"{URL}/{unique_id}?client_id={app.client_id}", HTTP_ACCEPT="application/gpx+xml"
    )
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/gpx+xml; charset=utf-8"
    document = ElementTree.fromstring(response.getvalue())  # noqa: S314 (our own response)
    space = {"gpx": "http://www.topografix.com/GPX/1/1"}
    tracks = document.findall("gpx:trk", space)
    assert [track.findtext("gpx:name", namespaces=space) for track in tracks] == [
        sequence.name for sequence in made
    ]
    for track, sequence in zip(tracks, made, strict=True):
        points = [
            (float(point.get("lon")), float(point.get("lat")))
            for point in track.iterfind("gpx:trkseg/gpx:trkpt", space)
        ]
        expected = sequence.images.order_by("position").values_list("point", flat=True)
        assert points == [(round(p.x, 7), round(p.y, 7)) for p in expected]


def test_a_tours_geojson_is_streamed_and_says_what_its_json_says(client, app, tour):
    url = f"{URL}/{tour['unique_id']}?client_id={app.client_id}"
    streamed = client.get(url, HTTP_ACCEPT="application/geo+json")
    assert isinstance(streamed, StreamingHttpResponse)
    data = json.loads(streamed.getvalue())
    plain = client.get(url).json()
    assert [item["properties"] for item in data["features"]] == plain.pop("sequences")
    assert data["properties"] == plain and data["bbox"] == plain["bbox"]
    assert [item["id"] for item in data["features"]] == [
        item["properties"]["unique_id"] for item in data["features"]
    ]


def test_head_of_a_tours_gpx_writes_no_body(client, app, tour):
    response = client.head(
        f"{URL}/{tour['unique_id']}?client_id={app.client_id}", HTTP_ACCEPT="application/gpx+xml"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/gpx+xml; charset=utf-8"
    assert response.getvalue() == b""


def test_reading_a_tour_takes_the_same_number_of_queries_for_3_or_20_routes(
    client, app, owner, send
):
    def queries_for(count: int) -> int:
        made = [make_sequence(owner, name=f"Route {n}", route=route(n)) for n in range(count)]
        response = send("POST", URL, {"name": f"{count} routes", "sequences": ids(made)})
        url = f"{URL}/{response.json()['unique_id']}?client_id={app.client_id}"
        client.get(url)  # warms what every request shares (the application, transport types)
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context)

    assert queries_for(3) == queries_for(20)


def test_a_draft_tour_is_its_owners_only(send, client, app, routes, other_token):
    response = send("POST", URL, {"name": "Soon", "status": "draft", "sequences": ids(routes)})
    unique_id = response.json()["unique_id"]
    assert response.json()["tour"]["published_at"] is None
    assert send("GET", f"{URL}/{unique_id}").status_code == 200
    assert client.get(f"{URL}/{unique_id}?client_id={app.client_id}").status_code == 404
    assert send("GET", f"{URL}/{unique_id}", token=other_token).status_code == 404
    assert (
        send("PATCH", f"{URL}/{unique_id}", {"name": "Mine"}, token=other_token).status_code == 404
    )


# Search ------------------------------------------------------------------------------------------


def test_searching_tours_filters_by_user_text_tag_box_and_sequence(
    send, client, app, routes, other_token, owner
):
    send("POST", URL, {"name": "Lake day", "tags": ["lake"], "sequences": ids(routes[1:2])})
    send("POST", URL, {"name": "Town day", "tags": ["town"], "sequences": ids(routes[:1])})
    send(
        "POST",
        URL,
        {"name": "Someone else's", "sequences": ids(routes[2:])},
        token=other_token,
    )
    send("POST", URL, {"name": "Hidden", "status": "draft", "sequences": ids(routes[:1])})

    def names(query: str) -> list[str]:
        response = client.get(f"{URL}?client_id={app.client_id}&{query}")
        assert response.status_code == 200, response.content
        return [item.name for item in TourListOut.model_validate(response.json()).results]

    assert names("") == ["Someone else's", "Town day", "Lake day"]
    assert names(f"user={owner.username.upper()}") == ["Town day", "Lake day"]
    assert names("q=LAKE") == ["Lake day"]
    assert names("tag=town") == ["Town day"]
    assert names(f"sequence={routes[1].unique_id}") == ["Lake day"]
    assert names("bbox=6.109,46.19,6.115,46.21") == ["Lake day"]
    assert names("sequence=00000000-0000-4000-8000-000000000000") == []
    own = send("GET", f"{URL}?user={owner.username}")
    assert [item["name"] for item in own.json()["results"]] == ["Town day", "Lake day", "Hidden"]


def test_tour_search_pages_with_cursors(send, client, app, routes):
    for index in range(5):
        send("POST", URL, {"name": f"Tour {index}", "sequences": ids(routes[:1])})
    seen, url = [], f"{URL}?client_id={app.client_id}&limit=2"
    while url:
        response = client.get(url)
        seen += [item["name"] for item in response.json()["results"]]
        url = response.json()["next"]
    assert seen == [f"Tour {index}" for index in reversed(range(5))]


def test_tours_sort_by_likes(send, client, app, routes, other_token):
    first = send("POST", URL, {"name": "Less liked", "sequences": ids(routes[:1])}).json()
    second = send("POST", URL, {"name": "Most liked", "sequences": ids(routes[:1])}).json()
    send("PUT", f"{URL}/{second['unique_id']}/like", token=other_token)
    send("PUT", f"{URL}/{second['unique_id']}/like")
    send("PUT", f"{URL}/{first['unique_id']}/like")
    response = client.get(f"{URL}?client_id={app.client_id}&sort=likes")
    assert [(item["name"], item["like_count"]) for item in response.json()["results"]] == [
        ("Most liked", 2),
        ("Less liked", 1),
    ]


def test_a_bad_box_or_cursor_is_refused(client, app):
    assert client.get(f"{URL}?client_id={app.client_id}&bbox=1,2,3").status_code == 422
    assert client.get(f"{URL}?client_id={app.client_id}&cursor=nonsense").status_code == 400


# Change, reorder, delete -------------------------------------------------------------------------


def test_the_owner_changes_name_tags_and_description(send, tour):
    response = send(
        "PATCH", f"{URL}/{tour['unique_id']}", {"name": "Geneva slowly", "tags": ["slow"]}
    )
    assert response.status_code == 200, response.content
    data = response.json()["tour"]
    assert data["name"] == "Geneva slowly" and data["tags"] == ["slow"]
    assert data["description"] == ""


def test_the_name_may_not_be_set_to_null(send, tour):
    response = send("PATCH", f"{URL}/{tour['unique_id']}", {"name": None})
    assert response.status_code == 422
    assert Tour.objects.get().name == "Geneva in a day"


def test_someone_else_may_not_change_or_delete_a_published_tour(send, tour, other_token):
    url = f"{URL}/{tour['unique_id']}"
    assert send("PATCH", url, {"name": "Mine now"}, token=other_token).status_code == 403
    assert send("PUT", f"{url}/sequences", {"sequences": []}, token=other_token).status_code == 403
    assert send("DELETE", url, token=other_token).status_code == 403
    assert Tour.objects.get().name == "Geneva in a day" and TourSequence.objects.count() == 3


def test_putting_the_sequences_replaces_the_ordered_list(send, tour, routes):
    new_order = ids([routes[2], routes[1]])
    response = send("PUT", f"{URL}/{tour['unique_id']}/sequences", {"sequences": new_order})
    assert response.status_code == 200, response.content
    data = response.json()["tour"]
    assert [item["unique_id"] for item in data["sequences"]] == new_order
    assert data["sequence_count"] == 2 and Tour.objects.get().sequence_count == 2


def test_a_refused_list_leaves_the_tour_as_it_was(send, tour, routes):
    unknown = "00000000-0000-4000-8000-000000000000"
    response = send(
        "PUT", f"{URL}/{tour['unique_id']}/sequences", {"sequences": [ids(routes)[0], unknown]}
    )
    assert response.status_code == 422
    assert list(
        TourSequence.objects.order_by("position").values_list("sequence__name", flat=True)
    ) == ["Old town", "Lake shore", "Parks"]


def test_deleting_a_tour_keeps_its_routes(send, tour):
    assert send("DELETE", f"{URL}/{tour['unique_id']}").status_code == 204
    assert not Tour.objects.exists() and Sequence.objects.count() == 3
    assert send("GET", f"{URL}/{tour['unique_id']}").status_code == 404


# Routes that leave -------------------------------------------------------------------------------


def test_a_deleted_sequence_leaves_every_tour_at_once(send, tour, routes, client, owner_token):
    other = send("POST", URL, {"name": "Second", "sequences": ids(routes[:1])}).json()
    response = client.delete(f"{API}/sequence/{routes[0].unique_id}", **bearer(owner_token))
    assert response.status_code == 204
    assert not TourSequence.objects.filter(sequence_id=routes[0].pk).exists()
    first = send("GET", f"{URL}/{tour['unique_id']}").json()
    assert [item["name"] for item in first["sequences"]] == ["Lake shore", "Parks"]
    assert (
        first["sequence_count"] == 2
        and Tour.objects.get(pk__isnull=False, name="Geneva in a day").sequence_count == 2
    )
    assert send("GET", f"{URL}/{other['unique_id']}").json()["sequences"] == []


def test_a_sequence_no_longer_published_leaves_every_tour_in_the_same_transaction(
    send, tour, routes
):
    sequence = routes[1]
    sequence.status = Sequence.Status.FAILED
    sequence.save(update_fields=["status", "updated_at"])
    assert not TourSequence.objects.filter(sequence=sequence).exists()
    data = send("GET", f"{URL}/{tour['unique_id']}").json()
    assert [item["name"] for item in data["sequences"]] == ["Old town", "Parks"]
    assert Tour.objects.get().image_count == 6


def test_a_sequence_whose_user_is_deleted_leaves_the_tour(send, tour, other_user):
    other_user.delete()
    data = send("GET", f"{URL}/{tour['unique_id']}").json()
    assert [item["name"] for item in data["sequences"]] == ["Old town", "Parks"]


# Likes -------------------------------------------------------------------------------------------


def test_liking_a_tour_is_idempotent_and_counted(send, tour, other_token):
    url = f"{URL}/{tour['unique_id']}/like"
    for _ in range(2):
        response = send("PUT", url, token=other_token)
        assert response.status_code == 200
        assert response.json() == {"unique_id": tour["unique_id"], "liked": True, "like_count": 1}
    assert send("GET", f"{URL}/{tour['unique_id']}").json()["like_count"] == 1
    for _ in range(2):
        response = send("DELETE", url, token=other_token)
        assert response.json()["liked"] is False and response.json()["like_count"] == 0
    assert not TourLike.objects.exists()


def test_liking_a_sequence_is_idempotent_and_shows_in_its_json(
    send, routes, other_token, client, app
):
    url = f"{API}/sequence/{routes[0].unique_id}/like"
    assert send("PUT", url).json()["like_count"] == 1
    assert send("PUT", url).json()["like_count"] == 1
    assert send("PUT", url, token=other_token).json()["like_count"] == 2
    data = client.get(f"{API}/sequence/{routes[0].unique_id}?client_id={app.client_id}").json()
    assert data["like_count"] == 2
    assert send("DELETE", url).json() == {
        "unique_id": str(routes[0].unique_id),
        "liked": False,
        "like_count": 1,
    }


def test_sequences_sort_by_likes(send, routes, client, app, other_token):
    send("PUT", f"{API}/sequence/{routes[2].unique_id}/like")
    send("PUT", f"{API}/sequence/{routes[2].unique_id}/like", token=other_token)
    send("PUT", f"{API}/sequence/{routes[0].unique_id}/like")
    response = client.get(f"{API}/sequences?client_id={app.client_id}&sort=likes&limit=2")
    assert [item["name"] for item in response.json()["results"]] == ["Parks", "Old town"]
    following = client.get(response.json()["next"])
    assert [item["name"] for item in following.json()["results"]] == ["Lake shore"]


def test_a_draft_cannot_be_liked(send, owner, other_token):
    draft = make_sequence(owner, name="Mine", status="draft", route=[], images=False)
    url = f"{API}/sequence/{draft.unique_id}/like"
    assert send("PUT", url, token=other_token).status_code == 404
    assert send("PUT", url).status_code == 422
    assert not SequenceLike.objects.exists()


def test_likes_leave_with_their_user_and_the_counts_follow(
    send, routes, tour, other_user, other_token
):
    send("PUT", f"{API}/sequence/{routes[0].unique_id}/like", token=other_token)
    send("PUT", f"{URL}/{tour['unique_id']}/like", token=other_token)
    send("PUT", f"{URL}/{tour['unique_id']}/like")
    other_user.delete()
    assert Sequence.objects.get(pk=routes[0].pk).like_count == 0
    assert Tour.objects.get().like_count == 1


# Webhooks ----------------------------------------------------------------------------------------


def test_publishing_a_tour_tells_the_application_that_created_it(send, app, routes):
    app.webhook_url = "https://hooks.example.org/mtp"
    app.save()
    draft = send("POST", URL, {"name": "Soon", "status": "draft", "sequences": ids(routes)}).json()
    assert not WebhookDelivery.objects.filter(event_type=TOUR_PUBLISHED).exists()
    send("PATCH", f"{URL}/{draft['unique_id']}", {"status": "published"})
    send("PATCH", f"{URL}/{draft['unique_id']}", {"name": "Published, renamed"})
    deliveries = WebhookDelivery.objects.filter(event_type=TOUR_PUBLISHED)
    assert deliveries.count() == 1
    event = json.loads(deliveries.get().body)
    assert event["type"] == "tour.published"
    assert event["data"]["tour"]["unique_id"] == draft["unique_id"]
    assert event["data"]["tour"]["sequence_count"] == 3


def test_a_tour_created_published_is_an_event_at_once(send, app, routes):
    app.webhook_url = "https://hooks.example.org/mtp"
    app.save()
    send("POST", URL, {"name": "Now", "sequences": ids(routes)})
    assert WebhookDelivery.objects.filter(event_type=TOUR_PUBLISHED, application=app).count() == 1
