"""Likes: someone likes a sequence (or a tour) at most once; the object counts its likes.

The count is a column kept in step with the like rows in the same transaction, so that a
search sorted by likes reads an index instead of counting every object's likes.
"""

from django.db import IntegrityError, models, transaction
from django.db.models import F


def set_liked(like_model: type[models.Model], field: str, target: models.Model, user, liked: bool):
    """Make ``user`` like ``target`` (or no longer); return its like count afterwards.

    ``like_model`` has a foreign key ``field`` to ``target``'s model and one ``user``. Saying
    the same again changes nothing (PUT and DELETE are idempotent).
    """
    counted = type(target)._default_manager.filter(pk=target.pk)
    rows = like_model._default_manager.filter(user=user, **{field: target})
    with transaction.atomic():
        if liked:
            try:
                with transaction.atomic():
                    like_model._default_manager.create(user=user, **{field: target})
            except IntegrityError:
                # Liked already (perhaps by a request a moment before).
                pass
            else:
                counted.update(like_count=F("like_count") + 1)
        else:
            deleted, _ = rows.delete()
            if deleted:
                counted.update(like_count=F("like_count") - deleted)
        return counted.values_list("like_count", flat=True).get()


def liked_ids(like_model: type[models.Model], field: str, user, ids: list[int]) -> set[int]:
    """Which of the objects ``ids`` ``user`` likes, in one query."""
    if user is None or not user.is_authenticated or not ids:
        return set()
    return set(
        like_model._default_manager.filter(user=user, **{f"{field}_id__in": ids}).values_list(
            f"{field}_id", flat=True
        )
    )


def recount(model: type[models.Model], like_model: type[models.Model], field: str, ids) -> None:
    """Count the likes of the objects ``ids`` again (after likes went with their user)."""
    if not ids:
        return
    count = (
        like_model._default_manager.filter(**{field: models.OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(total=models.Count("pk"))
        .values("total")
    )
    model._default_manager.filter(pk__in=list(ids)).update(
        like_count=models.functions.Coalesce(models.Subquery(count), 0)
    )


def recount_when_users_leave(
    like_model: type[models.Model], field: str, model: type[models.Model]
) -> None:
    """When a user is deleted their likes go with them: count the objects they liked again."""
    from django.conf import settings
    from django.db.models.signals import post_delete, pre_delete

    key = f"_liked_{like_model._meta.label_lower.replace('.', '_')}"

    def before(sender, instance, **kwargs) -> None:
        ids = like_model._default_manager.filter(user=instance).values_list(
            f"{field}_id", flat=True
        )
        setattr(instance, key, list(ids))

    def after(sender, instance, **kwargs) -> None:
        recount(model, like_model, field, getattr(instance, key, []))

    user_model = settings.AUTH_USER_MODEL
    pre_delete.connect(before, sender=user_model, weak=False, dispatch_uid=f"{key}-before")
    post_delete.connect(after, sender=user_model, weak=False, dispatch_uid=f"{key}-after")
