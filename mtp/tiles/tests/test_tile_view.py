"""GET /api/v1/tiles/{z}/{x}/{y}.mvt: public tiles under the client_id rule, cacheable."""

import pytest

from mtp.sequences.models import Sequence
from testing.builders import HOME, bearer, issue_token, sequence_along, wander
from testing.tiles import decode, lonlat_to_tile

pytestmark = pytest.mark.django_db

TILE_TYPE = "application/vnd.mapbox-vector-tile"


@pytest.fixture
def walk_in_trondheim(owner, rng) -> Sequence:
    return sequence_along(owner, wander(rng, HOME, 50, 8), name="Along the river")


@pytest.fixture
def draft_in_trondheim(owner, rng) -> Sequence:
    return sequence_along(
        owner, wander(rng, HOME, 50, 8), name="Not yet", status=Sequence.Status.DRAFT
    )


def tile_url(z: int, x: int | str, y: int | str, **query: str) -> str:
    url = f"/api/v1/tiles/{z}/{x}/{y}.mvt"
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def home_tile(z: int) -> tuple[int, int, int]:
    return (z, *lonlat_to_tile(*HOME, z))


def test_a_tile_is_served_as_mvt_with_the_published_sequence(
    client, app, walk_in_trondheim, draft_in_trondheim
):
    response = client.get(tile_url(*home_tile(12), client_id=app.client_id))
    assert response.status_code == 200
    assert response["Content-Type"] == TILE_TYPE
    layers = decode(response.content)
    assert list(layers) == ["sequences"]
    assert list(layers["sequences"]) == [str(walk_in_trondheim.unique_id)]
    feature = layers["sequences"][str(walk_in_trondheim.unique_id)]
    assert feature["properties"]["name"] == "Along the river"
    assert feature["properties"]["transport_type"] == "Walk"
    assert feature["geometry"]["type"] in ("LineString", "MultiLineString")


def test_photos_are_in_tiles_from_zoom_14(client, app, walk_in_trondheim):
    response = client.get(tile_url(*home_tile(14), client_id=app.client_id))
    images = decode(response.content)["images"]
    first = images[walk_in_trondheim.images.get(position=0).mapillary_key]
    assert first["properties"]["sequence_id"] == str(walk_in_trondheim.unique_id)
    assert first["properties"]["compass_angle"] == 0.0
    assert first["geometry"]["type"] == "Point"


def test_a_tile_with_nothing_in_it_is_204_without_a_body(client, app, walk_in_trondheim):
    response = client.get(tile_url(10, 0, 0, client_id=app.client_id))
    assert response.status_code == 204
    assert response.content == b""
    assert response["Cache-Control"] == "public, max-age=300"


def test_a_tile_of_drafts_only_is_empty(client, app, draft_in_trondheim):
    response = client.get(tile_url(*home_tile(14), client_id=app.client_id))
    assert response.status_code == 204


def test_a_tile_carries_an_etag_and_the_configured_cache_lifetime(
    client, app, walk_in_trondheim, settings
):
    settings.TILES_MAX_AGE = 3600
    response = client.get(tile_url(*home_tile(10), client_id=app.client_id))
    assert response["Cache-Control"] == "public, max-age=3600"
    assert response["ETag"].startswith('"') and len(response["ETag"]) > 10


def test_the_same_tile_asked_twice_has_the_same_etag(client, app, owner, rng):
    for index in range(20):
        sequence_along(owner, wander(rng, HOME, 30, 15), name=f"Walk {index}")
    url = tile_url(*home_tile(14), client_id=app.client_id)
    first, second = client.get(url), client.get(url)
    assert first.content == second.content
    assert first["ETag"] == second["ETag"]


def test_head_answers_the_headers_of_get(client, app, walk_in_trondheim):
    url = tile_url(*home_tile(10), client_id=app.client_id)
    response = client.head(url)
    assert response.status_code == 200
    assert response["Content-Type"] == TILE_TYPE
    assert response["ETag"] == client.get(url)["ETag"]


def test_a_client_that_has_the_tile_gets_304(client, app, walk_in_trondheim):
    url = tile_url(*home_tile(10), client_id=app.client_id)
    etag = client.get(url)["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    weak = client.get(url, headers={"If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304


def test_the_etag_changes_when_the_tile_does(client, app, owner, rng, walk_in_trondheim):
    url = tile_url(*home_tile(10), client_id=app.client_id)
    etag = client.get(url)["ETag"]
    sequence_along(owner, wander(rng, HOME, 30, 20), name="Another walk")
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert len(decode(response.content)["sequences"]) == 2


def test_unpublishing_a_sequence_takes_it_out_of_its_tiles(client, app, walk_in_trondheim):
    url = tile_url(*home_tile(14), client_id=app.client_id)
    assert client.get(url).status_code == 200
    walk_in_trondheim.status = Sequence.Status.DRAFT
    walk_in_trondheim.save(update_fields=["status"])
    assert client.get(url).status_code == 204


def test_a_bearer_token_is_enough_without_client_id(client, owner_token, walk_in_trondheim):
    response = client.get(tile_url(*home_tile(10)), **bearer(owner_token))
    assert response.status_code == 200


def test_without_client_id_or_token_the_tile_is_refused_with_401(client, walk_in_trondheim):
    response = client.get(tile_url(*home_tile(10)))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer ")
    assert response.json()["status"] is False
    assert "client_id" in response.json()["error"]


def test_an_unknown_or_disabled_client_id_is_refused_with_401(client, app, walk_in_trondheim):
    assert client.get(tile_url(*home_tile(10), client_id="nope")).status_code == 401
    app.is_active = False
    app.save()
    response = client.get(tile_url(*home_tile(10), client_id=app.client_id))
    assert response.status_code == 401
    assert "error" in response.json()


def test_a_token_with_another_apps_client_id_is_refused(client, owner, app, other_app):
    token = issue_token(owner, app)
    response = client.get(tile_url(0, 0, 0, client_id=other_app.client_id), **bearer(token))
    assert response.status_code == 401


def test_an_access_token_in_the_url_is_refused(client, app, owner_token):
    response = client.get(tile_url(0, 0, 0, client_id=app.client_id, access_token=owner_token))
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("z", "x", "y"), [("a", 0, 0), (1, "-1", 0), (1, 0, "1.5"), (" 1", 0, 0), ("١", 0, 0)]
)
def test_tile_numbers_that_are_not_whole_numbers_are_400(client, app, z, x, y):
    response = client.get(tile_url(z, x, y, client_id=app.client_id))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "Tile coordinates z, x and y must be whole numbers."


@pytest.mark.parametrize(
    ("z", "x", "y"),
    [(23, 0, 0), (0, 1, 0), (0, 0, 1), (3, 8, 0), (3, 0, 8), (22, 4194304, 0), (1, "9" * 5000, 0)],
)
def test_tiles_outside_the_grid_are_404(client, app, z, x, y):
    response = client.get(tile_url(z, x, y, client_id=app.client_id))
    assert response.status_code == 404
    assert response.json()["status"] is False


def test_the_last_tile_of_the_deepest_zoom_exists(client, app):
    last = (1 << 22) - 1
    assert client.get(tile_url(22, last, last, client_id=app.client_id)).status_code == 204


def test_other_paths_under_tiles_are_json_404(client, app):
    for path in ("/api/v1/tiles/1/0/0.png", "/api/v1/tiles/1/0", "/api/v1/tiles/"):
        response = client.get(f"{path}?client_id={app.client_id}")
        assert response.status_code == 404, path
        assert "tiles" in response.json()["error"]


def test_writing_to_a_tile_is_405(client, app):
    response = client.post(tile_url(0, 0, 0, client_id=app.client_id))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert "error" in response.json()


def test_the_tile_is_built_with_one_query_beside_the_client_check(
    client, app, walk_in_trondheim, django_assert_max_num_queries, settings
):
    url = tile_url(*home_tile(14), client_id=app.client_id)
    client.get(url)  # the session and everything else a first request may touch
    # One more than the tile needs: the rate-limit count.
    queries = 3 if settings.DATABASES["default"]["ENGINE"].endswith("postgis") else 4
    with django_assert_max_num_queries(queries):
        assert client.get(url).status_code == 200
