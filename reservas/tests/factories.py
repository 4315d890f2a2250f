from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from reservas.models import Reserva
from salas.tests.factories import SalaFactory


def in_hours(hours: float) -> timezone.datetime:
    """A moment `hours` from now, on the minute (the future, so the rules accept it)."""
    return (timezone.now() + timedelta(hours=hours)).replace(second=0, microsecond=0)


class ReservaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reserva

    sala = factory.SubFactory(SalaFactory)
    usuario = factory.SubFactory(UserFactory)
    titulo = factory.Sequence(lambda n: f"Reunión {n}")
    inicio = factory.LazyFunction(lambda: in_hours(24))
    fin = factory.LazyAttribute(lambda reserva: reserva.inicio + timedelta(hours=1))
    asistentes = 2
