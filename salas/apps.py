from django.apps import AppConfig


class SalasConfig(AppConfig):
    name = "salas"
    verbose_name = "Salas"
