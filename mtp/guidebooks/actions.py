"""Writes to guidebooks: create, change, publish and delete them, and their scenes and points
of interest.

Each action takes the acting user and plain values, locks the guidebook's row (not its
owner's), applies the rules and writes in one transaction: the most scenes a guidebook holds
and points a scene holds are counted under that lock, and every change of a scene or a point
touches the guidebook (``updated_at``). The API and the pages find what they change first
(their 404 and 403 are theirs), then call one action.

A guidebook that becomes published sends ``published`` in the transaction that publishes it,
from ``_publish`` alone. The webhooks app, a layer above, listens to tell the application that
created it (mtp.webhooks.events.guidebook_published).
"""

from enum import Enum
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from mtp.guidebooks.models import Category, Guidebook, Poi, Scene
from mtp.sequences.models import Image

# Sent with ``guidebook`` when it becomes published, inside the transaction that publishes it.
published = Signal()


class Keep(Enum):
    """A field that may be set to None (none) is left as it is when given ``KEEP``."""

    KEEP = "keep"


KEEP = Keep.KEEP


class SceneOrderError(ValueError):
    """A new order of scenes that does not name every shown scene once."""


def _locked_own(acting_user, guidebook_id: int) -> Guidebook:
    """The guidebook, its row locked; ``Guidebook.DoesNotExist`` when it is gone,
    ``PermissionDenied`` when it is not ``acting_user``'s."""
    guidebook = Guidebook.objects.select_for_update(of=("self",)).get(pk=guidebook_id)
    if guidebook.owner_id != acting_user.pk:
        raise PermissionDenied("Only the guidebook's owner may change it.")
    return guidebook


def _publish(guidebook: Guidebook) -> None:
    published.send(sender=Guidebook, guidebook=guidebook)


# Guidebooks -----------------------------------------------------------------------------------


def create_guidebook(
    acting_user,
    *,
    name: str,
    description: str = "",
    category: Category | None = None,
    published: bool = False,
    tags: list[str] | None = None,
    application=None,
) -> Guidebook:
    """A new guidebook of ``acting_user``'s: a draft, unless ``published``."""
    guidebook = Guidebook(
        owner=acting_user,
        application=application,
        name=name,
        description=description,
        category=category,
        published_at=timezone.now() if published else None,
    )
    with transaction.atomic():
        guidebook.save()
        guidebook.set_tags(tags or [])
        if published:
            _publish(guidebook)
    return guidebook


def change_guidebook(
    acting_user,
    guidebook_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    category: Category | None | Literal[Keep.KEEP] = KEEP,
    published: bool | None = None,
    tags: list[str] | None = None,
) -> Guidebook:
    """Change the guidebook's fields; None (``KEEP`` for the category) leaves one as it is.
    ``published`` True publishes a draft (and sends ``published``), False makes it a draft."""
    with transaction.atomic():
        guidebook = _locked_own(acting_user, guidebook_id)
        if name is not None:
            guidebook.name = name
        if description is not None:
            guidebook.description = description
        if category is not KEEP:
            guidebook.category = category
        newly_published = False
        if published is not None:
            if published and not guidebook.is_published:
                guidebook.published_at = timezone.now()
                newly_published = True
            elif not published:
                guidebook.published_at = None
        guidebook.save()
        if tags is not None:
            guidebook.set_tags(tags)
        if newly_published:
            _publish(guidebook)
    return guidebook


def delete_guidebook(acting_user, guidebook_id: int) -> None:
    """Delete the guidebook with its scenes and points."""
    with transaction.atomic():
        _locked_own(acting_user, guidebook_id).delete()


# Scenes ---------------------------------------------------------------------------------------


def add_scene(
    acting_user,
    guidebook_id: int,
    image: Image,
    *,
    position: int | None = None,
    title: str = "",
    description: str = "",
) -> Scene:
    """A new scene on ``image`` (of a published sequence) at ``position`` (the end when None).
    Raises ``TooManyScenes``."""
    with transaction.atomic():
        guidebook = _locked_own(acting_user, guidebook_id)
        scene = guidebook.add_scene(image, position=position, title=title, description=description)
        guidebook.touch()
    return scene


def reorder_scenes(acting_user, guidebook_id: int, scene_ids: list) -> None:
    """Put the scenes in the order of ``scene_ids`` (their ``unique_id``s): every shown scene
    once; hidden ones (of sequences no longer published) left out keep their order, after the
    others. Raises ``SceneOrderError``."""
    with transaction.atomic():
        guidebook = _locked_own(acting_user, guidebook_id)
        scenes = guidebook.scenes.order_by("position", "id")
        ids = dict(scenes.values_list("unique_id", "pk"))
        shown = set(scenes.shown().values_list("unique_id", flat=True))
        if len(set(scene_ids)) != len(scene_ids) or not shown <= set(scene_ids) <= set(ids):
            raise SceneOrderError("give every scene's unique_id of this guidebook, each once.")
        rest = [pk for scene_id, pk in ids.items() if scene_id not in set(scene_ids)]
        guidebook.renumber([ids[scene_id] for scene_id in scene_ids] + rest)
        guidebook.touch()


def change_scene(
    acting_user,
    guidebook_id: int,
    scene_id: int,
    *,
    title: str | None = None,
    description: str | None = None,
    position: int | None = None,
) -> Scene:
    """Change a scene's title or description (None leaves one as it is), and move it to
    ``position`` (the others moved along)."""
    with transaction.atomic():
        guidebook = _locked_own(acting_user, guidebook_id)
        scene = guidebook.scenes.get(pk=scene_id)
        if title is not None:
            scene.title = title
        if description is not None:
            scene.description = description
        scene.save()
        if position is not None:
            guidebook.move_scene(scene, position)
        guidebook.touch()
    return scene


def shift_scene(acting_user, guidebook_id: int, scene_id: int, step: int) -> None:
    """Move a scene ``step`` places on from where it is now (-1: up one)."""
    with transaction.atomic():
        guidebook = _locked_own(acting_user, guidebook_id)
        scene = guidebook.scenes.get(pk=scene_id)
        guidebook.move_scene(scene, max(0, scene.position + step))
        guidebook.touch()


def delete_scene(acting_user, guidebook_id: int, scene_id: int) -> None:
    """Delete a scene (shown or hidden) with its points; the scenes after it move up."""
    with transaction.atomic():
        guidebook = _locked_own(acting_user, guidebook_id)
        guidebook.scenes.get(pk=scene_id).delete()
        guidebook.renumber(guidebook.scene_ids())
        guidebook.touch()


# Points of interest ---------------------------------------------------------------------------


def add_poi(
    acting_user,
    guidebook_id: int,
    scene_id: int,
    *,
    title: str,
    x: float,
    y: float,
    description: str = "",
    category: Category | None = None,
    url: str = "",
) -> Poi:
    """A new point of interest on the scene's photo, at ``x``, ``y`` (0 to 1 from its top left
    corner). Raises ``TooManyPois``."""
    with transaction.atomic():
        guidebook = _locked_own(acting_user, guidebook_id)
        scene = guidebook.scenes.get(pk=scene_id)
        poi = scene.add_poi(
            title=title, description=description, x=x, y=y, category=category, url=url
        )
        guidebook.touch()
    return poi


def change_poi(
    acting_user,
    guidebook_id: int,
    poi_id: int,
    *,
    title: str | None = None,
    description: str | None = None,
    x: float | None = None,
    y: float | None = None,
    category: Category | None | Literal[Keep.KEEP] = KEEP,
    url: str | None = None,
) -> Poi:
    """Change a point of interest; None (``KEEP`` for the category) leaves a field as it is,
    an empty ``url`` removes it."""
    with transaction.atomic():
        guidebook = _locked_own(acting_user, guidebook_id)
        poi = Poi.objects.get(pk=poi_id, scene__guidebook=guidebook)
        if x is not None and y is not None:
            poi.x, poi.y = x, y
        if title is not None:
            poi.title = title
        if description is not None:
            poi.description = description
        if category is not KEEP:
            poi.category = category
        if url is not None:
            poi.url = url
        poi.save()
        guidebook.touch()
    return poi


def delete_poi(acting_user, guidebook_id: int, poi_id: int) -> bool:
    """Delete a point of interest; False when it was gone already."""
    with transaction.atomic():
        guidebook = _locked_own(acting_user, guidebook_id)
        deleted, _ = Poi.objects.filter(pk=poi_id, scene__guidebook=guidebook).delete()
        if deleted:
            guidebook.touch()
    return bool(deleted)
