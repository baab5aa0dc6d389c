"""Tiles kept in the web process's memory, and forgotten when the map's data changes."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mtp.sequences.models import Sequence, TransportType
from mtp.tiles import cache
from testing.builders import HOME, sequence_along, wander
from testing.tiles import decode, lonlat_to_tile

pytestmark = pytest.mark.django_db


def home_tile_url(app, z: int = 12) -> str:
    x, y = lonlat_to_tile(*HOME, z)
    return f"/api/v1/tiles/{z}/{x}/{y}.mvt?client_id={app.client_id}"


def tile_queries(queries) -> list[str]:
    """The queries that read sequences or images (building a tile), not the counters'."""
    table = Sequence._meta.db_table
    return [query["sql"] for query in queries.captured_queries if table in query["sql"]]


def names_in(response) -> list[str]:
    if response.status_code == 204:
        return []
    features = decode(response.content)["sequences"].values()
    return sorted(feature["properties"]["name"] for feature in features)


@pytest.fixture
def walk(owner, rng) -> Sequence:
    return sequence_along(owner, wander(rng, HOME, 40, 8), name="Along the river")


def test_a_tile_asked_again_is_not_built_again(client, app, walk, settings):
    settings.MTP_TILE_CACHE_CHECK = 60
    first = client.get(home_tile_url(app))
    with CaptureQueriesContext(connection) as queries:
        again = client.get(home_tile_url(app))
    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert tile_queries(queries) == []
    assert len(cache.tiles) == 1


def test_without_the_cache_every_tile_is_built(client, app, walk, settings):
    settings.MTP_TILE_CACHE_MB = 0
    client.get(home_tile_url(app))
    with CaptureQueriesContext(connection) as queries:
        client.get(home_tile_url(app))
    assert tile_queries(queries) != []
    assert len(cache.tiles) == 0


def test_a_sequence_published_edited_and_deleted_shows_at_once(
    client, app, owner, rng, walk, settings
):
    # The generation is not read again here: the change itself forgets the tiles.
    settings.MTP_TILE_CACHE_CHECK = 3600
    assert names_in(client.get(home_tile_url(app))) == ["Along the river"]

    draft = sequence_along(
        owner, wander(rng, HOME, 40, 8), name="Harbour", status=Sequence.Status.DRAFT
    )
    assert names_in(client.get(home_tile_url(app))) == ["Along the river"]

    draft.status = Sequence.Status.PUBLISHED
    draft.published_at = timezone.now()
    draft.save(update_fields=["status", "published_at"])
    assert names_in(client.get(home_tile_url(app))) == ["Along the river", "Harbour"]

    walk.name = "By the river"
    walk.save()
    assert names_in(client.get(home_tile_url(app))) == ["By the river", "Harbour"]

    draft.status = Sequence.Status.IMPORTING
    draft.save(update_fields=["status"])
    assert names_in(client.get(home_tile_url(app))) == ["By the river"]

    walk.delete()
    assert client.get(home_tile_url(app)).status_code == 204


def test_a_transport_type_renamed_shows(client, app, walk, settings):
    settings.MTP_TILE_CACHE_CHECK = 3600
    client.get(home_tile_url(app))
    walk_type = TransportType.objects.get(name="Walk")
    walk_type.name = "Hike"
    walk_type.save()
    feature = next(iter(decode(client.get(home_tile_url(app)).content)["sequences"].values()))
    assert feature["properties"]["transport_type"] == "Hike"


def test_a_new_draft_keeps_the_tiles(client, app, owner, rng, walk, settings):
    # Drafts are created all the time (the uploader) and are never on the map.
    settings.MTP_TILE_CACHE_CHECK = 3600
    client.get(home_tile_url(app))
    sequence_along(owner, wander(rng, HOME, 10, 8), name="Draft", status=Sequence.Status.DRAFT)
    assert len(cache.tiles) == 1


def test_a_change_in_another_process_shows_once_the_generation_is_read(client, app, walk, settings):
    settings.MTP_TILE_CACHE_CHECK = 0
    before = client.get(home_tile_url(app)).content
    # Another web process renames the route: its commit writes a new generation.
    Sequence.objects.filter(pk=walk.pk).update(name="Renamed elsewhere")
    caches["default"].set(cache.GENERATION_KEY, "another-process-made-this", timeout=None)
    after = client.get(home_tile_url(app))
    assert after.content != before
    assert names_in(after) == ["Renamed elsewhere"]


def test_until_the_generation_is_read_again_a_process_keeps_its_tiles(client, app, walk, settings):
    settings.MTP_TILE_CACHE_CHECK = 3600
    before = client.get(home_tile_url(app)).content
    Sequence.objects.filter(pk=walk.pk).update(name="Renamed elsewhere")
    caches["default"].set(cache.GENERATION_KEY, "another-process-made-this", timeout=None)
    assert client.get(home_tile_url(app)).content == before


def test_a_committed_change_writes_a_new_generation_for_other_processes(
    client, app, walk, django_capture_on_commit_callbacks
):
    client.get(home_tile_url(app))
    generation = caches["default"].get(cache.GENERATION_KEY)
    assert generation
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        walk.name = "By the river"
        walk.save()
    # Not before the commit: another process could build the tile from the old rows.
    assert caches["default"].get(cache.GENERATION_KEY) == generation
    for callback in callbacks:
        callback()
    assert caches["default"].get(cache.GENERATION_KEY) not in (None, generation)


def test_tiles_kept_no_longer_than_browsers_may_keep_them(client, app, walk, settings):
    settings.MTP_TILE_CACHE_CHECK = 3600
    settings.TILES_MAX_AGE = 0
    client.get(home_tile_url(app))
    with CaptureQueriesContext(connection) as queries:
        client.get(home_tile_url(app))
    assert tile_queries(queries) != []


def test_the_cache_holds_no_more_than_its_size_least_recently_used_out(settings):
    settings.MTP_TILE_CACHE_MB = 1
    settings.MTP_TILE_CACHE_CHECK = 3600
    kept = cache.TileCache()
    generation = kept.generation()
    tile = b"x" * 100_000
    for column in range(20):
        kept.put((10, column, 0), tile, generation)
        kept.get((10, 0, 0))  # the first one stays in use
    assert kept.size <= 1024 * 1024
    assert len(kept) == 10
    assert kept.get((10, 0, 0)) == tile
    assert kept.get((10, 1, 0)) is None
    assert kept.get((10, 19, 0)) == tile
    # A tile bigger than an eighth of the cache is not kept at all.
    kept.put((10, 99, 0), b"x" * 200_000, generation)
    assert kept.get((10, 99, 0)) is None


def test_a_tile_built_from_an_older_generation_is_not_kept(settings):
    settings.MTP_TILE_CACHE_CHECK = 0
    kept = cache.TileCache()
    old = kept.generation()
    caches["default"].set(cache.GENERATION_KEY, "newer", timeout=None)
    assert kept.generation() == "newer"
    kept.put((6, 1, 1), b"tile", old)
    assert kept.get((6, 1, 1)) is None


def test_without_the_shared_cache_tiles_are_built_each_time(client, app, walk, monkeypatch):
    def unavailable():
        raise ConnectionError("the cache does not answer")

    monkeypatch.setattr(cache.tiles, "generation", unavailable)
    first = client.get(home_tile_url(app))
    with CaptureQueriesContext(connection) as queries:
        again = client.get(home_tile_url(app))
    assert first.status_code == again.status_code == 200
    assert tile_queries(queries) != []
