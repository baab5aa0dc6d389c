from django.apps import AppConfig


class SequencesConfig(AppConfig):
    name = "mtp.sequences"
    label = "sequences"
    verbose_name = "Sequences"
