from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from . import signals, throttle  # noqa: F401  (connect the token revocation and the failure counter)
