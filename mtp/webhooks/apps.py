from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "mtp.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from mtp.lib import jobs
        from mtp.webhooks.delivery import attempt
        from mtp.webhooks.models import WebhookDelivery

        jobs.register(WebhookDelivery, attempt)
