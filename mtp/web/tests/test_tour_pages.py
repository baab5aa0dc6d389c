"""Tour pages: a tour with its routes on one map and the viewer walking across them, Explore's
Tours tab, profiles, adding a sequence to a tour, editing with Move up / Move down, likes."""

import json
import re

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from mtp.sequences.models import Sequence
from mtp.tours.models import Tour, TourLike, set_tour_sequences
from testing.builders import publish

TOKEN = "MLY|1234|a-client-secret"


@pytest.fixture(autouse=True)
def with_photos(settings):
    settings.MAPILLARY_CLIENT_TOKEN = TOKEN


def make_tour(owner, routes, name="London in a day", **fields) -> Tour:
    tour = Tour.objects.create(owner=owner, name=name, **fields)
    set_tour_sequences(tour, [route.pk for route in routes])
    return tour


@pytest.fixture
def routes(owner, other_user) -> list[Sequence]:
    return [
        publish(owner, "Bridges", photos=3, start=(-0.12, 51.50)),
        publish(other_user, "Parks", photos=2, start=(-0.15, 51.51)),
        publish(owner, "Markets", photos=4, start=(-0.09, 51.52)),
    ]


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status
    return response.content.decode()


def config(html: str, name: str) -> dict:
    found = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None, f"no {name} on the page"
    return json.loads(found.group(1))


def route_names(html: str) -> list[str]:
    listed = html.split('id="routes"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r'<a class="title" href="[^"]+">([^<]+)</a>', listed)


def strip_keys(html: str) -> list[str]:
    strip = html.split('id="photo-strip"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r'data-key="([^"]+)"', strip)


def keys(route: Sequence) -> list[str]:
    return list(route.images.order_by("position").values_list("key", flat=True))


@pytest.mark.django_db
def test_a_tour_page_lists_its_routes_in_order_and_maps_them_all(client, owner, routes):
    tour = make_tour(owner, [routes[2], routes[0], routes[1]])
    html = page(client, tour.get_absolute_url())
    assert route_names(html) == ["Markets", "Bridges", "Parks"]
    data = config(html, "map-config")["sequence"]
    # The routes' lines come from the tour's GeoJSON; the photos, route by route, by API.
    assert data["routesUrl"] == f"{tour.get_absolute_url()}?format=geojson"
    assert data["total"] == 9 and data["photos"] == []
    viewer = config(html, "viewer-config")
    assert [(item["name"], item["first"], item["count"]) for item in viewer["routes"]] == [
        ("Markets", 0, 4),
        ("Bridges", 4, 3),
        ("Parks", 7, 2),
    ]
    assert viewer["position"] == 0
    images = viewer["images"].replace("{id}", viewer["routes"][1]["id"])
    listed = client.get(images).json()["results"]
    assert [item["mapillary_key"] for item in listed] == keys(routes[0])
    # The page walks across the routes one after another: Markets' photos, then Bridges'...
    assert strip_keys(html) == [*keys(routes[2]), *keys(routes[0]), *keys(routes[1])]
    assert "Route 1 of 3" in html and 'id="photo-image"' in html


@pytest.mark.django_db
def test_the_photo_address_opens_the_tour_on_a_later_route(client, owner, routes):
    tour = make_tour(owner, routes)
    key = routes[1].images.get(position=1).mapillary_key
    html = page(client, f"{tour.get_absolute_url()}?photo={key}")
    assert "Route 2 of 3" in html and "Photo 5 of 9" in html
    assert config(html, "viewer-config")["position"] == 4


@pytest.mark.django_db
def test_next_and_previous_cross_from_one_route_to_the_next_without_the_script(
    client, owner, routes
):
    tour = make_tour(owner, routes)
    last = keys(routes[0])[-1]
    html = page(client, f"{tour.get_absolute_url()}?photo={last}")
    assert f'id="photo-next" rel="next" href="?photo={keys(routes[1])[0]}"' in html
    html = page(client, f"{tour.get_absolute_url()}?photo={keys(routes[1])[0]}")
    assert f'id="photo-previous" rel="prev" href="?photo={last}"' in html
    assert "Route 2 of 3" in html and "Photo 4 of 9" in html


@pytest.mark.django_db
def test_a_tour_page_does_not_grow_with_its_routes_photos(client, owner):
    def tour_page(photos: int) -> tuple[Tour, str, list[Sequence]]:
        made = [
            publish(owner, f"Route {n}", photos=photos, start=(6.1 + n * 0.01, 46.2))
            for n in range(4)
        ]
        tour = make_tour(owner, made, name=f"{photos:02d} photos a route")
        return tour, page(client, tour.get_absolute_url()), made

    _, few, _ = tour_page(3)
    tour, many, made = tour_page(50)
    # The same page but for the counts it gives (and the strip, full in both).
    assert abs(len(many) - len(few)) < 300, (len(few), len(many))
    shown = set(strip_keys(many))
    assert len(shown) == 11
    for route in made:
        for key in keys(route):
            assert (key in many) == (key in shown), key
    # A photo far into the tour is still found by its address, with its strip around it.
    far = keys(made[3])[30]
    html = page(client, f"{tour.get_absolute_url()}?photo={far}")
    assert "Photo 181 of 200" in html and "Route 4 of 4" in html
    assert strip_keys(html) == keys(made[3])[25:36]


@pytest.mark.django_db
def test_a_tour_downloads_as_streamed_gpx_and_geojson_like_the_api(client, owner, routes, app):
    tour = make_tour(owner, routes)
    for kind, accept in (("gpx", "application/gpx+xml"), ("geojson", "application/geo+json")):
        response = client.get(f"{tour.get_absolute_url()}?format={kind}")
        assert response.status_code == 200
        assert isinstance(response, StreamingHttpResponse)
        assert response["Content-Disposition"].startswith("attachment;")
        api = client.get(
            f"/api/v1/tours/{tour.unique_id}?client_id={app.client_id}", HTTP_ACCEPT=accept
        )
        assert response.getvalue() == api.getvalue()
    assert client.get(f"{tour.get_absolute_url()}?format=kml").status_code == 400


@pytest.mark.django_db
def test_a_route_no_longer_published_is_gone_from_the_page(client, owner, routes):
    tour = make_tour(owner, routes)
    routes[1].status = Sequence.Status.FAILED
    routes[1].save()
    assert route_names(page(client, tour.get_absolute_url())) == ["Bridges", "Markets"]


@pytest.mark.django_db
def test_a_draft_tour_is_seen_by_its_owner_only(client, owner_client, other_client, owner, routes):
    tour = make_tour(owner, routes, status="draft")
    page(owner_client, tour.get_absolute_url())
    page(other_client, tour.get_absolute_url(), status=404)
    page(client, tour.get_absolute_url(), status=404)


@pytest.mark.django_db
def test_explore_has_a_tours_tab_listing_published_tours(client, owner, routes):
    make_tour(owner, routes[:1], name="Seen")
    make_tour(owner, routes[:1], name="Hidden", status="draft")
    assert 'href="/tours/"' in page(client, "/")
    html = page(client, "/tours/")
    assert "Seen" in html and "Hidden" not in html
    assert 'aria-current="page">Tours' in html


@pytest.mark.django_db
def test_explore_results_offer_to_add_each_sequence_to_a_tour(client, routes):
    html = page(client, "/")
    assert f'/tours/add/?sequence={routes[0].unique_id}"' in html


@pytest.mark.django_db
def test_a_profile_lists_the_persons_tours_and_their_drafts_to_them_only(
    client, owner_client, owner, routes
):
    make_tour(owner, routes[:1], name="Public one")
    make_tour(owner, routes[:1], name="Secret one", status="draft")
    url = reverse("accounts:profile", args=[owner.username])
    html = page(client, url)
    assert "Public one" in html and "Secret one" not in html
    assert "Secret one" in page(owner_client, url)


@pytest.mark.django_db
def test_a_sequence_is_added_to_a_tour_from_its_page(owner_client, owner, routes):
    html = page(owner_client, routes[1].get_absolute_url())
    add = f"/tours/add/?sequence={routes[1].unique_id}"
    assert add in html
    tour = make_tour(owner, routes[:1])
    assert "London in a day" in page(owner_client, add)
    response = owner_client.post(
        "/tours/add/", {"sequence": str(routes[1].unique_id), "tour": str(tour.unique_id)}
    )
    assert response.status_code == 302
    assert list(tour.entries.values_list("sequence__name", flat=True)) == ["Bridges", "Parks"]
    # Twice changes nothing.
    owner_client.post(
        "/tours/add/", {"sequence": str(routes[1].unique_id), "tour": str(tour.unique_id)}
    )
    assert tour.entries.count() == 2


@pytest.mark.django_db
def test_a_new_tour_starts_with_the_sequence_it_was_made_from(owner_client, owner, routes):
    response = owner_client.post(
        "/tours/new/",
        {"name": "Parks first", "sequence": str(routes[1].unique_id), "status": "published"},
    )
    assert response.status_code == 302
    tour = Tour.objects.get(owner=owner)
    assert list(tour.entries.values_list("sequence__name", flat=True)) == ["Parks"]
    assert tour.sequence_count == 1


@pytest.mark.django_db
def test_routes_move_up_and_down_with_buttons_that_keep_the_focus(owner_client, owner, routes):
    tour = make_tour(owner, routes)
    edit = f"/tours/{tour.unique_id}/edit/"
    html = page(owner_client, edit)
    # Ordinary buttons in a form: reachable with Tab, pressed with Enter or Space.
    assert f'name="move" value="down:{routes[0].unique_id}"' in html
    response = owner_client.post(edit, {"move": f"down:{routes[0].unique_id}"})
    assert response.status_code == 302
    names = list(tour.entries.order_by("position").values_list("sequence__name", flat=True))
    assert names == ["Parks", "Bridges", "Markets"]
    html = page(owner_client, response["Location"])
    moved = re.search(r"<button[^>]*autofocus[^>]*>", html).group(0)
    assert f'value="down:{routes[0].unique_id}"' in moved
    owner_client.post(edit, {"move": f"up:{routes[2].unique_id}"})
    owner_client.post(edit, {"remove": str(routes[1].unique_id)})
    names = list(tour.entries.order_by("position").values_list("sequence__name", flat=True))
    assert names == ["Markets", "Bridges"]


@pytest.mark.django_db
def test_only_the_owner_edits_a_tour(other_client, owner, routes):
    tour = make_tour(owner, routes)
    page(other_client, f"/tours/{tour.unique_id}/edit/", status=404)
    response = other_client.post(
        f"/tours/{tour.unique_id}/edit/", {"remove": str(routes[0].unique_id)}
    )
    assert response.status_code == 404 and tour.entries.count() == 3


@pytest.mark.django_db
def test_the_like_button_likes_and_unlikes_a_tour(other_client, owner, other_user, routes):
    tour = make_tour(owner, routes)
    html = page(other_client, tour.get_absolute_url())
    assert 'aria-pressed="false"' in html
    other_client.post(f"/tours/{tour.unique_id}/like/", {"like": "1"})
    assert TourLike.objects.filter(tour=tour, user=other_user).exists()
    html = page(other_client, tour.get_absolute_url())
    assert 'aria-pressed="true"' in html and '<dd id="like-count">1</dd>' in html
    other_client.post(f"/tours/{tour.unique_id}/like/", {"like": "0"})
    assert Tour.objects.get(pk=tour.pk).like_count == 0


@pytest.mark.django_db
def test_the_like_button_likes_a_sequence(other_client, routes):
    sequence = routes[0]
    other_client.post(f"/sequences/{sequence.unique_id}/like/", {"like": "1"})
    html = page(other_client, sequence.get_absolute_url())
    assert 'aria-pressed="true"' in html and '<dd id="like-count">1</dd>' in html


@pytest.mark.django_db
def test_liking_asks_to_log_in_first(client, routes):
    html = page(client, routes[0].get_absolute_url())
    assert "Log in to like it" in html
    response = client.post(f"/sequences/{routes[0].unique_id}/like/")
    assert response.status_code == 302 and "login" in response["Location"]
