"""Writes to sequences: create, change, delete, and like them and their photos.

Each action takes the acting user and plain values, locks the rows it changes, applies the
rules and writes in one transaction. The API and the pages find the sequence first (their 404
and its message are theirs), then call one action. Starting an import is in mtp.imports.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from mtp.sequences.likes import set_liked
from mtp.sequences.models import Image, ImageLike, Sequence, SequenceAlias, SequenceLike
from mtp.sequences.tags import insert_sequence, set_sequence_tags


class NotAPhoto(ValueError):
    """The cover asked for is not one of the sequence's photos."""


class NotPublished(ValueError):
    """Only what is published can be liked."""


def create_sequence(
    acting_user,
    *,
    name: str,
    description: str,
    transport_type_id: int,
    source: str,
    tags: list[str],
    application=None,
) -> Sequence:
    """A new draft of ``acting_user``'s with its tags (``insert_sequence``: all or nothing)."""
    sequence = Sequence(
        owner=acting_user,
        name=name,
        description=description,
        transport_type_id=transport_type_id,
        source=source,
        application=application,
    )
    insert_sequence(sequence, tags)
    return sequence


def _locked_own(acting_user, sequence_id: int) -> Sequence:
    """The sequence, its row locked (not its owner's, which the owner's other requests share);
    ``Sequence.DoesNotExist`` when it is gone, ``PermissionDenied`` when it is not theirs."""
    sequence = Sequence.objects.select_for_update(of=("self",)).get(pk=sequence_id)
    if sequence.owner_id != acting_user.pk:
        raise PermissionDenied("Only the sequence's owner may change it.")
    return sequence


def change_sequence(
    acting_user,
    sequence_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    transport_type_id: int | None = None,
    google_street_view: str | None = None,
    strava: str | None = None,
    cover: str | None = None,
    tags: list[str] | None = None,
) -> Sequence:
    """Change what the owner may change; None leaves a field as it is, an empty link removes
    it, ``cover`` is the ``key`` of one of its photos ("" for the first photo) and
    ``tags`` replaces all tags.

    Only the fields changed are saved: an import may be writing the route at the same time.
    ``edited_at`` says when the owner last changed the name, description, transport or tags.
    """
    with transaction.atomic():
        sequence = _locked_own(acting_user, sequence_id)
        changed = []
        if name is not None and name != sequence.name:
            sequence.name = name
            changed.append("name")
        if description is not None and description != sequence.description:
            sequence.description = description
            changed.append("description")
        if transport_type_id is not None and transport_type_id != sequence.transport_type_id:
            sequence.transport_type_id = transport_type_id
            changed.append("transport_type")
        changed += set_links(sequence, google_street_view, strava)
        if cover is not None:
            cover_id = _cover_id(sequence, cover)
            if cover_id != sequence.cover_id:
                sequence.cover_id = cover_id
                changed.append("cover")
        if tags is not None:
            set_sequence_tags(sequence.pk, tags)
        if tags is not None or set(changed) & {"name", "description", "transport_type"}:
            sequence.edited_at = timezone.now()
            changed.append("edited_at")
        if changed or tags is not None:
            sequence.save(update_fields=[*changed, "updated_at"])
    return sequence


def set_links(sequence: Sequence, google_street_view: str | None, strava: str | None) -> list[str]:
    """Set the sequence's links elsewhere (None leaves one as it is); the fields changed, for
    the caller to save with the rest of its change."""
    changed = []
    if google_street_view is not None and google_street_view != sequence.google_street_view:
        sequence.google_street_view = google_street_view
        changed.append("google_street_view")
    if strava is not None and strava != sequence.strava:
        sequence.strava = strava
        changed.append("strava")
    return changed


def _cover_id(sequence: Sequence, key: str) -> int | None:
    """The id of the sequence's photo ``key``; None for none (the first photo)."""
    if not key:
        return None
    image_id = (
        Image.objects.filter(sequence_id=sequence.pk, key=key).values_list("pk", flat=True).first()
    )
    if image_id is None:
        raise NotAPhoto("give the key of one of this sequence's photos.")
    return image_id


def delete_sequence(acting_user, sequence_id: int) -> None:
    """Delete the sequence with its images and import history."""
    with transaction.atomic():
        _locked_own(acting_user, sequence_id).delete()


def forget_merged_id(acting_user, unique_id) -> None:
    """Forget the id of a sequence merged into one of ``acting_user``'s (only the id: the
    sequence it joined stays)."""
    SequenceAlias.objects.filter(unique_id=unique_id, sequence__owner=acting_user).delete()


def like_sequence(acting_user, sequence: Sequence, liked: bool) -> int:
    """Make ``acting_user`` like the published ``sequence`` (or no longer); its like count
    afterwards. Saying the same again changes nothing."""
    if not sequence.is_public:
        raise NotPublished("Only what is published can be liked.")
    return set_liked(SequenceLike, "sequence", sequence, acting_user, liked)


def like_image(acting_user, key: str, liked: bool = True) -> int:
    """Make ``acting_user`` like the photo ``key`` of a published sequence (or no longer); its
    like count afterwards. Saying the same again changes nothing.

    ``Image.DoesNotExist`` when there is no such photo, or it is of a sequence the person may
    not see (another's draft: as if it did not exist); ``NotPublished`` for a photo of their
    own sequence that is not published yet.
    """
    with transaction.atomic():
        # The photo's row is locked until the count is written: its sequence cannot be taken
        # back or deleted meanwhile.
        image = (
            Image.objects.select_for_update(of=("self",))
            .select_related("sequence")
            .filter(sequence__in=Sequence.objects.visible_to(acting_user))
            .get(key=key)
        )
        if not image.sequence.is_public:
            raise NotPublished("Only photos of a published sequence can be liked.")
        return set_liked(ImageLike, "image", image, acting_user, liked)


def unlike_image(acting_user, key: str) -> int:
    """Take back ``acting_user``'s like of the photo ``key`` (``like_image``'s rules)."""
    return like_image(acting_user, key, liked=False)
