"""Signing secrets: one per application, readable only through the secret key; signatures."""

import hashlib
import hmac
import time

from mtp.developers.models import Application
from mtp.developers.webhook_secrets import (
    rotate_secret,
    signature_header,
    webhook_secret,
)
from mtp.webhooks.tests.conftest import verify_signature

BODY = b'{"id":"e1","type":"import.succeeded"}'


def test_an_application_gets_a_secret_on_first_need_and_keeps_it(app):
    assert app.webhook_secret_ciphertext == ""
    secret = webhook_secret(app)
    assert secret.startswith("whsec_") and len(secret) > 40
    stored = Application.objects.get(pk=app.pk)
    assert webhook_secret(stored) == secret


def test_the_secret_is_stored_encrypted(app):
    secret = webhook_secret(app)
    ciphertext = Application.objects.get(pk=app.pk).webhook_secret_ciphertext
    assert ciphertext and secret not in ciphertext and secret[6:] not in ciphertext


def test_each_application_has_its_own_secret(app, other_app):
    assert webhook_secret(app) != webhook_secret(other_app)


def test_a_second_first_use_finds_the_secret_the_first_one_stored(app):
    stale = Application.objects.get(pk=app.pk)
    first = webhook_secret(app)
    assert webhook_secret(stale) == first


def test_rotation_replaces_the_secret(app):
    old = webhook_secret(app)
    new = rotate_secret(app)
    assert new != old
    assert webhook_secret(Application.objects.get(pk=app.pk)) == new


def test_a_secret_the_secret_key_can_no_longer_decrypt_is_replaced(app, settings):
    old = webhook_secret(app)
    settings.SECRET_KEY = "a completely different secret key for this instance"
    stored = Application.objects.get(pk=app.pk)
    new = webhook_secret(stored)
    assert new != old
    assert webhook_secret(Application.objects.get(pk=app.pk)) == new


def test_the_secret_survives_a_secret_key_rotation_through_the_fallbacks(app, settings):
    secret = webhook_secret(app)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the new secret key after rotation, long enough to be real"
    assert webhook_secret(Application.objects.get(pk=app.pk)) == secret


def test_the_signature_is_hmac_sha256_of_the_timestamp_and_the_body():
    header = signature_header("whsec_test", 1767000000, BODY)
    expected = hmac.new(b"whsec_test", b"1767000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1767000000,v1={expected}"


def test_the_documented_check_accepts_a_fresh_signature_and_refuses_anything_else():
    now = int(time.time())
    header = signature_header("whsec_test", now, BODY)
    assert verify_signature("whsec_test", header, BODY)
    assert not verify_signature("whsec_other", header, BODY)
    assert not verify_signature("whsec_test", header, BODY + b" ")
    assert not verify_signature("whsec_test", "", BODY)
    assert not verify_signature("whsec_test", "t=abc,v1=00", BODY)
    assert not verify_signature("whsec_test", header.replace(f"t={now}", f"t={now + 1}"), BODY)
    assert not verify_signature("whsec_test", header.replace("v1=", "v1=é"), BODY)


def test_the_documented_check_refuses_an_old_signature():
    then = int(time.time()) - 301
    header = signature_header("whsec_test", then, BODY)
    assert not verify_signature("whsec_test", header, BODY)
    assert verify_signature("whsec_test", header, BODY, now=then + 10)
