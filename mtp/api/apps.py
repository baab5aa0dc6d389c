from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "mtp.api"
    label = "api"
    verbose_name = "API"
