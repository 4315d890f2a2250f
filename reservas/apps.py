from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _


class ReservasConfig(AppConfig):
    name = "reservas"
    verbose_name = _("Reservas")

    def ready(self) -> None:
        from accounts.signals import password_changed
        from reservas.feeds import rotate_on_password_change

        password_changed.connect(rotate_on_password_change, dispatch_uid="reservas.feeds.rotate")
        checks.register(check_longest_booking)


def check_longest_booking(**kwargs: Any) -> list[checks.CheckMessage]:
    """RESERVA_MAX_HOURS past the database's cap would be refused by it, and break every overlap query."""
    from reservas.models import LONGEST_BOOKING

    limit = LONGEST_BOOKING.total_seconds() / 3600
    if limit < settings.RESERVA_MAX_HOURS:
        return [
            checks.Error(
                f"RESERVA_MAX_HOURS={settings.RESERVA_MAX_HOURS} exceeds the {limit:g} hours "
                "a booking may last (reservas.models.LONGEST_BOOKING, a check constraint).",
                id="reservas.E001",
            )
        ]
    return []
