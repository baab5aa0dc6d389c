"""Template filters of the website: distances and durations people can read."""

from datetime import datetime

from django import template

register = template.Library()


@register.filter
def distance(metres: float | None) -> str:
    """``850 m`` under a kilometre, ``12.3 km`` up to 100 km, ``1,234 km`` beyond."""
    value = float(metres or 0)
    if value < 1000:
        return f"{value:.0f} m"
    kilometres = value / 1000
    if kilometres < 100:
        return f"{kilometres:.1f} km"
    return f"{kilometres:,.0f} km"


@register.filter
def duration(start: datetime | None, end: datetime | None) -> str:
    """How long a capture took: ``45 min``, ``2 h 5 min``, ``3 days``; empty when unknown."""
    if start is None or end is None:
        return ""
    minutes = round((end - start).total_seconds() / 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{round(hours / 24)} days"


@register.filter
def without_autofocus(field) -> str:
    """The field's input without ``autofocus``: a page with several forms keeps its focus."""
    return field.as_widget(attrs={"autofocus": False})
