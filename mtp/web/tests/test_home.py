"""The explore page and its result list: published sequences, filters, the map's settings."""

import json
import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from testing.builders import draft, publish


def results(client: Client, **params) -> str:
    response = client.get("/explore/results", params)
    assert response.status_code == 200
    return response.content.decode()


def listed(html: str) -> list[str]:
    return re.findall(r'class="title" href="[^"]+">([^<]+)</a>', html)


def map_config(html: str) -> dict:
    block = re.search(r'<script id="map-config" type="application/json">(.*?)</script>', html, re.S)
    assert block is not None, "the page has no map configuration"
    return json.loads(block.group(1))


@pytest.mark.django_db
def test_the_explore_page_lists_published_sequences_and_never_drafts(client, owner):
    publish(owner, "River walk")
    draft(owner, "Secret draft")
    draft(owner, "Importing walk", status="importing")
    page = client.get("/").content.decode()
    assert listed(page) == ["River walk"]
    assert "1 sequence" in page


@pytest.mark.django_db
def test_the_map_reads_tiles_with_the_website_client_id_and_the_base_map_from_settings(
    client, owner, settings
):
    settings.MTP_BASEMAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MTP_BASEMAP_ATTRIBUTION = "© Example maps"
    publish(owner, start=(2.0, 48.0), photos=3)
    config = map_config(client.get("/").content.decode())
    assert config["tiles"] == "http://testserver/api/v1/tiles/{z}/{x}/{y}.mvt?client_id=mtp-web"
    assert config["basemap"]["tiles"] == "https://tiles.example.org/{z}/{x}/{y}.png"
    assert config["basemap"]["attribution"] == "© Example maps"
    assert config["maplibre"].startswith("/static/vendor/maplibre-gl/")
    assert config["extent"] == pytest.approx([2.0, 48.0, 2.002, 48.001])
    assert "Walk" in config["transportTypes"]["Earth"]


@pytest.mark.django_db
def test_with_nothing_published_the_map_has_no_extent_to_frame(client):
    assert map_config(client.get("/").content.decode())["extent"] is None


@pytest.mark.django_db
def test_the_list_follows_the_map_area(client, owner):
    publish(owner, "London walk", start=(-0.12, 51.5))
    publish(owner, "Zurich walk", start=(8.54, 47.36))
    assert listed(results(client, bbox="-1,51,1,52")) == ["London walk"]
    assert listed(results(client, bbox="8,47,9,48")) == ["Zurich walk"]
    assert listed(results(client, bbox="20,10,21,11")) == []
    assert "in this area" in results(client, bbox="20,10,21,11")


@pytest.mark.django_db
def test_a_map_area_across_the_antimeridian_or_beyond_the_world_still_finds_routes(client, owner):
    publish(owner, "Fiji walk", start=(179.9, -17.8), photos=2)
    publish(owner, "London walk", start=(-0.12, 51.5))
    assert listed(results(client, bbox="179,-18,-179,-17")) == ["Fiji walk"]
    assert sorted(listed(results(client, bbox="-540,-100,540,100"))) == ["Fiji walk", "London walk"]


@pytest.mark.django_db
def test_a_transport_group_includes_its_kinds(client, owner):
    publish(owner, "Walk", transport="Walk")
    publish(owner, "Run", transport="Run")
    publish(owner, "Kayak", transport="Kayak")
    assert sorted(listed(results(client, type="Earth"))) == ["Run", "Walk"]
    assert listed(results(client, type="Kayak")) == ["Kayak"]


@pytest.mark.django_db
def test_tags_must_all_be_there(client, owner):
    publish(owner, "Both", tags=("river", "autumn"))
    publish(owner, "One", tags=("river",))
    assert sorted(listed(results(client, tag="River"))) == ["Both", "One"]
    assert listed(results(client, tag="river, autumn")) == ["Both"]


@pytest.mark.django_db
def test_the_date_range_counts_whole_days_of_capture(client, owner):
    publish(owner, "May", captured=datetime(2024, 5, 3, 23, 30, tzinfo=UTC))
    publish(owner, "June", captured=datetime(2024, 6, 1, 8, 0, tzinfo=UTC))
    assert listed(results(client, start="2024-05-03", end="2024-05-03")) == ["May"]
    assert listed(results(client, start="2024-05-04")) == ["June"]
    assert listed(results(client, end="2024-05-31")) == ["May"]


@pytest.mark.django_db
def test_the_date_range_reaches_the_ends_of_the_calendar(client, owner):
    publish(owner, "May", captured=datetime(2024, 5, 3, 23, 30, tzinfo=UTC))
    for params in [{"end": "9999-12-31"}, {"start": "0001-01-01", "end": "9999-12-31"}]:
        assert listed(results(client, **params)) == ["May"]
        page = client.get("/", params)
        assert page.status_code == 200
        assert listed(page.content.decode()) == ["May"]


@pytest.mark.django_db
def test_text_matches_name_or_description_in_any_case(client, owner):
    publish(owner, "Thames path", description="")
    publish(owner, "Evening", description="Along the THAMES at dusk")
    publish(owner, "Lake")
    assert sorted(listed(results(client, q="thames"))) == ["Evening", "Thames path"]


@pytest.mark.django_db
def test_text_and_tag_filters_tell_the_map_which_routes_match(client, owner):
    shown = publish(owner, "Thames path")
    publish(owner, "Lake")
    html = results(client, q="thames")
    block = re.search(r'<script id="map-matches" type="application/json">(.*?)</script>', html)
    assert json.loads(block.group(1)) == [str(shown.unique_id)]
    # Filters the tiles apply themselves need no list of matches.
    assert "map-matches" not in results(client, type="Walk")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"tag": "no spaces!"}, "Invalid tag"),
        ({"start": "2024-06-01", "end": "2024-05-01"}, "before the start date"),
        ({"start": "yesterday"}, "Enter a valid date"),
        ({"bbox": "1,2,three,4"}, "map area is not valid"),
        ({"type": "Submarine"}, "Select a valid choice"),
    ],
)
def test_bad_filters_are_reported_not_guessed(client, owner, params, message):
    publish(owner)
    html = results(client, **params)
    assert message in html
    assert listed(html) == []


@pytest.mark.django_db
def test_results_come_a_page_at_a_time_with_links_that_keep_the_filters(client, owner):
    for number in range(23):
        publish(owner, f"Walk {number:02}", tags=("river",))
    first = results(client, tag="river")
    assert len(listed(first)) == 20
    assert "23 sequences" in first
    assert 'href="/?tag=river&amp;page=2"' in first
    second = results(client, tag="river", page="2")
    assert len(listed(second)) == 3
    assert set(listed(first)).isdisjoint(listed(second))


@pytest.mark.django_db
def test_the_filters_survive_in_the_page_itself(client, owner):
    page = client.get("/", {"q": "river", "type": "Water", "start": "2024-01-01"}).content.decode()
    assert 'name="q" value="river"' in page
    assert '<option value="Water" selected>' in page
    assert "<details open>" in page
