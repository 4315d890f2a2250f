from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReservasConfig(AppConfig):
    name = "reservas"
    verbose_name = _("Reservas")

    def ready(self) -> None:
        from accounts.signals import password_changed
        from reservas.feeds import rotate_on_password_change

        password_changed.connect(rotate_on_password_change, dispatch_uid="reservas.feeds.rotate")
