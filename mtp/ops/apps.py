from django.apps import AppConfig


class OpsConfig(AppConfig):
    """What serves the whole instance: the worker, housekeeping, re-encrypting secrets.

    Its commands import the apps whose work they run; no app imports this one.
    """

    name = "mtp.ops"
    label = "ops"
    verbose_name = "Operations"
