"""The webhook on the developer pages: the URL in the form, the secret and the delivery history
on the application's page (its owner only), and making a new secret."""

import pytest
from django.test import Client

from mtp.developers.models import Application
from mtp.developers.webhook_secrets import webhook_secret
from mtp.webhooks.events import record
from mtp.webhooks.models import WebhookDelivery
from testing.pages import InlineCodeFinder, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_client(other_user) -> Client:
    client = Client()
    client.force_login(other_user)
    return client


def test_a_developer_registers_a_webhook_url_and_gets_a_secret(developer_client, receiver):
    response = register(developer_client, webhook_url=receiver.url())
    assert response.status_code == 302, response.context["form"].errors
    application = Application.objects.get(name="Trail Notes")
    assert application.webhook_url == receiver.url()
    assert application.webhook_secret_ciphertext
    page = developer_client.get(response["Location"])
    assert webhook_secret(application) in page.content.decode()
    assert "no-store" in page["Cache-Control"]


def test_the_webhook_url_is_optional(developer_client):
    assert register(developer_client).status_code == 302
    application = Application.objects.get(name="Trail Notes")
    assert (application.webhook_url, application.webhook_secret_ciphertext) == ("", "")
    page = developer_client.get(f"/developers/{application.pk}/").content.decode()
    assert "No webhook URL" in page


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://1.1.1.1/hook", "must use https"),
        ("https://10.0.0.1/hook", "private, loopback or reserved"),
        ("https://169.254.169.254/latest/meta-data/", "private, loopback or reserved"),
        ("https://mtp-webhooks-test.invalid/hook", "could not be resolved"),
    ],
)
def test_an_unsafe_webhook_url_is_refused_with_the_reason(developer_client, settings, url, message):
    settings.WEBHOOK_ALLOW_HTTP = False
    response = register(developer_client, webhook_url=url)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["webhook_url"])
    assert not Application.objects.filter(name="Trail Notes").exists()


def test_a_webhook_url_can_be_added_later_from_the_edit_page(developer_client, developer, receiver):
    register(developer_client)
    application = Application.objects.get(name="Trail Notes")
    edit = developer_client.get(f"/developers/{application.pk}/edit/")
    assert 'name="webhook_url"' in edit.content.decode()
    response = developer_client.post(
        f"/developers/{application.pk}/edit/",
        {
            "name": "Trail Notes",
            "client_type": "public",
            "flows": ["authorization-code"],
            "redirect_uris": "https://app.example.org/cb",
            "webhook_url": receiver.url(),
        },
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.webhook_url == receiver.url()
    assert application.webhook_secret_ciphertext


@pytest.fixture
def own_app(developer, receiver) -> Application:
    application = Application.objects.create(
        name="Trail Notes",
        user=developer,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://app.example.org/cb",
        webhook_url=receiver.url(),
    )
    return application


def test_the_owner_sees_each_delivery_with_its_attempts_and_body(
    developer_client, own_app, receiver
):
    receiver.reply(500, b"not today")
    delivery = record(own_app, "import.failed", {"sequence": {"name": "River & back"}})
    WebhookDelivery.run_one(delivery.pk)
    WebhookDelivery.run_one(delivery.pk)
    page = developer_client.get(f"/developers/{own_app.pk}/").content.decode()
    assert str(delivery.event_id) in page
    assert "import.failed" in page
    assert "HTTP 500" in page and "not today" in page and "HTTP 204" in page
    assert "2 attempts" in page
    assert "River &amp; back" in page


def test_someone_else_cannot_see_the_history_or_the_secret(other_client, own_app):
    secret = webhook_secret(own_app)
    record(own_app, "import.succeeded", {})
    response = other_client.get(f"/developers/{own_app.pk}/")
    assert response.status_code == 404
    assert secret not in response.content.decode()


def test_the_owner_makes_a_new_secret_and_the_old_one_is_gone(developer_client, own_app):
    old = webhook_secret(own_app)
    response = developer_client.post(f"/developers/{own_app.pk}/webhook/secret/")
    assert response.status_code == 302
    assert response["Location"] == f"/developers/{own_app.pk}/#webhook"
    new = webhook_secret(Application.objects.get(pk=own_app.pk))
    assert new != old
    page = developer_client.get(f"/developers/{own_app.pk}/").content.decode()
    assert new in page and old not in page


def test_someone_else_cannot_make_a_new_secret(other_client, own_app):
    old = webhook_secret(own_app)
    assert other_client.post(f"/developers/{own_app.pk}/webhook/secret/").status_code == 404
    assert webhook_secret(Application.objects.get(pk=own_app.pk)) == old


def test_making_a_new_secret_needs_a_post_and_a_signed_in_user(developer_client, client, own_app):
    assert developer_client.get(f"/developers/{own_app.pk}/webhook/secret/").status_code == 405
    response = client.post(f"/developers/{own_app.pk}/webhook/secret/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_webhook_section_carries_no_inline_code(developer_client, own_app, receiver):
    receiver.reply(500, b"<script>alert(1)</script>")
    WebhookDelivery.run_one(
        record(own_app, "import.failed", {"sequence": {"name": "<b>walk</b>"}}).pk
    )
    finder = InlineCodeFinder()
    finder.feed(developer_client.get(f"/developers/{own_app.pk}/").content.decode())
    assert finder.problems == []


def test_the_owner_sends_a_test_event_and_sees_it_delivered(developer_client, own_app, receiver):
    receiver.secret = webhook_secret(own_app)
    response = developer_client.post(f"/developers/{own_app.pk}/webhook/test/")
    assert response.status_code == 302
    assert response["Location"] == f"/developers/{own_app.pk}/#webhook"
    delivery = WebhookDelivery.objects.get(application=own_app)
    assert delivery.event_type == "ping"
    assert delivery.status == WebhookDelivery.Status.QUEUED
    assert WebhookDelivery.due_ids() == [delivery.pk]

    assert WebhookDelivery.run_one(delivery.pk) == "delivered"
    [received] = receiver.requests
    assert received.verified is True
    assert received.headers["mtp-event-type"] == "ping"
    body = received.json()
    assert body["type"] == "ping"
    assert body["data"]["application"] == {"client_id": own_app.client_id, "name": own_app.name}
    page = developer_client.get(f"/developers/{own_app.pk}/").content.decode()
    assert "<code>ping</code>" in page and "HTTP 204" in page


def test_one_test_event_at_a_time(developer_client, own_app):
    developer_client.post(f"/developers/{own_app.pk}/webhook/test/")
    response = developer_client.post(f"/developers/{own_app.pk}/webhook/test/", follow=True)
    assert "already on its way" in response.content.decode()
    assert WebhookDelivery.objects.filter(application=own_app).count() == 1


def test_no_test_event_without_a_webhook_url(developer_client, own_app):
    own_app.webhook_url = ""
    own_app.save()
    response = developer_client.post(f"/developers/{own_app.pk}/webhook/test/", follow=True)
    assert "no webhook URL" in response.content.decode()
    assert not WebhookDelivery.objects.exists()


def test_a_failed_event_is_sent_again_with_the_same_id_and_body(
    developer_client, own_app, receiver, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.reply(503, times=2)
    delivery = record(own_app, "import.failed", {"sequence": {"name": "Ridge"}})
    assert [WebhookDelivery.run_one(delivery.pk), WebhookDelivery.run_one(delivery.pk)] == [
        "retrying",
        "failed",
    ]
    page = developer_client.get(f"/developers/{own_app.pk}/").content.decode()
    assert f"/developers/{own_app.pk}/webhook/deliveries/{delivery.pk}/again/" in page

    response = developer_client.post(
        f"/developers/{own_app.pk}/webhook/deliveries/{delivery.pk}/again/"
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.QUEUED
    assert WebhookDelivery.due_ids() == [delivery.pk]
    assert WebhookDelivery.run_one(delivery.pk) == "delivered"
    first, _, again = receiver.requests
    assert again.body == first.body
    assert again.headers["mtp-event-id"] == str(delivery.event_id)
    assert again.headers["mtp-delivery-attempt"] == "3"
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert delivery.tries.count() == 3


def test_a_pending_event_is_not_queued_twice(developer_client, own_app):
    delivery = record(own_app, "import.succeeded", {})
    before = WebhookDelivery.objects.values_list("status", "next_attempt_at").get()
    response = developer_client.post(
        f"/developers/{own_app.pk}/webhook/deliveries/{delivery.pk}/again/", follow=True
    )
    assert "already on its way" in response.content.decode()
    assert WebhookDelivery.objects.values_list("status", "next_attempt_at").get() == before


def test_someone_else_cannot_send_test_events_or_send_again(other_client, own_app, receiver):
    delivery = record(own_app, "import.succeeded", {})
    WebhookDelivery.run_one(delivery.pk)
    assert other_client.post(f"/developers/{own_app.pk}/webhook/test/").status_code == 404
    again = f"/developers/{own_app.pk}/webhook/deliveries/{delivery.pk}/again/"
    assert other_client.post(again).status_code == 404
    assert WebhookDelivery.objects.count() == 1
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.SUCCEEDED


def test_a_delivery_of_another_application_is_not_found(developer_client, own_app, developer):
    theirs = Application.objects.create(
        name="Someone's app",
        user=developer,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://them.example.org/cb",
        webhook_url="https://them.example.org/hook",
    )
    delivery = record(theirs, "import.succeeded", {})
    again = f"/developers/{own_app.pk}/webhook/deliveries/{delivery.pk}/again/"
    assert developer_client.post(again).status_code == 404


def test_sending_needs_a_post(developer_client, own_app):
    assert developer_client.get(f"/developers/{own_app.pk}/webhook/test/").status_code == 405
