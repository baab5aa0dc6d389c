"""OAuth client applications registered by developers, and what the provider remembers."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from oauth2_provider.models import (
    AbstractApplication,
    ApplicationManager,
    get_access_token_model,
    get_device_grant_model,
    get_grant_model,
    get_refresh_token_model,
    revoke_access_token,
)

from mtp.developers.webhook_urls import validate_webhook_url
from mtp.lib.lookalike import imitates, visible_name_problem

# The first-party application the website's own pages use (created by migration 0003).
WEB_CLIENT_ID = "mtp-web"

# The flows a developer may choose for an application (several at once).
FLOWS = (
    (AbstractApplication.GRANT_AUTHORIZATION_CODE, "Authorization code (with PKCE)"),
    (
        AbstractApplication.GRANT_IMPLICIT,
        "Implicit (token in the redirect, for the MTP Desktop Uploader)",
    ),
    (AbstractApplication.GRANT_DEVICE_CODE, "Device authorization (RFC 8628)"),
)
FLOW_ORDER = [flow for flow, _ in FLOWS]
# Flows that send the user back to a redirect URI.
REDIRECTING_FLOWS = {
    AbstractApplication.GRANT_AUTHORIZATION_CODE,
    AbstractApplication.GRANT_IMPLICIT,
}

LOOPBACK_HOSTS = ("127.0.0.1", "[::1]", "localhost")
# http://<loopback host>[:port]<rest>: RFC 8252 section 7.3 lets the port vary at request time.
# \Z, not $: "$" also matches before a trailing newline, which would let "...\n" pass.
LOOPBACK_URI = re.compile(
    r"^http://(?P<host>127\.0\.0\.1|\[::1\]|localhost)(?::(?P<port>\d{1,5}))?(?P<rest>[/?].*)?\Z"
)
# A private-use scheme of a native app is reverse-domain based (RFC 8252 section 7.1), so it
# has a dot; that alone rules out javascript:, data:, file: and the like.
PRIVATE_SCHEME = re.compile(r"^[a-z][a-z0-9+\-]*(\.[a-z0-9+\-]+)+\Z")


def _same_loopback_uri(requested: str, registered: str) -> bool:
    """True when both are loopback URIs differing at most in the port."""
    want, have = LOOPBACK_URI.match(registered), LOOPBACK_URI.match(requested)
    if not want or not have:
        return False
    port = have.group("port")
    if port is not None and not 0 < int(port) < 65536:
        return False
    return have.group("host") == want.group("host") and (have.group("rest") or "") == (
        want.group("rest") or ""
    )


def redirect_destination(uri: str) -> str:
    """Where a redirect URI sends the browser, said for people: the host of an https URI (in
    its ASCII form, so that look-alike letters show as xn--...), else "an app on this device"
    (a loopback address or a native app's own scheme)."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        return "an app on this device"
    if parts.scheme.lower() != "https" or not host:
        return "an app on this device"
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be registered as a redirect URI, or None when it can."""
    if "#" in uri:
        return "A redirect URI cannot have a fragment (#...)."
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "This is not a valid URI."
    scheme = parts.scheme.lower()
    if "@" in parts.netloc:
        return "A redirect URI cannot carry a user name or password."
    if scheme == "https":
        if not parts.hostname:
            return "An https redirect URI needs a host name."
        return None
    if scheme == "http":
        if not LOOPBACK_URI.match(uri):
            return (
                "Plain http is allowed only on the loopback interface "
                "(http://127.0.0.1, http://[::1] or http://localhost, any port)."
            )
        return None
    if not scheme or not PRIVATE_SCHEME.match(scheme):
        return (
            "Use https, http on the loopback interface, or a native app's own scheme "
            "in reverse-domain form such as app.mtp.desktop://app."
        )
    if not parts.netloc and not parts.path.lstrip("/"):
        return "A native app's redirect URI needs a host or path after the scheme."
    return None


def name_imitation_problem(name: str, *, exclude_application: int | None = None) -> str | None:
    """Why ``name`` (of an application, or a person's display name) could pass for this site
    or for a verified application, or None. Names are compared by what they look like."""
    if problem := visible_name_problem(name):
        return problem
    if imitates(name, settings.SITE_NAME):
        return f"This name reads like {settings.SITE_NAME}'s own: choose one of your own."
    verified = Application.objects.filter(is_verified=True).exclude(pk=exclude_application)
    for verified_name in verified.values_list("name", flat=True):
        if imitates(name, verified_name):
            return f"This name reads like the verified application {verified_name}."
    return None


class Application(AbstractApplication):
    """An app that acts for users through OAuth 2.0, identified by its ``client_id``.

    ``authorization_grant_type`` is the application's first flow (what DOT and its
    ``createapplication`` command know); ``extra_grant_types`` lists any others it may also use.
    """

    is_active = models.BooleanField(
        default=True,
        help_text="An inactive application can neither sign users in nor call the API.",
    )
    is_verified = models.BooleanField(
        "verified",
        default=False,
        help_text="Checked by this instance's staff: the consent page says so, and no other "
        "application may take a name that looks like this one's.",
    )
    extra_grant_types = models.CharField(
        max_length=255,
        blank=True,
        default="",
        help_text="More flows this application may use besides its authorization grant type, "
        "space separated.",
    )

    # Webhooks (mtp.webhooks): where events about the application's sequences are POSTed,
    # and the Fernet ciphertext of the secret that signs them.
    webhook_url = models.URLField(
        "Webhook URL",
        max_length=500,
        blank=True,
        default="",
        validators=[validate_webhook_url],
        help_text="Where this server POSTs events about sequences the application created.",
    )
    webhook_secret_ciphertext = models.TextField(blank=True, default="", editable=False)

    objects = ApplicationManager()

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"

    def natural_key(self):
        return (self.client_id,)

    @property
    def grant_types(self) -> set[str]:
        """Every flow this application may use."""
        types = {self.authorization_grant_type, *self.extra_grant_types.split()}
        types.discard("")
        return types

    def set_grant_types(self, grant_types) -> None:
        """Allow exactly ``grant_types`` (a non-empty selection of FLOWS)."""
        chosen = [flow for flow in FLOW_ORDER if flow in set(grant_types)]
        if not chosen:
            raise ValueError("An application needs at least one flow.")
        self.authorization_grant_type = chosen[0]
        self.extra_grant_types = " ".join(chosen[1:])

    def allows_grant_type(self, *grant_types) -> bool:
        return bool(self.grant_types.intersection(grant_types))

    def is_usable(self, request) -> bool:
        return self.is_active

    def get_allowed_schemes(self) -> list[str]:
        """https, http, and the private-use schemes of this application's own redirect URIs."""
        schemes = ["https", "http"]
        for uri in self.redirect_uris.split():
            scheme = urlsplit(uri).scheme.lower()
            if scheme and scheme not in schemes and PRIVATE_SCHEME.match(scheme):
                schemes.append(scheme)
        return schemes

    def redirect_uri_allowed(self, uri: str) -> bool:
        """Exact string match with a registered URI; only a loopback URI's port may vary."""
        if "#" in uri:
            return False
        for registered in self.redirect_uris.split():
            if uri == registered or _same_loopback_uri(uri, registered):
                return True
        return False

    def name_problem(self) -> str | None:
        """Why this name could pass for the site or a verified application, or None.

        A verified application keeps its name (staff checked it); others may not take one
        that reads like the site's name or a verified application's (mtp.lib.lookalike).
        """
        if self.is_verified:
            return None
        return name_imitation_problem(self.name, exclude_application=self.pk)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        try:
            super().clean()
        except ValidationError as error:
            errors.update(error.message_dict)
        uris = self.redirect_uris.split()
        problems = [f"{uri}: {problem}" for uri in uris if (problem := redirect_uri_problem(uri))]
        if problems:
            errors["redirect_uris"] = problems
        elif not uris and self.grant_types & REDIRECTING_FLOWS:
            errors["redirect_uris"] = [
                "The authorization code and implicit flows need at least one redirect URI."
            ]
        if problem := self.name_problem():
            errors["name"] = [problem]
        unknown = set(self.extra_grant_types.split()) - set(FLOW_ORDER)
        if unknown:
            errors["extra_grant_types"] = [f"Unknown flow: {' '.join(sorted(unknown))}."]
        if errors:
            raise ValidationError(errors)

    def revoke_for(self, user) -> None:
        """End at once every token, code and pending device grant ``user`` gave this app."""
        now = timezone.now()
        with transaction.atomic():
            get_refresh_token_model().objects.filter(
                user=user, application=self, revoked__isnull=True
            ).update(revoked=now, updated=now)
            get_access_token_model().objects.filter(user=user, application=self).delete()
            get_grant_model().objects.filter(user=user, application=self).delete()
            get_device_grant_model().objects.filter(user=user, client_id=self.client_id).delete()


class RedeemedCode(models.Model):
    """An authorization code already exchanged, kept so that a replay revokes what it produced.

    RFC 6749 section 4.1.2: if a code is used more than once, the server should revoke all
    tokens previously issued from it. Only the code's SHA-256 digest is kept.
    """

    code_hash = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # The access token it produced (an id, not a foreign key: the token may be gone already).
    access_token_id = models.BigIntegerField(null=True, blank=True)
    token_family = models.UUIDField(null=True, blank=True)
    replayed = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"Redeemed code #{self.pk}"

    def revoke_tokens(self) -> None:
        """Revoke the access token this code produced and every refresh of it."""
        if self.token_family:
            get_refresh_token_model().revoke_family(self.token_family)
        if self.access_token_id:
            token = get_access_token_model().objects.filter(pk=self.access_token_id).first()
            if token is not None:
                revoke_access_token(token)


def revoke_every_application(user) -> None:
    """End at once every token, code and pending device grant ``user`` gave any app: after a
    password reset, whoever took the account over must not keep acting through an app."""
    now = timezone.now()
    with transaction.atomic():
        get_refresh_token_model().objects.filter(user=user, revoked__isnull=True).update(
            revoked=now, updated=now
        )
        get_access_token_model().objects.filter(user=user).delete()
        get_grant_model().objects.filter(user=user).delete()
        get_device_grant_model().objects.filter(user=user).delete()


def authorized_applications(user) -> list[dict]:
    """The apps ``user`` has granted and not revoked: when first, and when last used.

    An app counts while the user has an access token for it or a live refresh token.
    """
    AccessToken = get_access_token_model()
    RefreshToken = get_refresh_token_model()
    seen: dict[int, dict] = {}
    for queryset in (
        AccessToken.objects.filter(user=user, application__isnull=False),
        RefreshToken.objects.filter(user=user, revoked__isnull=True),
    ):
        rows = queryset.values("application_id").annotate(
            granted=models.Min("created"), last_used=models.Max("updated")
        )
        for row in rows:
            entry = seen.setdefault(row["application_id"], dict(row))
            entry["granted"] = min(entry["granted"], row["granted"])
            entry["last_used"] = max(entry["last_used"], row["last_used"])
    applications = Application.objects.in_bulk(list(seen))
    result = [
        {**entry, "application": applications[pk]}
        for pk, entry in seen.items()
        if pk in applications
    ]
    return sorted(result, key=lambda entry: entry["last_used"], reverse=True)
