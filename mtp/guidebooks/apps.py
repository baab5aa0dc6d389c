from django.apps import AppConfig


class GuidebooksConfig(AppConfig):
    name = "mtp.guidebooks"
    label = "guidebooks"
    verbose_name = "Guidebooks"
