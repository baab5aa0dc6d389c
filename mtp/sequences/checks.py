"""Deployment checks of the sequences app (``mtp check --deploy``): can photos be shown?"""

import re
from datetime import UTC, datetime

from django.conf import settings
from django.core.checks import Tags, Warning, register

from mtp.sequences.photos import token_refusal

CLIENT_TOKEN = re.compile(r"^MLY\|[0-9]+\|[A-Za-z0-9]+$")
HINT = (
    "Register an application at https://www.mapillary.com/dashboard/developers and set "
    "MAPILLARY_CLIENT_TOKEN to its client token, MLY|<app id>|<client secret>."
)


@register(Tags.security, deploy=True)
def photos_can_be_resolved(app_configs, **kwargs) -> list:
    """Photo links need the instance's own Mapillary client token, one Mapillary accepts."""
    token = settings.MAPILLARY_CLIENT_TOKEN
    if not token:
        return [
            Warning(
                "MAPILLARY_CLIENT_TOKEN is not set: no photo imported from Mapillary can be "
                "shown, only kept copies, and no copies are kept (photos uploaded here show).",
                hint=HINT,
                id="mtp.photos.W001",
            )
        ]
    if not CLIENT_TOKEN.match(token):
        return [
            Warning(
                "MAPILLARY_CLIENT_TOKEN does not look like a client token (MLY|<app id>|<secret>).",
                hint=HINT,
                id="mtp.photos.W002",
            )
        ]
    try:
        refusal = token_refusal()
    except Exception:  # noqa: BLE001
        # The cache (database or Redis) does not answer: other checks and start-up say so.
        return []
    if refusal is None:
        return []
    when = datetime.fromtimestamp(refusal.get("at", 0), tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        Warning(
            f"Mapillary refused MAPILLARY_CLIENT_TOKEN at {when} (HTTP {refusal.get('status')}, "
            f"code {refusal.get('code')}): photos fall back to kept copies.",
            hint=HINT,
            id="mtp.photos.W003",
        )
    ]
