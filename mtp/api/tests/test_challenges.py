"""Challenges in API v1: create, list, read, change, delete, and their leaderboards."""

import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mtp.accounts.models import User
from mtp.api.challenges import ChallengeListOut, ChallengeOut, ChallengeWriteOut
from mtp.api.leaderboards import LeaderboardOut
from mtp.challenges.models import Challenge
from mtp.sequences.models import CameraMake
from testing.builders import API, bearer, make_sequence

URL = f"{API}/challenges"
# Old Geneva.
GENEVA = [[6.13, 46.19], [6.16, 46.19], [6.16, 46.21], [6.13, 46.21], [6.13, 46.19]]
START = datetime(2024, 5, 1, tzinfo=UTC)
END = datetime(2024, 6, 1, tzinfo=UTC)


def body(**fields) -> dict:
    return {
        "name": "Map old Geneva",
        "description": "Every street of the old town.",
        "area": {"type": "Polygon", "coordinates": [GENEVA]},
        "transport_types": ["Walk"],
        "camera_makes": [],
        "start": START.isoformat(),
        "end": END.isoformat(),
        **fields,
    }


@pytest.fixture
def creators(settings):
    settings.MTP_CHALLENGE_CREATORS = "everyone"


@pytest.fixture
def post(client, owner_token):
    def run(data, token=None):
        return client.post(
            URL, json.dumps(data), content_type="application/json", **bearer(token or owner_token)
        )

    return run


@pytest.fixture
def challenge(post, creators) -> dict:
    response = post(body())
    assert response.status_code == 201, response.content
    return response.json()["challenge"]


def test_creating_a_challenge_answers_201_with_its_id(post, creators, owner):
    response = post(body())
    assert response.status_code == 201, response.content
    data = response.json()
    ChallengeWriteOut.model_validate(data)
    saved = Challenge.objects.get(unique_id=data["unique_id"])
    assert saved.owner == owner
    assert response["Location"].endswith(f"/api/v1/challenges/{data['unique_id']}")
    assert data["challenge"]["transport_types"] == ["Walk"]
    assert data["challenge"]["bbox"] == [6.13, 46.19, 6.16, 46.21]


def test_only_staff_create_challenges_unless_everyone_may(post, settings, owner):
    settings.MTP_CHALLENGE_CREATORS = "staff"
    response = post(body())
    assert response.status_code == 403
    assert "staff" in response.json()["error"]
    owner.is_staff = True
    owner.save()
    assert post(body()).status_code == 201


def test_creating_needs_a_token(client, app, creators):
    response = client.post(
        f"{URL}?client_id={app.client_id}", json.dumps(body()), content_type="application/json"
    )
    assert response.status_code in (400, 401)
    assert not Challenge.objects.exists()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"area": {"type": "Polygon", "coordinates": [GENEVA[:-1]]}}, "not closed"),
        (
            {
                "area": {
                    "type": "Polygon",
                    "coordinates": [[[0, 0], [0.2, 0.2], [0.2, 0], [0, 0.1], [0, 0]]],
                }
            },
            "Self-intersection",
        ),
        ({"area": {"type": "Polygon", "coordinates": []}}, "empty"),
        (
            {
                "area": {
                    "type": "Polygon",
                    "coordinates": [[[600000, 5000000], [1, 1], [2, 2], [600000, 5000000]]],
                }
            },
            "WGS 84",
        ),
        (
            {
                "area": {
                    "type": "Polygon",
                    "coordinates": [[[-10, 40], [10, 40], [10, 55], [-10, 40]]],
                }
            },
            "at most",
        ),
        ({"transport_types": ["Teleport"]}, "Teleport"),
        ({"end": (START - timedelta(days=1)).isoformat()}, "after start"),
        ({"name": ""}, "name"),
        ({"start": "yesterday"}, "start"),
        ({"start": 0}, "start"),
        ({"start": "1714521600"}, "start"),
        ({"end": "2024-06-01T00:00:00"}, "end"),
        # A challenge's description is at most 5,000 characters (a sequence's 50,000).
        ({"description": "x" * 5001}, "description"),
    ],
)
def test_bad_challenges_are_refused_with_what_is_wrong(post, creators, fields, reason):
    response = post(body(**fields))
    assert response.status_code == 422, response.content
    assert reason in response.json()["error"]
    assert not Challenge.objects.exists()


def test_anyone_with_a_client_id_reads_a_challenge_and_its_area(client, app, challenge):
    url = f"{URL}/{challenge['unique_id']}"
    response = client.get(url, {"client_id": app.client_id})
    assert response.status_code == 200
    ChallengeOut.model_validate(response.json())
    feature = client.get(
        url, {"client_id": app.client_id}, HTTP_ACCEPT="application/geo+json"
    ).json()
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "MultiPolygon", "coordinates": [[GENEVA]]}
    assert (
        client.get(
            f"{URL}/00000000-0000-0000-0000-000000000000", {"client_id": app.client_id}
        ).status_code
        == 404
    )


def test_the_list_filters_by_active_bbox_and_text(client, app, post, creators):
    now = timezone.now()
    running = post(
        body(
            name="Running now",
            start=(now - timedelta(days=1)).isoformat(),
            end=(now + timedelta(days=1)).isoformat(),
        )
    ).json()
    post(body(name="Over"))
    elsewhere = [[7.0, 46.0], [7.01, 46.0], [7.01, 46.01], [7.0, 46.0]]
    post(body(name="Lausanne side", area={"type": "Polygon", "coordinates": [elsewhere]}))

    def names(**params):
        response = client.get(URL, {"client_id": app.client_id, **params})
        assert response.status_code == 200, response.content
        ChallengeListOut.model_validate(response.json())
        return [item["name"] for item in response.json()["results"]]

    assert names() == ["Lausanne side", "Over", "Running now"]
    assert names(active="true") == ["Running now"]
    assert names(active="false") == ["Lausanne side", "Over"]
    assert names(bbox="6.9,45.9,7.1,46.1") == ["Lausanne side"]
    assert names(q="lausanne") == ["Lausanne side"]
    assert running["challenge"]["is_active"] is True
    first = client.get(URL, {"client_id": app.client_id, "limit": 2}).json()
    cursor = first["next"].split("cursor=")[1]
    rest = client.get(URL, {"client_id": app.client_id, "limit": 2, "cursor": cursor}).json()
    assert [item["name"] for item in rest["results"]] == ["Running now"]
    assert rest["next"] is None
    assert client.get(URL, {"client_id": app.client_id, "bbox": "x"}).status_code == 422


def test_the_owner_changes_and_deletes_others_may_not(
    client, challenge, other_token, owner_token, creators
):
    url = f"{URL}/{challenge['unique_id']}"
    patch = json.dumps({"name": "Old town", "transport_types": ["Water"]})
    response = client.patch(url, patch, content_type="application/json", **bearer(other_token))
    assert response.status_code == 403
    response = client.patch(url, patch, content_type="application/json", **bearer(owner_token))
    assert response.status_code == 200, response.content
    assert response.json()["challenge"]["name"] == "Old town"
    assert response.json()["challenge"]["transport_types"] == ["Water"]
    bad = json.dumps({"end": "2024-04-01T00:00:00Z"})
    response = client.patch(url, bad, content_type="application/json", **bearer(owner_token))
    assert response.status_code == 422
    assert Challenge.objects.get().end == END
    assert client.delete(url, **bearer(other_token)).status_code == 403
    assert client.delete(url, **bearer(owner_token)).status_code == 204
    assert not Challenge.objects.exists()


def inside(lon_start: float, points: int) -> list[tuple[float, float]]:
    return [(lon_start + 0.001 * index, 46.2) for index in range(points)]


def test_the_leaderboard_counts_published_photos_inside_the_area_within_the_window(
    client, app, challenge
):
    people = {
        name: User.objects.create_user(name, "", "x")
        for name in ("anna", "bruno", "carla", "dario")
    }
    in_window = datetime(2024, 5, 10, tzinfo=UTC)
    # Anna: 4 photos inside. Bruno: 3 inside, 3 outside (east of the area), in two sequences.
    make_sequence(people["anna"], route=inside(6.14, 4), captured=in_window)
    make_sequence(people["bruno"], route=inside(6.158, 6), captured=in_window)
    make_sequence(people["bruno"], route=inside(6.131, 1), captured=in_window)
    # Carla: inside but before the window; by kayak; or not published.
    make_sequence(people["carla"], route=inside(6.14, 9), captured=datetime(2024, 4, 1, tzinfo=UTC))
    make_sequence(people["carla"], route=inside(6.14, 9), captured=in_window, transport="Kayak")
    make_sequence(people["carla"], route=inside(6.14, 9), captured=in_window, status="draft")
    # Dario: 4 photos inside, a tie with Anna.
    make_sequence(people["dario"], route=inside(6.135, 4), captured=in_window)

    def board(**params):
        response = client.get(
            f"{URL}/{challenge['unique_id']}/leaderboard", {"client_id": app.client_id, **params}
        )
        assert response.status_code == 200, response.content
        LeaderboardOut.model_validate(response.json())
        return [
            (row["rank"], row["user"]["username"], row["value"])
            for row in response.json()["results"]
        ]

    assert board() == [(1, "anna", 4), (1, "bruno", 4), (1, "dario", 4)]
    assert board(metric="sequences") == [(1, "bruno", 2), (2, "anna", 1), (2, "dario", 1)]
    distances = board(metric="distance")
    # Bruno's route leaves the area at 6.16: only 0.002° of it is inside (~154 m).
    by_name = {name: value for _, name, value in distances}
    assert by_name["anna"] == pytest.approx(0.003 * 77_220, rel=0.01)
    assert by_name["bruno"] == pytest.approx(0.002 * 77_220, rel=0.01)
    assert [name for _, name, _ in distances] == ["anna", "dario", "bruno"]
    response = client.get(
        f"{URL}/{challenge['unique_id']}/leaderboard",
        {"client_id": app.client_id, "metric": "likes"},
    )
    assert response.status_code == 422


def test_the_camera_makes_of_a_challenge_narrow_its_leaderboard(client, app, post, creators, owner):
    gopro = CameraMake.objects.create(name="GoPro")
    created = post(body(camera_makes=["gopro"], transport_types=[])).json()
    make_sequence(
        owner, route=inside(6.14, 3), captured=datetime(2024, 5, 2, tzinfo=UTC), camera_make=gopro
    )
    make_sequence(owner, route=inside(6.14, 5), captured=datetime(2024, 5, 2, tzinfo=UTC))
    response = client.get(f"{URL}/{created['unique_id']}/leaderboard", {"client_id": app.client_id})
    assert [row["value"] for row in response.json()["results"]] == [3]


def test_a_sequence_captured_across_the_end_of_the_window_counts_its_photos_before_it(
    client, app, challenge, owner
):
    # Photos 10 s apart from 10 s before the end: only the first is within the window.
    make_sequence(owner, route=inside(6.14, 4), captured=END - timedelta(seconds=10))
    response = client.get(
        f"{URL}/{challenge['unique_id']}/leaderboard", {"client_id": app.client_id}
    )
    assert [row["value"] for row in response.json()["results"]] == [1]
    response = client.get(
        f"{URL}/{challenge['unique_id']}/leaderboard",
        {"client_id": app.client_id, "metric": "sequences"},
    )
    assert [row["value"] for row in response.json()["results"]] == [1]


@pytest.mark.parametrize(
    "extra", [{"unknown": "field"}, {"area": {"type": "Polygon", "coordinates": [GENEVA], "x": 1}}]
)
def test_unknown_fields_are_refused_not_dropped(post, creators, extra):
    response = post(body(**extra))
    assert response.status_code == 422, response.content
    assert not Challenge.objects.exists()


def test_a_challenge_is_sent_as_json_not_a_form(client, owner_token, creators, challenge):
    fields = {"name": "Map old Geneva", "start": START.isoformat(), "end": END.isoformat()}
    response = client.post(URL, fields, **bearer(owner_token))
    assert response.status_code == 415, response.content
    assert response.json()["detail"]["accepted"] == ["application/json"]
    response = client.patch(
        f"{URL}/{challenge['unique_id']}",
        "name=Renamed",
        content_type="application/x-www-form-urlencoded",
        **bearer(owner_token),
    )
    assert response.status_code == 415, response.content
    assert Challenge.objects.get().name == "Map old Geneva"


def test_a_change_without_a_body_changes_nothing(client, owner_token, challenge):
    # The document says the body of a change may be left out.
    response = client.patch(f"{URL}/{challenge['unique_id']}", **bearer(owner_token))
    assert response.status_code == 200, response.content
    changed = response.json()["challenge"]
    assert {**changed, "updated_at": None} == {**challenge, "updated_at": None}


# Issue 22, item 3: areas across the antimeridian (RFC 7946: straight rings, cut at 180°).
ROUND_THE_WORLD = [[-179.999, -60], [179.999, -60], [179.999, 60], [-179.999, 60], [-179.999, -60]]
EAST_OF_180 = [[179.9, -17.2], [180, -17.2], [180, -17.1], [179.9, -17.1], [179.9, -17.2]]
WEST_OF_180 = [[-180, -17.2], [-179.9, -17.2], [-179.9, -17.1], [-180, -17.1], [-180, -17.2]]
ACROSS_180 = {"type": "MultiPolygon", "coordinates": [[EAST_OF_180], [WEST_OF_180]]}


def test_a_ring_from_minus_180_to_180_is_the_whole_band_round_the_world_and_refused(post, creators):
    response = post(body(area={"type": "Polygon", "coordinates": [ROUND_THE_WORLD]}))
    assert response.status_code == 422, response.content
    assert "a challenge covers at most 5,000 km²" in response.json()["error"]
    assert not Challenge.objects.exists()


def test_an_area_cut_at_180_is_kept_counted_and_found_on_both_sides_only(
    client, app, post, creators
):
    response = post(body(area=ACROSS_180, transport_types=[]))
    assert response.status_code == 201, response.content
    created = response.json()["challenge"]
    assert created["bbox"] == [179.9, -17.2, -179.9, -17.1]
    feature = client.get(
        f"{URL}/{created['unique_id']}",
        {"client_id": app.client_id},
        HTTP_ACCEPT="application/geo+json",
    ).json()
    assert feature["geometry"] == ACROSS_180
    in_window = datetime(2024, 5, 10, tzinfo=UTC)
    east, west, elsewhere = (User.objects.create_user(name, "", "x") for name in "ewx")
    make_sequence(east, route=[(179.95, -17.15), (179.96, -17.15)], captured=in_window)
    make_sequence(west, route=[(-179.95, -17.15)], captured=in_window)
    # Between the two parts the long way round: inside the stored shape's extent, not the area.
    make_sequence(
        elsewhere, route=[(0.0, -17.15), (0.01, -17.15), (0.02, -17.15)], captured=in_window
    )
    response = client.get(f"{URL}/{created['unique_id']}/leaderboard", {"client_id": app.client_id})
    assert [(row["user"]["username"], row["value"]) for row in response.json()["results"]] == [
        ("e", 2),
        ("w", 1),
    ]

    def names(bbox: str) -> list[str]:
        found = client.get(URL, {"client_id": app.client_id, "bbox": bbox}).json()["results"]
        return [item["name"] for item in found]

    assert names("179,-18,180,-17") == ["Map old Geneva"]
    assert names("-180,-18,-179,-17") == ["Map old Geneva"]
    assert names("170,-18,-170,-17") == ["Map old Geneva"]
    assert names("-10,-18,10,-17") == []
    assert names("100,-18,120,-17") == []


# Issue 22, item 4: an area of many corners is cut in pieces once; its leaderboard is kept.
def traced(ring: list[list[float]], corners_per_edge: int) -> list[list[float]]:
    """The counter-clockwise ring with every edge a zigzag a tenth of a millimetre outwards."""
    traced = []
    for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
        length = math.hypot(x1 - x0, y1 - y0)
        out_x, out_y = (y1 - y0) / length * 1e-9, -(x1 - x0) / length * 1e-9
        for i in range(corners_per_edge):
            step = i / corners_per_edge
            out = i % 2
            traced.append(
                [x0 + (x1 - x0) * step + out_x * out, y0 + (y1 - y0) * step + out_y * out]
            )
    return [*traced, traced[0]]


def test_a_many_cornered_area_counts_as_its_box_and_its_board_is_kept_until_photos_change(
    client, app, post, creators, owner_token
):
    outline = traced(GENEVA, 500)
    many = post(body(area={"type": "Polygon", "coordinates": [outline]})).json()["challenge"]
    box = post(body()).json()["challenge"]
    person = User.objects.create_user("anna", "", "x")
    in_window = datetime(2024, 5, 10, tzinfo=UTC)
    make_sequence(person, route=inside(6.14, 4), captured=in_window)
    make_sequence(person, route=inside(6.158, 6), captured=in_window)

    def board(challenge: dict, metric: str = "images") -> list:
        response = client.get(
            f"{URL}/{challenge['unique_id']}/leaderboard",
            {"client_id": app.client_id, "metric": metric},
        )
        assert response.status_code == 200, response.content
        return [(row["user"]["username"], row["value"]) for row in response.json()["results"]]

    for metric in ("images", "sequences", "distance"):
        got, expected = board(many, metric), board(box, metric)
        assert [name for name, _ in got] == [name for name, _ in expected] == ["anna"]
        assert [value for _, value in got] == pytest.approx([value for _, value in expected])
    assert board(many) == [("anna", 7)]

    def counted(challenge: dict) -> bool:
        with CaptureQueriesContext(connection) as context:
            board(challenge)
        return any("RANK()" in query["sql"] for query in context.captured_queries)

    assert not counted(many)
    make_sequence(person, route=inside(6.14, 2), captured=in_window)
    assert counted(many)
    assert board(many) == [("anna", 9)]
    assert not counted(many)
    # A change of the challenge is another ranking.
    response = client.patch(
        f"{URL}/{many['unique_id']}",
        json.dumps({"end": "2024-05-10T00:00:30Z"}),
        content_type="application/json",
        **bearer(owner_token),
    )
    assert response.status_code == 200, response.content
    assert counted(many)
    assert board(many) == [("anna", 8)]
