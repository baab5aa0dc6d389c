"""Template tags for pages of other apps that show guidebooks (a person's profile)."""

from django import template
from django.db.models import Count, Q

from mtp.guidebooks.models import Guidebook

register = template.Library()

PROFILE_LIMIT = 50


@register.simple_tag(takes_context=True)
def guidebooks_of(context, person) -> list[Guidebook]:
    """``person``'s published guidebooks, newest first; their drafts too when they look."""
    viewer = context.get("user")
    queryset = Guidebook.objects.filter(owner=person)
    if viewer is None or viewer.pk != person.pk:
        queryset = queryset.published()
    return list(
        queryset.select_related("owner", "category")
        .annotate(
            shown_scene_count=Count("scenes", filter=Q(scenes__image__sequence__status="published"))
        )
        .order_by("-published_at", "-id")[:PROFILE_LIMIT]
    )
