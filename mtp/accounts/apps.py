from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mtp.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from mtp.accounts import checks  # noqa: F401 (registers the checks)
