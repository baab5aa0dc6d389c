"""The settings page's OAuth sections: Authorized apps and Developer applications."""

from django import template

from mtp.developers.models import Application, authorized_applications

register = template.Library()


@register.inclusion_tag("developers/settings_sections.html", takes_context=True)
def oauth_settings_sections(context) -> dict:
    user = context["request"].user
    return {
        "authorized": authorized_applications(user),
        "developer_count": Application.objects.filter(user=user).count(),
        "csrf_token": context.get("csrf_token"),
    }
