from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "mtp.web"
    label = "web"
    verbose_name = "Website"
