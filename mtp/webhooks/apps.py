from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "mtp.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
