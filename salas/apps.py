from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalasConfig(AppConfig):
    name = "salas"
    verbose_name = _("Salas")
