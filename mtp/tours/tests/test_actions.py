"""The tour actions: what each writes, the one event a publication sends, and whom they refuse."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mtp.sequences.actions import NotPublished
from mtp.sequences.models import Sequence
from mtp.tours import actions
from mtp.tours.models import Tour
from mtp.webhooks.events import TOUR_PUBLISHED
from mtp.webhooks.models import WebhookDelivery
from testing.builders import make_sequence


def route(index: int) -> list[tuple[float, float]]:
    west = 6.10 + index * 0.01
    return [(west, 46.20), (west + 0.004, 46.201), (west + 0.008, 46.202)]


@pytest.fixture
def routes(owner, other_user) -> list[Sequence]:
    """Three published routes, one of them someone else's (anyone's may be in a tour)."""
    return [
        make_sequence(owner, name="Old town", route=route(0)),
        make_sequence(other_user, name="Lake shore", route=route(1)),
        make_sequence(owner, name="Parks", route=route(2)),
    ]


@pytest.fixture
def listening_app(app):
    """The application that creates the tours, with a webhook URL."""
    app.webhook_url = "https://hooks.example.org/mtp"
    app.save()
    return app


def route_names(tour: Tour) -> list[str]:
    return list(tour.entries.order_by("position").values_list("sequence__name", flat=True))


def events() -> list[dict]:
    deliveries = WebhookDelivery.objects.filter(event_type=TOUR_PUBLISHED).order_by("id")
    return [json.loads(delivery.body) for delivery in deliveries]


def make_tour(owner, routes, **fields) -> Tour:
    return actions.create_tour(
        owner, name="Geneva", sequence_ids=[route.pk for route in routes], **fields
    )


def test_creating_a_tour_keeps_its_routes_in_order_with_its_tags_and_totals(owner, routes):
    tour = make_tour(owner, [routes[2], routes[0]], tags=["lake", "old-town"])
    tour.refresh_from_db()
    assert route_names(tour) == ["Parks", "Old town"]
    assert sorted(tour.tags.values_list("name", flat=True)) == ["lake", "old-town"]
    assert tour.sequence_count == 2
    assert tour.image_count == routes[2].image_count + routes[0].image_count
    assert tour.owner == owner and tour.is_public


def test_a_tour_created_published_sends_its_event_once(owner, routes, listening_app):
    tour = make_tour(owner, routes, application=listening_app)
    assert [event["data"]["tour"]["unique_id"] for event in events()] == [str(tour.unique_id)]
    assert events()[0]["data"]["tour"]["sequence_count"] == 3


def test_a_draft_sends_no_event_until_it_is_published_and_then_one(owner, routes, listening_app):
    tour = make_tour(owner, routes, status="draft", application=listening_app)
    assert events() == []
    actions.change_tour(owner, tour.pk, status="published")
    actions.change_tour(owner, tour.pk, name="Geneva, renamed")
    actions.change_tour(owner, tour.pk, status="published")
    assert len(events()) == 1


def test_an_application_without_a_webhook_url_hears_nothing(owner, routes, app):
    make_tour(owner, routes, application=app)
    assert events() == []


def test_changing_a_tour_leaves_what_is_not_given(owner, routes):
    tour = make_tour(owner, routes, description="Three walks", tags=["lake"])
    actions.change_tour(owner, tour.pk, name="Renamed")
    tour.refresh_from_db()
    assert (tour.name, tour.description) == ("Renamed", "Three walks")
    assert list(tour.tags.values_list("name", flat=True)) == ["lake"]
    actions.change_tour(owner, tour.pk, tags=[])
    assert not tour.tags.exists()


def test_setting_the_routes_replaces_and_reorders_them(owner, routes):
    tour = make_tour(owner, routes)
    actions.set_routes(owner, tour.pk, [routes[2].pk, routes[1].pk])
    tour.refresh_from_db()
    assert route_names(tour) == ["Parks", "Lake shore"]
    assert tour.sequence_count == 2


def test_adding_a_route_puts_it_at_the_end_once(owner, routes):
    tour = make_tour(owner, routes[:2])
    actions.add_route(owner, tour.pk, routes[2].pk)
    actions.add_route(owner, tour.pk, routes[0].pk)
    assert route_names(tour) == ["Old town", "Lake shore", "Parks"]


def test_a_full_tour_takes_no_more_routes(owner, routes, monkeypatch):
    monkeypatch.setattr(actions, "MAX_SEQUENCES", 2)
    tour = make_tour(owner, routes[:2])
    actions.add_route(owner, tour.pk, routes[2].pk)
    assert route_names(tour) == ["Old town", "Lake shore"]


def test_moving_a_route_says_which_way_it_can_go_on(owner, routes):
    tour = make_tour(owner, routes)
    parks = str(routes[2].unique_id)
    assert actions.move_route(owner, tour.pk, parks, "up") == "up"
    assert route_names(tour) == ["Old town", "Parks", "Lake shore"]
    assert actions.move_route(owner, tour.pk, parks, "up") == "down"
    assert route_names(tour) == ["Parks", "Old town", "Lake shore"]
    assert actions.move_route(owner, tour.pk, parks, "up") == ""
    assert actions.move_route(owner, tour.pk, parks, "remove") == ""
    assert route_names(tour) == ["Old town", "Lake shore"]


def test_moving_a_route_not_in_the_tour_changes_nothing(owner, routes):
    tour = make_tour(owner, routes[:2])
    assert actions.move_route(owner, tour.pk, str(routes[2].unique_id), "down") == ""
    assert route_names(tour) == ["Old town", "Lake shore"]


def test_someone_else_may_not_change_reorder_or_delete_a_tour(owner, other_user, routes):
    tour = make_tour(owner, routes)
    with pytest.raises(PermissionDenied):
        actions.change_tour(other_user, tour.pk, name="Mine now")
    with pytest.raises(PermissionDenied):
        actions.set_routes(other_user, tour.pk, [routes[1].pk])
    with pytest.raises(PermissionDenied):
        actions.add_route(other_user, tour.pk, routes[1].pk)
    with pytest.raises(PermissionDenied):
        actions.move_route(other_user, tour.pk, str(routes[0].unique_id), "remove")
    with pytest.raises(PermissionDenied):
        actions.delete_tour(other_user, tour.pk)
    tour.refresh_from_db()
    assert tour.name == "Geneva"
    assert route_names(tour) == ["Old town", "Lake shore", "Parks"]


def test_deleting_a_tour_keeps_its_routes(owner, routes):
    tour = make_tour(owner, routes)
    actions.delete_tour(owner, tour.pk)
    assert not Tour.objects.filter(pk=tour.pk).exists()
    assert Sequence.objects.filter(pk__in=[route.pk for route in routes]).count() == 3


def test_a_gone_tour_is_not_found(owner, routes):
    tour = make_tour(owner, routes)
    Tour.objects.filter(pk=tour.pk).delete()
    with pytest.raises(Tour.DoesNotExist):
        actions.change_tour(owner, tour.pk, name="Back")


def test_liking_a_tour_is_counted_once_and_taken_back(owner, other_user, routes):
    tour = make_tour(owner, routes)
    assert actions.like_tour(other_user, tour, True) == 1
    assert actions.like_tour(other_user, tour, True) == 1
    assert actions.like_tour(owner, tour, True) == 2
    assert actions.like_tour(other_user, tour, False) == 1
    tour.refresh_from_db()
    assert tour.like_count == 1


def test_a_draft_tour_cannot_be_liked(owner, other_user, routes):
    tour = make_tour(owner, routes, status="draft")
    with pytest.raises(NotPublished):
        actions.like_tour(other_user, tour, True)
    assert not tour.likes.exists()


@pytest.mark.skipif(
    not connection.features.has_select_for_update,
    reason="SQLite has no row locks: a write locks the whole database",
)
def test_a_change_reads_the_tour_under_its_rows_lock_first(owner, routes):
    tour = make_tour(owner, routes)
    with CaptureQueriesContext(connection) as queries:
        actions.set_routes(owner, tour.pk, [routes[0].pk])
    reads = [query["sql"] for query in queries if query["sql"].startswith("SELECT")]
    assert '"tours_tour"' in reads[0] and 'FOR UPDATE OF "tours_tour"' in reads[0]
