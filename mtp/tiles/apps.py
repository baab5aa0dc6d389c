from django.apps import AppConfig


class TilesConfig(AppConfig):
    name = "mtp.tiles"
    label = "tiles"
    verbose_name = "Vector tiles"
