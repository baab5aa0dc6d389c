from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "mtp.imports"
    label = "imports"
    verbose_name = "Imports"
