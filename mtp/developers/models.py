"""OAuth client applications registered by developers."""

from django.db import models
from oauth2_provider.models import AbstractApplication, ApplicationManager


class Application(AbstractApplication):
    """An app that acts for users through OAuth 2.0, identified by its ``client_id``."""

    is_active = models.BooleanField(
        default=True,
        help_text="An inactive application can neither sign users in nor call the API.",
    )

    objects = ApplicationManager()

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"

    def natural_key(self):
        return (self.client_id,)

    def is_usable(self, request) -> bool:
        return self.is_active
