"""How this server bends django-oauth-toolkit: token generation, code storage, PKCE, device codes.

DOT and oauthlib speak the protocol; this module only changes what they store and check:

- access and refresh tokens come from ``secrets`` (256 bits);
- authorization codes and device codes are stored as SHA-256 digests, like tokens;
- a code is claimed (deleted) the moment it is exchanged, so it works once even under
  concurrency, and a replay revokes what the first exchange produced;
- a code is bound to the redirect URI named in the authorization request, or to none;
- PKCE is S256 only, checked by the rules in ``mtp.developers.pkce``: ``plain`` is refused at
  the authorization endpoint, before the consent page.
"""

import hashlib
import json
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import (
    AbstractApplication,
    get_device_grant_model,
    get_grant_model,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2 import Server as OAuthlibServer
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.endpoints.token import TokenEndpoint
from oauthlib.oauth2.rfc8628.grant_types import DeviceCodeGrant

from mtp.developers.models import RedeemedCode
from mtp.developers.pkce import S256, refuse_bad_pkce, verifier_matches

Grant = get_grant_model()
DeviceGrant = get_device_grant_model()
DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"


def digest(value: str) -> str:
    """The SHA-256 hex digest under which a code or token is stored."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def generate_token(request=None) -> str:
    """A bearer token: 32 bytes from ``secrets`` (256 bits), URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


class Server(OAuthlibServer):
    """oauthlib's all-in-one server without the password and client credentials grants,
    refusing PKCE ``plain`` and malformed challenges before the consent page."""

    def __init__(self, request_validator, *args, **kwargs):
        super().__init__(request_validator, *args, **kwargs)
        self.auth_grant.custom_validators.pre_auth.append(refuse_bad_pkce)
        # The token request's verifier is checked by the same rule (mtp.developers.pkce).
        self.auth_grant._code_challenge_methods = {S256: verifier_matches}
        # Every token acts for a person: no password grant (RFC 9700 2.4), no client
        # credentials grant. Asking for either is unsupported_grant_type.
        TokenEndpoint.__init__(
            self,
            default_grant_type="authorization_code",
            grant_types={
                "authorization_code": self.auth_grant,
                "refresh_token": self.refresh_grant,
                DEVICE_CODE_GRANT_TYPE: self.device_code_grant,
            },
            default_token_type=self.bearer,
        )


class Validator(OAuth2Validator):
    """DOT's request validator with hashed, single-use codes and the device flow's lookups."""

    # -- client authentication -------------------------------------------------------------

    def _load_application(self, client_id, request):
        # No client_id holds a NUL byte; PostgreSQL would refuse the lookup with an error.
        if not isinstance(client_id, str) or "\x00" in client_id:
            return None
        return super()._load_application(client_id, request)

    def _authenticate_basic_auth(self, request) -> bool:
        # DOT catches only binascii.Error; base64 raises a plain ValueError for credentials
        # that are not ASCII, which was a 500 (found by mtp/developers/tests/test_fuzz.py).
        try:
            return super()._authenticate_basic_auth(request)
        except ValueError:
            return False

    def _check_secret(self, provided_secret, stored_secret) -> bool:
        # An empty secret on either side never authenticates anyone (an unhashed empty
        # stored secret would otherwise compare equal to an empty provided one).
        if not provided_secret or not stored_secret:
            return False
        return super()._check_secret(provided_secret, stored_secret)

    # -- implicit grant ----------------------------------------------------------------------

    def _validate_implicit_response_type(self, client) -> bool:
        # The implicit grant is a per-application opt-in kept for the MTP Desktop Uploader;
        # DOT's RFC 9700 gate would log a warning on every sign-in.
        return client.allows_grant_type(AbstractApplication.GRANT_IMPLICIT)

    # -- authorization codes -------------------------------------------------------------------

    def _create_authorization_code(self, request, code, expires=None):
        refuse_bad_pkce(request)
        expires = expires or timezone.now() + timedelta(
            seconds=oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS
        )
        # An empty redirect_uri records that the authorization request named none, so the
        # token request must not name one either (RFC 6749 section 4.1.3).
        named = getattr(request, "redirect_uri_given", True)
        return Grant.objects.create(
            application=request.client,
            user=request.user,
            code=digest(code["code"]),
            expires=expires,
            redirect_uri=request.redirect_uri if named else "",
            scope=" ".join(request.scopes),
            code_challenge=request.code_challenge or "",
            code_challenge_method=request.code_challenge_method or "",
            nonce=request.nonce or "",
            claims=json.dumps(request.claims or {}),
            resource=getattr(request, "resource", None) or [],
        )

    def validate_code(self, client_id, code, client, request, *args, **kwargs) -> bool:
        """Claim the code: exactly one exchange gets past here; a replay revokes its tokens."""
        code_hash = digest(code)
        with transaction.atomic():
            grant = (
                Grant.objects.select_related("user")
                .filter(code=code_hash, application=client)
                .first()
            )
            if grant is None:
                replayed = (
                    RedeemedCode.objects.select_for_update()
                    .filter(code_hash=code_hash, application=client)
                    .first()
                )
                if replayed is not None:
                    replayed.replayed = True
                    replayed.save(update_fields=["replayed"])
                    replayed.revoke_tokens()
                return False
            deleted, _ = Grant.objects.filter(pk=grant.pk).delete()
            if not deleted:
                return False  # another exchange of the same code won the race
            RedeemedCode.objects.create(code_hash=code_hash, application=client)
        if grant.is_expired():
            return False
        if not grant.code_challenge and request.code_verifier is not None:
            return False  # a verifier without a challenge: no PKCE downgrade
        request.mtp_grant = grant
        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        return True

    def get_code_challenge(self, code, request):
        grant = getattr(request, "mtp_grant", None)
        return (grant.code_challenge or None) if grant else None

    def get_code_challenge_method(self, code, request):
        grant = getattr(request, "mtp_grant", None)
        return (grant.code_challenge_method or None) if grant else None

    def get_default_redirect_uri(self, client_id, request, *args, **kwargs):
        grant = getattr(request, "mtp_grant", None)
        if grant is not None and grant.redirect_uri:
            # A token request without the redirect_uri its authorization request named.
            raise errors.InvalidGrantError(
                description="redirect_uri does not match the authorization request.",
                request=request,
            )
        return super().get_default_redirect_uri(client_id, request, *args, **kwargs)

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *args, **kwargs):
        grant = getattr(request, "mtp_grant", None)
        if grant is None:
            raise errors.InvalidGrantError(request=request)
        if grant.redirect_uri:
            matches = not request.using_default_redirect_uri and redirect_uri == grant.redirect_uri
        else:
            matches = request.using_default_redirect_uri or client.redirect_uris.split() == [
                redirect_uri
            ]
        if not matches:
            raise errors.InvalidGrantError(
                description="redirect_uri does not match the authorization request.",
                request=request,
            )
        return True

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        # The grant is already gone (claimed in validate_code); remember what it produced.
        access_token = getattr(request, "mtp_access_token", None)
        refresh_token = getattr(request, "mtp_refresh_token", None)
        with transaction.atomic():
            redeemed = (
                RedeemedCode.objects.select_for_update()
                .filter(code_hash=digest(code), application=request.client)
                .first()
            )
            if redeemed is None:
                raise errors.InvalidGrantError(request=request)
            redeemed.access_token_id = access_token.pk if access_token else None
            redeemed.token_family = refresh_token.token_family if refresh_token else None
            redeemed.save(update_fields=["access_token_id", "token_family"])
        # A replay that raced this exchange was refused and could revoke nothing yet; this
        # exchange still answers, and any later replay revokes what it got.
        # Forget redemptions old enough that no replay of them can matter any more.
        RedeemedCode.objects.filter(created__lt=timezone.now() - timedelta(days=1)).delete()

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request):
        grant = getattr(request, "mtp_grant", None)
        return grant.scope.split() if grant else []

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request):
        grant = getattr(request, "mtp_grant", None)
        return (grant.nonce or None) if grant else None

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        access_token = super()._create_access_token(expires, request, token, source_refresh_token)
        request.mtp_access_token = access_token
        return access_token

    def _create_refresh_token(
        self, request, refresh_token_code, access_token, previous_refresh_token
    ):
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous_refresh_token
        )
        request.mtp_refresh_token = refresh_token
        return refresh_token

    # -- device codes (RFC 8628) ---------------------------------------------------------------

    def validate_device_code(self, client_id, code, request, *args, **kwargs):
        """The status of a polled device code; an approved one is claimed, so it works once."""
        grant = DeviceGrant.objects.filter(device_code=digest(code)).first()
        if grant is None or request.client is None or grant.client_id != request.client.client_id:
            return None
        if grant.is_expired():
            return DeviceCodeGrant.DEVICE_CODE_EXPIRED
        if grant.status == DeviceGrant.DENIED:
            grant.delete()
            return DeviceCodeGrant.DEVICE_CODE_DENIED
        if grant.status == DeviceGrant.AUTHORIZATION_PENDING:
            now = timezone.now()
            too_soon = grant.last_checked > now - timedelta(seconds=grant.interval)
            DeviceGrant.objects.filter(pk=grant.pk).update(last_checked=now)
            if too_soon:
                return DeviceCodeGrant.DEVICE_CODE_SLOW_DOWN
            return DeviceCodeGrant.DEVICE_CODE_PENDING
        if grant.status != DeviceGrant.AUTHORIZED or grant.user is None:
            return None
        deleted, _ = DeviceGrant.objects.filter(pk=grant.pk, status=DeviceGrant.AUTHORIZED).delete()
        if not deleted:
            return None
        request.user = grant.user
        request.scopes = grant.scope.split() if grant.scope else []
        return DeviceCodeGrant.DEVICE_CODE_AUTHORIZED
