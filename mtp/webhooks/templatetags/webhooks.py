"""Template tags for the webhook section of an application's page."""

import json

from django import template

from mtp.developers.webhook_secrets import webhook_secret

register = template.Library()

# Deliveries listed on the application's page, newest first.
HISTORY_SHOWN = 20


@register.simple_tag
def webhook_panel(application) -> dict:
    """The signing secret (when a webhook URL is set) and the latest deliveries with their
    attempts. Only ever rendered on the page its owner sees."""
    deliveries = application.webhook_deliveries.prefetch_related("tries").order_by(
        "-created_at", "-id"
    )[:HISTORY_SHOWN]
    return {
        "secret": webhook_secret(application) if application.webhook_url else "",
        "deliveries": list(deliveries),
    }


@register.filter
def pretty_json(text: str) -> str:
    """JSON text indented for reading; anything else unchanged."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text
