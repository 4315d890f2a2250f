from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Cuentas")

    def ready(self) -> None:
        from accounts import metrics  # noqa: F401 - connects the lockout counter to django-axes' signal
