from django.apps import AppConfig


class ReservasConfig(AppConfig):
    name = "reservas"
    verbose_name = "Reservas"
