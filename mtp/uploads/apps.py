from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "mtp.uploads"
    label = "uploads"
    verbose_name = "Uploads"
