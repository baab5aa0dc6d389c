"""``{% person_tours person %}``: a person's tours on their profile (their drafts for them only)."""

from django import template

from mtp.tours.models import Tour

register = template.Library()


@register.inclusion_tag("web/_person_tours.html", takes_context=True)
def person_tours(context, person) -> dict:
    viewer = context.get("user")
    tours = Tour.objects.filter(owner=person).select_related("owner")
    if viewer is None or viewer.pk != person.pk:
        tours = tours.published()
    return {
        "tours": list(tours.order_by("-created_at", "-id")[:100]),
        "is_self": viewer is not None and viewer.pk == person.pk,
    }
