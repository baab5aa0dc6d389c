"""Writes to tours: create, change, set and reorder their routes, delete, and like them.

Each action takes the acting user and plain values, locks the tour's row (not its owner's,
which the owner's other requests share), applies the rules and writes in one transaction.
The API and the pages find the tour first (their 404 and 403 are theirs), then call one action.

A tour that becomes public sends ``published`` in the transaction that publishes it, from
``_publish`` alone. The webhooks app, a layer above, listens to tell the application that
created the tour (mtp.webhooks.events.tour_published): this app offers the hook rather than
importing it.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import Signal

from mtp.sequences.actions import NotPublished
from mtp.sequences.likes import set_liked
from mtp.sequences.models import Sequence
from mtp.tours.models import MAX_SEQUENCES, Tour, TourLike, set_tour_sequences

# Sent with ``tour`` when a tour becomes public, inside the transaction that publishes it.
published = Signal()

MOVES = ("up", "down", "remove")


def _publish(tour: Tour, was_public: bool) -> None:
    if tour.is_public and not was_public:
        published.send(sender=Tour, tour=tour)


def _locked_own(acting_user, tour_id: int) -> Tour:
    """The tour, its row locked; ``Tour.DoesNotExist`` when it is gone, ``PermissionDenied``
    when it is not ``acting_user``'s."""
    tour = Tour.objects.select_for_update(of=("self",)).get(pk=tour_id)
    if tour.owner_id != acting_user.pk:
        raise PermissionDenied("Only the tour's owner may change or delete it.")
    return tour


def create_tour(
    acting_user,
    *,
    name: str,
    description: str = "",
    status: str = Tour.Status.PUBLISHED,
    tags: list[str] | None = None,
    sequence_ids: list[int] | None = None,
    application=None,
) -> Tour:
    """A new tour of ``acting_user``'s with its tags and the published sequences
    ``sequence_ids`` as its routes, in order."""
    tour = Tour(
        owner=acting_user,
        application=application,
        name=name,
        description=description,
        status=status,
    )
    with transaction.atomic():
        tour.save()
        tour.set_tags(tags or [])
        set_tour_sequences(tour, sequence_ids or [])
        _publish(tour, was_public=False)
    return tour


def change_tour(
    acting_user,
    tour_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    status: str | None = None,
    tags: list[str] | None = None,
) -> Tour:
    """Change the tour's fields; None leaves one as it is, ``tags`` replaces all tags. A draft
    made published sends ``published``."""
    with transaction.atomic():
        tour = _locked_own(acting_user, tour_id)
        was_public = tour.is_public
        if name is not None:
            tour.name = name
        if description is not None:
            tour.description = description
        if status is not None:
            tour.status = status
        tour.save()
        if tags is not None:
            tour.set_tags(tags)
        _publish(tour, was_public)
    return tour


def set_routes(acting_user, tour_id: int, sequence_ids: list[int]) -> Tour:
    """Make the published sequences ``sequence_ids`` the tour's routes, in this order."""
    with transaction.atomic():
        tour = _locked_own(acting_user, tour_id)
        set_tour_sequences(tour, sequence_ids)
        tour.save(update_fields=["updated_at"])
    return tour


def add_route(acting_user, tour_id: int, sequence_id: int) -> Tour:
    """Add the published sequence at the end of the tour, unless it is in it already or the
    tour is full."""
    with transaction.atomic():
        tour = _locked_own(acting_user, tour_id)
        ids = list(tour.entries.order_by("position").values_list("sequence_id", flat=True))
        if sequence_id not in ids and len(ids) < MAX_SEQUENCES:
            set_tour_sequences(tour, [*ids, sequence_id])
            tour.save(update_fields=["updated_at"])
    return tour


def move_route(acting_user, tour_id: int, which: str, move: str) -> str:
    """Move the route ``which`` (its sequence's ``unique_id``) a place ``up`` or ``down``,
    or ``remove`` it, in the order the routes have now, under the tour's lock (another change
    may have come since the caller read them). Return the way the route can go on moving
    after a move ("up" or "down"), or "" when it did not move or was removed."""
    with transaction.atomic():
        tour = _locked_own(acting_user, tour_id)
        routes = (
            Sequence.objects.published()
            .filter(tour_entries__tour=tour)
            .order_by("tour_entries__position")
            .values_list("unique_id", "pk")
        )
        by_id = {str(unique_id): pk for unique_id, pk in routes}
        order, further = _moved(list(by_id), move, which)
        set_tour_sequences(tour, [by_id[item] for item in order])
        tour.save(update_fields=["updated_at"])
    return further


def _moved(order: list[str], move: str, which: str) -> tuple[list[str], str]:
    """``order`` (changed in place) with ``which`` moved up, down or removed, and the way it
    can go on moving ("up", "down" or "" for none)."""
    if which not in order:
        return order, ""
    place = order.index(which)
    if move == "up" and place > 0:
        order[place - 1], order[place] = order[place], order[place - 1]
        return order, "up" if place - 1 > 0 else "down"
    if move == "down" and place + 1 < len(order):
        order[place + 1], order[place] = order[place], order[place + 1]
        return order, "down" if place + 2 < len(order) else "up"
    if move == "remove":
        order.remove(which)
    return order, ""


def delete_tour(acting_user, tour_id: int) -> None:
    """Delete the tour (its routes stay as they are)."""
    with transaction.atomic():
        _locked_own(acting_user, tour_id).delete()


def like_tour(acting_user, tour: Tour, liked: bool) -> int:
    """Make ``acting_user`` like the published ``tour`` (or no longer); its like count
    afterwards. Saying the same again changes nothing."""
    if not tour.is_public:
        raise NotPublished("Only what is published can be liked.")
    return set_liked(TourLike, "tour", tour, acting_user, liked)
