"""Deployment checks of the accounts app (``mtp check --deploy``)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def email_is_sent(app_configs, **kwargs) -> list:
    """Password reset links need a real mail server in production."""
    if settings.EMAIL_HOST:
        return []
    return [
        Warning(
            "EMAIL_HOST is not set: password reset e-mails are written to files in "
            "MTP_DATA_DIR/mail/ and nobody receives them.",
            hint="Set EMAIL_HOST (and EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, DEFAULT_FROM_EMAIL).",
            id="mtp.W001",
        )
    ]
