import os
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from mtp.lib.env import (
    database_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_redis_url,
    env_tile_url,
    env_url,
    persistent_secret,
)


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("YES", True), ("on", True), ("0", False), ("off", False)]
)
def test_env_bool_reads_the_usual_words(monkeypatch, raw, expected):
    monkeypatch.setenv("MTP_FLAG", raw)
    assert env_bool("MTP_FLAG", not expected) is expected


def test_env_bool_names_the_variable_when_the_value_does_not_parse(monkeypatch):
    monkeypatch.setenv("MTP_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="MTP_FLAG"):
        env_bool("MTP_FLAG", False)


def test_env_bool_falls_back_to_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("MTP_FLAG", raising=False)
    assert env_bool("MTP_FLAG", True) is True


def test_env_int_refuses_words_and_out_of_range_values(monkeypatch):
    monkeypatch.setenv("MTP_N", "ten")
    with pytest.raises(ImproperlyConfigured, match="MTP_N='ten' is not an integer"):
        env_int("MTP_N", 1)
    monkeypatch.setenv("MTP_N", "-3")
    with pytest.raises(ImproperlyConfigured, match="MTP_N=-3 is below the minimum"):
        env_int("MTP_N", 1, minimum=0)
    monkeypatch.setenv("MTP_N", " 42 ")
    assert env_int("MTP_N", 1, minimum=0) == 42


def test_env_int_reads_the_former_name_only_when_the_new_one_is_unset(monkeypatch):
    monkeypatch.delenv("MTP_NEW", raising=False)
    monkeypatch.delenv("MTP_OLD", raising=False)
    assert env_int("MTP_NEW", 60, former="MTP_OLD") == 60
    monkeypatch.setenv("MTP_OLD", "7")
    assert env_int("MTP_NEW", 60, former="MTP_OLD") == 7
    monkeypatch.setenv("MTP_NEW", "9")
    assert env_int("MTP_NEW", 60, former="MTP_OLD") == 9
    monkeypatch.delenv("MTP_NEW")
    monkeypatch.setenv("MTP_OLD", "1")
    with pytest.raises(ImproperlyConfigured, match="MTP_OLD=1 is below the minimum"):
        env_int("MTP_NEW", 60, minimum=2, former="MTP_OLD")


def test_env_float_refuses_nan_and_infinity(monkeypatch):
    for raw in ("nan", "inf"):
        monkeypatch.setenv("MTP_X", raw)
        with pytest.raises(ImproperlyConfigured, match="MTP_X"):
            env_float("MTP_X", 1.0)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("MTP_HOSTS", " a.example.org, ,b.example.org,")
    assert env_list("MTP_HOSTS", []) == ["a.example.org", "b.example.org"]


def test_env_url_needs_http_or_https(monkeypatch):
    monkeypatch.setenv("MTP_URL", "ftp://example.org")
    with pytest.raises(ImproperlyConfigured, match="MTP_URL"):
        env_url("MTP_URL", "https://example.org")
    monkeypatch.setenv("MTP_URL", "https://graph.example.org/")
    assert env_url("MTP_URL", "") == "https://graph.example.org"


def test_env_tile_url_needs_http_and_the_three_tile_numbers(monkeypatch):
    monkeypatch.setenv("MAP_TILES", "https://tiles.example.org/{z}/{x}/{y}.png")
    assert env_tile_url("MAP_TILES", "") == "https://tiles.example.org/{z}/{x}/{y}.png"
    monkeypatch.setenv("MAP_TILES", "https://tiles.example.org/{z}/{x}.png")
    with pytest.raises(ImproperlyConfigured, match=r"MAP_TILES=.*lacks \{y\}"):
        env_tile_url("MAP_TILES", "")
    monkeypatch.setenv("MAP_TILES", "file:///{z}/{x}/{y}.png")
    with pytest.raises(ImproperlyConfigured, match="MAP_TILES"):
        env_tile_url("MAP_TILES", "")


def test_env_tile_url_may_be_empty_for_no_tiles(monkeypatch):
    monkeypatch.setenv("MAP_TILES", " ")
    assert env_tile_url("MAP_TILES", "https://tiles.example.org/{z}/{x}/{y}.png") == ""


def test_a_spatialite_url_selects_the_spatialite_backend_with_wal():
    database = database_from_url("DATABASE_URL", "spatialite:////srv/mtp/db.sqlite3")
    assert database["ENGINE"] == "django.contrib.gis.db.backends.spatialite"
    assert database["NAME"] == "/srv/mtp/db.sqlite3"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]


def test_a_spatialite_url_with_three_slashes_is_relative_to_the_working_directory(
    monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    database = database_from_url("DATABASE_URL", "spatialite:///data/db.sqlite3")
    assert database["NAME"] == str(tmp_path / "data" / "db.sqlite3")


def test_a_postgres_url_selects_postgis_and_keeps_every_part():
    database = database_from_url(
        "DATABASE_URL", "postgres://mtp:s%40cret@db.internal:6543/maps?sslmode=require"
    )
    assert database["ENGINE"] == "django.contrib.gis.db.backends.postgis"
    assert (database["USER"], database["PASSWORD"]) == ("mtp", "s@cret")
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.internal", "6543", "maps")
    assert database["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize(
    "url", ["mysql://x/y", "postgres://host/", "spatialite://", "postgres://h:port/x"]
)
def test_a_database_url_that_does_not_parse_names_the_variable(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_from_url("DATABASE_URL", url)


def test_the_persistent_secret_is_generated_once_with_owner_only_permissions(tmp_path):
    path = tmp_path / "data" / "secret_key"
    first = persistent_secret(path)
    assert len(first) >= 50
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert persistent_secret(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://cache.internal:6380/1", "unix:///run/redis.sock"]
)
def test_a_redis_url_is_taken_as_given(monkeypatch, url):
    monkeypatch.setenv("REDIS_URL", url)
    assert env_redis_url("REDIS_URL") == url


def test_no_redis_url_is_an_empty_string(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert env_redis_url("REDIS_URL") == ""


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379", "127.0.0.1:6379", "redis://"])
def test_a_redis_url_that_does_not_parse_names_the_variable(monkeypatch, url):
    monkeypatch.setenv("REDIS_URL", url)
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        env_redis_url("REDIS_URL")
