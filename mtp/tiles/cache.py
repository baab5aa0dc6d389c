"""Encoded tiles kept in each web process's memory, forgotten as soon as the map's data changes.

Every visitor's map asks for the same few tiles (the explore page opens on the same low
zooms), and those are the dearest to build: at zoom 6 a tile over a busy region is one query
of 20 to 40 ms. So each web process keeps the tiles it built, the least recently used going
first, up to ``MTP_TILE_CACHE_MB`` megabytes (0: no cache), each for at most
``TILES_MAX_AGE`` seconds (what browsers are told they may keep it).

What changes a tile: a published sequence saved or deleted, a sequence published or taken
back, a transport type renamed. Each such change, once committed, writes a new random
*generation* to the shared cache (the database's, or Redis); each process reads the
generation at most once every ``MTP_TILE_CACHE_CHECK`` seconds (1 by default) and forgets its
tiles when it has changed. So a change shows in the tiles of every process within that
time; one made behind the models' back (raw SQL, a queryset ``update``) shows when the tiles
age out. The process that makes a change forgets its own tiles at once.
"""

import logging
import secrets
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

logger = logging.getLogger(__name__)

GENERATION_KEY = "tiles-generation"
# What a kept tile costs beyond its bytes (the key, the entry), roughly.
ENTRY_OVERHEAD = 200


class TileCache:
    """Tiles by ``(z, x, y)``, least recently used first out, bounded in bytes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tiles: OrderedDict[tuple[int, int, int], tuple[float, bytes]] = OrderedDict()
        self._bytes = 0
        self._generation = ""
        self._checked_at = float("-inf")

    @property
    def size(self) -> int:
        """Bytes held, overhead included."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._tiles)

    def generation(self) -> str:
        """The data's current generation, read from the shared cache when due."""
        now = time.monotonic()
        if now - self._checked_at < settings.MTP_TILE_CACHE_CHECK:
            return self._generation
        current = caches["default"].get(GENERATION_KEY)
        if current is None:
            caches["default"].add(GENERATION_KEY, secrets.token_hex(8), timeout=None)
            current = caches["default"].get(GENERATION_KEY, "")
        with self._lock:
            if current != self._generation:
                self._clear()
                self._generation = current
            self._checked_at = now
        return current

    def get(self, key: tuple[int, int, int]) -> bytes | None:
        now = time.monotonic()
        with self._lock:
            entry = self._tiles.get(key)
            if entry is None:
                return None
            stored_at, data = entry
            if now - stored_at > settings.TILES_MAX_AGE:
                self._drop(key)
                return None
            self._tiles.move_to_end(key)
            return data

    def put(self, key: tuple[int, int, int], data: bytes, generation: str) -> None:
        """Keep ``data``, built from the data of ``generation``, unless that has passed."""
        limit = settings.MTP_TILE_CACHE_MB * 1024 * 1024
        cost = len(data) + ENTRY_OVERHEAD
        if cost > limit // 8:
            return
        with self._lock:
            if generation != self._generation:
                return
            if key in self._tiles:
                self._drop(key)
            self._tiles[key] = (time.monotonic(), data)
            self._bytes += cost
            while self._bytes > limit:
                self._drop(next(iter(self._tiles)))

    def forget(self) -> None:
        """Drop every tile, and read the generation again on the next request."""
        with self._lock:
            self._clear()
            self._checked_at = float("-inf")

    def _drop(self, key: tuple[int, int, int]) -> None:
        _, data = self._tiles.pop(key)
        self._bytes -= len(data) + ENTRY_OVERHEAD

    def _clear(self) -> None:
        self._tiles.clear()
        self._bytes = 0


tiles = TileCache()


def enabled() -> bool:
    return settings.MTP_TILE_CACHE_MB > 0


def cached_tile(z: int, x: int, y: int, render) -> bytes:
    """Tile ``z/x/y`` from this process's memory, or ``render(z, x, y)`` kept for next time."""
    if not enabled():
        return render(z, x, y)
    try:
        generation = tiles.generation()
    except Exception:  # noqa: BLE001
        # The shared cache does not answer (Redis down): build every tile afresh meanwhile.
        logger.exception("tile cache: the generation is unavailable; not caching")
        return render(z, x, y)
    data = tiles.get((z, x, y))
    if data is None:
        data = render(z, x, y)
        tiles.put((z, x, y), data, generation)
    return data


def data_changed() -> None:
    """Tiles may differ from now on: forget this process's at once, every process's on commit."""
    tiles.forget()
    transaction.on_commit(_new_generation)


def _new_generation() -> None:
    tiles.forget()
    try:
        caches["default"].set(GENERATION_KEY, secrets.token_hex(8), timeout=None)
    except Exception:  # noqa: BLE001
        logger.exception("tile cache: could not tell other processes; their tiles age out")


def sequence_saved(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    if instance.status == instance.Status.PUBLISHED:
        data_changed()
    elif not created and (update_fields is None or "status" in update_fields):
        # It may have been published until now.
        data_changed()


def sequence_deleted(sender, instance, **kwargs) -> None:
    if instance.status == instance.Status.PUBLISHED:
        data_changed()


def transport_type_saved(sender, instance, created: bool, **kwargs) -> None:
    if not created:
        data_changed()
