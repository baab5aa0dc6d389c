"""Users of the instance."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from mtp.lib.lookalike import skeleton
from mtp.lib.text import validate_line


def public_name(username: str, display_name: str) -> str:
    """The name a person is shown by: their display name, else their username."""
    return display_name or username


# The plugin cannot see the related managers of django-oauth-toolkit's untyped models.
class User(AbstractUser):  # type: ignore[django-manager-missing]
    """A person with an account. ``display_name`` is what other people see."""

    display_name = models.CharField(max_length=100, blank=True, validators=[validate_line])
    # What the username looks like (mtp.lib.lookalike): sign-up refuses a name that looks
    # like another's.
    username_skeleton = models.CharField(max_length=150, blank=True, db_index=True, editable=False)
    import_failure_emails = models.BooleanField(
        "E-mail me when an import fails",
        default=True,
        help_text="With the reason and a link to try again.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_unique_ci"),
            models.UniqueConstraint(
                Lower("email"), condition=~models.Q(email=""), name="user_email_unique_ci"
            ),
        ]

    def save(self, *args, **kwargs) -> None:
        self.username_skeleton = skeleton(self.username)
        if kwargs.get("update_fields") is not None and "username" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "username_skeleton"}
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.username

    @property
    def public_name(self) -> str:
        return public_name(self.username, self.display_name)

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile", args=[self.username])
