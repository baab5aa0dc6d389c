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

        # The content apps sit below this one: their actions send a signal, heard here.
        from mtp.guidebooks import actions as guidebooks
        from mtp.tours import actions as tours
        from mtp.webhooks import events

        tours.published.connect(events.tour_published, dispatch_uid="webhooks-tour-published")
        guidebooks.published.connect(
            events.guidebook_published, dispatch_uid="webhooks-guidebook-published"
        )
