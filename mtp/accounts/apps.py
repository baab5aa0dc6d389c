from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mtp.accounts"
    label = "accounts"
    verbose_name = "Accounts"
