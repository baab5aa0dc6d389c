from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "mtp.web"
    label = "web"
    verbose_name = "Website"

    def ready(self) -> None:
        from mtp.web import checks  # noqa: F401 (registers the checks)
