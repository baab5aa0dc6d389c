from django.apps import AppConfig


class DevelopersConfig(AppConfig):
    name = "mtp.developers"
    label = "developers"
    verbose_name = "Developer applications"
