"""Delivering events: signed POSTs to a real receiver, retries with backoff, giving up, leases."""

import datetime as dt
import ssl
import time
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from django.utils import timezone

from mtp.developers.models import Application
from mtp.developers.webhook_secrets import rotate_secret, webhook_secret
from mtp.webhooks.delivery import EXCERPT_BYTES
from mtp.webhooks.events import record
from mtp.webhooks.models import WebhookDelivery
from testing.webhooks import Receiver, verify_signature

DATA = {"sequence": {"name": "Morning walk"}, "import": {"status": "succeeded"}}


def event(application) -> WebhookDelivery:
    return record(application, "import.succeeded", DATA)


def attempt_until_done(delivery: WebhookDelivery) -> list[str]:
    """Run attempts here, one after the other, until the delivery is no longer retried."""
    results = [WebhookDelivery.run_one(delivery.pk)]
    while results[-1] == "retrying":
        results.append(WebhookDelivery.run_one(delivery.pk))
    delivery.refresh_from_db()
    return results


@pytest.mark.django_db
def test_an_event_is_posted_signed_and_the_documented_check_accepts_it(receiver, hook_app, secret):
    delivery = event(hook_app)
    assert WebhookDelivery.run_one(delivery.pk) == "delivered"
    [request] = receiver.requests
    assert request.path == "/hooks/mtp"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["mtp-event-id"] == str(delivery.event_id)
    assert request.headers["mtp-event-type"] == "import.succeeded"
    assert request.headers["mtp-delivery-attempt"] == "1"
    assert request.headers["user-agent"].startswith("MapThePaths-Webhooks/1")
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert request.verified
    assert verify_signature(secret, request.headers["mtp-signature"], request.body)
    assert request.json()["data"] == DATA
    assert request.json()["id"] == str(delivery.event_id)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 204)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    [logged] = delivery.tries.all()
    assert (logged.number, logged.status_code, logged.error) == (1, 204, "")
    assert logged.url == receiver.url()


@pytest.mark.django_db(transaction=True)
def test_a_failing_receiver_gets_the_same_event_again_from_the_worker_until_it_answers(
    receiver, hook_app, secret, settings
):
    settings.WEBHOOK_BACKOFF = 0.05
    receiver.reply(500, b"database is down", times=2)
    delivery = event(hook_app)
    deadline = time.monotonic() + 60
    while WebhookDelivery.objects.get(pk=delivery.pk).status in WebhookDelivery.ACTIVE:
        assert time.monotonic() < deadline, "the delivery never finished"
        call_command("worker", "--batch", "--interval", "0")
        time.sleep(0.05)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 3)
    assert [t.status_code for t in delivery.tries.all()] == [500, 500, 204]
    assert delivery.tries.first().response_excerpt == "database is down"
    assert [r.headers["mtp-delivery-attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert {r.headers["mtp-event-id"] for r in receiver.requests} == {str(delivery.event_id)}
    assert len({r.body for r in receiver.requests}) == 1
    for request in receiver.requests:
        assert verify_signature(secret, request.headers["mtp-signature"], request.body)
    # Each attempt waited out the backoff after the one before it (at least 80% of it).
    tried = [t.started_at for t in delivery.tries.all()]
    waited = [later - earlier for earlier, later in zip(tried, tried[1:], strict=False)]
    assert all(wait >= timedelta(seconds=0.8 * 0.05) for wait in waited), waited


@pytest.mark.django_db
def test_a_delivery_is_given_up_after_the_last_attempt(receiver, hook_app, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.reply(503, times=10)
    delivery = event(hook_app)
    assert attempt_until_done(delivery) == ["retrying", "retrying", "failed"]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 503)
    assert delivery.next_attempt_at is None
    assert [t.status_code for t in delivery.tries.all()] == [503, 503, 503]
    assert WebhookDelivery.run_one(delivery.pk) == "skipped"
    assert len(receiver.requests) == 3


def test_each_wait_is_about_twice_the_one_before_up_to_a_cap(settings):
    settings.WEBHOOK_BACKOFF = 60
    for number in range(1, 12):
        expected = min(60 * 2 ** (number - 1), WebhookDelivery.max_backoff_seconds)
        assert 0.8 * expected <= WebhookDelivery.backoff(number) <= 1.2 * expected
    assert len({WebhookDelivery.backoff(3) for _ in range(20)}) > 1  # jitter


@pytest.mark.django_db
def test_redirects_are_not_followed(receiver, hook_app):
    receiver.reply(302, Location="http://127.0.0.1:1/elsewhere")
    delivery = event(hook_app)
    assert WebhookDelivery.run_one(delivery.pk) == "retrying"
    delivery.refresh_from_db()
    assert delivery.last_status_code == 302
    assert "Redirects are not followed" in delivery.last_error
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(receiver, hook_app, settings):
    settings.WEBHOOK_TIMEOUT = 1
    receiver.delay = 3
    delivery = event(hook_app)
    assert WebhookDelivery.run_one(delivery.pk) == "retrying"
    delivery.refresh_from_db()
    assert delivery.last_status_code is None
    assert delivery.last_error == "No reply within the timeout (1 s)."


@pytest.mark.django_db
def test_a_refused_connection_is_a_failed_attempt(hook_app, receiver):
    url = receiver.url()
    receiver.stop()
    delivery = event(hook_app)
    assert WebhookDelivery.run_one(delivery.pk) == "retrying"
    delivery.refresh_from_db()
    assert delivery.last_error
    assert delivery.tries.get().url == url


@pytest.mark.django_db
def test_only_the_start_of_a_reply_is_kept(receiver, hook_app):
    receiver.reply(500, b"x" * 5000)
    delivery = event(hook_app)
    WebhookDelivery.run_one(delivery.pk)
    assert len(delivery.tries.get().response_excerpt) == EXCERPT_BYTES


@pytest.mark.django_db
def test_the_url_is_checked_again_before_every_attempt(receiver, hook_app, settings):
    delivery = event(hook_app)
    settings.WEBHOOK_ALLOW_HTTP = False
    assert WebhookDelivery.run_one(delivery.pk) == "retrying"
    delivery.refresh_from_db()
    assert delivery.last_error == "A webhook URL must use https."
    # As if the name now resolved to a private address: nothing is sent there either.
    Application.objects.filter(pk=hook_app.pk).update(webhook_url="https://10.0.0.7/hooks")
    assert WebhookDelivery.run_one(delivery.pk) == "retrying"
    delivery.refresh_from_db()
    assert "private, loopback or reserved" in delivery.last_error
    assert receiver.requests == []


@pytest.mark.django_db
def test_a_removed_webhook_url_ends_the_delivery(receiver, hook_app):
    delivery = event(hook_app)
    Application.objects.filter(pk=hook_app.pk).update(webhook_url="")
    assert WebhookDelivery.run_one(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "no webhook URL" in delivery.last_error
    assert receiver.requests == []


@pytest.mark.django_db
def test_retries_go_to_the_current_url(receiver, hook_app, settings):
    other = Receiver()
    try:
        receiver.reply(500)
        delivery = event(hook_app)
        assert WebhookDelivery.run_one(delivery.pk) == "retrying"
        Application.objects.filter(pk=hook_app.pk).update(webhook_url=other.url("/new"))
        assert WebhookDelivery.run_one(delivery.pk) == "delivered"
        assert [r.path for r in other.requests] == ["/new"]
    finally:
        other.stop()


@pytest.mark.django_db
def test_a_delivery_being_tried_elsewhere_is_skipped(receiver, hook_app):
    delivery = event(hook_app)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="running",
        lease_owner="another-worker",
        lease_expires_at=timezone.now() + timedelta(seconds=60),
    )
    assert WebhookDelivery.run_one(delivery.pk) == "skipped"
    assert receiver.requests == []


@pytest.mark.django_db
def test_a_delivery_not_yet_due_is_skipped(receiver, hook_app):
    delivery = event(hook_app)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert WebhookDelivery.run_one(delivery.pk) == "skipped"


@pytest.mark.django_db
def test_a_deleted_delivery_is_skipped(hook_app):
    delivery = event(hook_app)
    hook_app.delete()
    assert WebhookDelivery.run_one(delivery.pk) == "skipped"


@pytest.mark.django_db
def test_a_delivery_whose_worker_died_is_due_again_once_its_lease_runs_out(hook_app):
    delivery = event(hook_app)
    assert WebhookDelivery.due_ids() == [delivery.pk]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="running",
        lease_owner="live-worker",
        lease_expires_at=timezone.now() + timedelta(seconds=30),
    )
    assert WebhookDelivery.due_ids() == []
    assert WebhookDelivery.run_one(delivery.pk) == "skipped"
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="running",
        lease_owner="dead-worker",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert WebhookDelivery.due_ids() == [delivery.pk]
    assert WebhookDelivery.run_one(delivery.pk) == "delivered"


@pytest.mark.django_db
def test_a_delivery_waiting_for_its_next_attempt_is_not_due_until_then(hook_app):
    delivery = event(hook_app)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert WebhookDelivery.due_ids() == []


# -- https, with the address pinned and the certificate checked ------------------------------


def certificate_authority(tmp_path):
    """A CA file, and a server TLS context whose certificate (signed by it) names localhost."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test webhook CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain = tmp_path / "server.pem"
    chain.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + leaf.public_bytes(serialization.Encoding.PEM)
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return ca_file, context


@pytest.fixture
def tls_receiver(tmp_path, settings):
    ca_file, context = certificate_authority(tmp_path)
    settings.WEBHOOK_CA_FILE = str(ca_file)
    # The receiver is on this machine: a private address, as far as the check knows.
    settings.WEBHOOK_ALLOW_PRIVATE = True
    server = Receiver(tls=context)
    yield server
    server.stop()


@pytest.mark.django_db
def test_https_goes_to_the_checked_address_with_the_certificate_checked_for_the_name(
    tls_receiver, hook_app, secret
):
    Application.objects.filter(pk=hook_app.pk).update(
        webhook_url=tls_receiver.url(host="localhost")
    )
    delivery = event(hook_app)
    assert WebhookDelivery.run_one(delivery.pk) == "delivered"
    [request] = tls_receiver.requests
    assert request.headers["host"] == f"localhost:{tls_receiver.port}"
    assert verify_signature(secret, request.headers["mtp-signature"], request.body)


@pytest.mark.django_db
def test_a_certificate_for_another_name_is_refused(tls_receiver, hook_app):
    Application.objects.filter(pk=hook_app.pk).update(webhook_url=tls_receiver.url())
    delivery = event(hook_app)
    assert WebhookDelivery.run_one(delivery.pk) == "retrying"
    delivery.refresh_from_db()
    assert "certificate" in delivery.last_error.lower()
    assert tls_receiver.requests == []


@pytest.mark.django_db
def test_after_a_rotation_attempts_are_signed_with_the_new_secret(receiver, hook_app, secret):
    receiver.reply(500)
    delivery = event(hook_app)
    assert WebhookDelivery.run_one(delivery.pk) == "retrying"
    new = rotate_secret(hook_app)
    # The receiver still checks with the old secret: it refuses, and the event waits.
    assert WebhookDelivery.run_one(delivery.pk) == "retrying"
    receiver.secret = new
    assert WebhookDelivery.run_one(delivery.pk) == "delivered"
    assert [r.verified for r in receiver.requests] == [True, False, True]
    assert [t.status_code for t in delivery.tries.all()] == [500, 401, 204]
    assert webhook_secret(Application.objects.get(pk=hook_app.pk)) == new
