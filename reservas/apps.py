from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReservasConfig(AppConfig):
    name = "reservas"
    verbose_name = _("Reservas")
